namespace Seminar.MLNet.PsuScoring;

/// <summary>
/// How the head's side features (context, user, item and user–item counts) are brought to one scale before the MLP:
/// each value is compressed with <c>sign(s) · ln(1 + |s|)</c>, then standardised with the per-feature mean and scale
/// measured on the training rows (<see cref="PsuWeights.SideMean"/>, <see cref="PsuWeights.SideScale"/>).
/// </summary>
/// <remarks>
/// Counts span orders of magnitude (an item's popularity runs from 0 to tens of thousands), so a plain standardisation
/// leaves most rows squeezed near the mean and a few far out; the logarithm makes the spread even. Its signed form is
/// the identity's shape near 0 and keeps negative inputs meaningful, so rates and signed features need no special case.
/// Training, the C# scorer and the ONNX graph all apply exactly these operations.
/// </remarks>
internal static class SideFeatureScaling
{
    /// <summary>The compression <c>sign(v) · ln(1 + |v|)</c>.</summary>
    public static float Compress(float value) => MathF.Sign(value) * MathF.Log(1f + MathF.Abs(value));

    /// <summary><c>z_j = (Compress(raw_j) − mean_j) / scale_j</c>.</summary>
    /// <param name="raw">Side feature values as read (S).</param>
    /// <param name="mean">Per-feature mean of the compressed values (S).</param>
    /// <param name="scale">Per-feature scale (S).</param>
    /// <param name="standardised">Receives z (S).</param>
    public static void Standardise(ReadOnlySpan<float> raw, ReadOnlySpan<float> mean, ReadOnlySpan<float> scale, Span<float> standardised)
    {
        for (int j = 0; j < raw.Length; j++) standardised[j] = (Compress(raw[j]) - mean[j]) / scale[j];
    }

    /// <summary>
    /// Mean and scale of the compressed values of <paramref name="rows"/> (each S values): the scale is the population
    /// standard deviation, or 1 for a feature that is constant (so it standardises to 0 rather than dividing by 0).
    /// </summary>
    /// <exception cref="ArgumentException">There is no row, a row has another length, or a value is not finite.</exception>
    public static (float[] Mean, float[] Scale) Fit(IEnumerable<float[]> rows, int size)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        // Welford's running mean and squared deviation, in double: millions of rows of values up to ~12 after compression.
        var mean = new double[size];
        var m2 = new double[size];
        long n = 0;
        foreach (var row in rows)
        {
            if (row.Length != size) throw new ArgumentException($"A side feature row holds {row.Length} values; expected {size}.", nameof(rows));
            n++;
            for (int j = 0; j < size; j++)
            {
                if (!float.IsFinite(row[j])) throw new ArgumentException($"Side feature row {n - 1} holds {row[j]} at component {j}: side features must be finite.", nameof(rows));
                double v = Compress(row[j]), delta = v - mean[j];
                mean[j] += delta / n;
                m2[j] += delta * (v - mean[j]);
            }
        }
        if (n == 0) throw new ArgumentException("Side feature scaling needs at least one row.", nameof(rows));
        var scale = new float[size];
        for (int j = 0; j < size; j++)
        {
            double sd = Math.Sqrt(m2[j] / n);
            scale[j] = sd > 1e-6 ? (float)sd : 1f;
        }
        return (mean.Select(m => (float)m).ToArray(), scale);
    }

    /// <summary>Throws naming <paramref name="column"/> when <paramref name="values"/> is not S long or holds NaN or an infinity.</summary>
    /// <exception cref="ArgumentException">The size differs or a value is not finite.</exception>
    public static void Check(ReadOnlySpan<float> values, int size, string? column)
    {
        string name = column ?? "(no side feature column)";
        if (values.Length != size)
            throw new ArgumentException($"Side feature column '{name}' holds {values.Length} values; the PSU was trained with {size}.", "sideFeatures");
        for (int j = 0; j < values.Length; j++)
            if (!float.IsFinite(values[j]))
                throw new ArgumentException($"Side feature column '{name}' holds {values[j]} at component {j}: side features must be finite.", "sideFeatures");
    }
}
