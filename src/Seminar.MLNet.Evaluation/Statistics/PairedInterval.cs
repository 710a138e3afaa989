namespace Seminar.MLNet.Evaluation.Statistics;

/// <summary>
/// The mean of paired per-seed differences (model minus reference, both trained with the same seed on the same split) and its
/// Student-t confidence interval over seeds.
/// </summary>
/// <param name="Difference">Mean of the differences.</param>
/// <param name="StandardDeviation">Sample standard deviation of the differences (n - 1 in the denominator; 0 for one seed).</param>
/// <param name="Low">Lower bound: mean - t * sd / sqrt(n); null for one seed, where the spread over seeds is unknown.</param>
/// <param name="High">Upper bound: mean + t * sd / sqrt(n); null for one seed.</param>
internal sealed record PairedInterval(double Difference, double StandardDeviation, double? Low, double? High)
{
    /// <summary>The interval of <paramref name="differences"/> at <paramref name="confidence"/> (two-sided).</summary>
    public static PairedInterval Of(ReadOnlySpan<double> differences, double confidence = 0.95)
    {
        if (differences.IsEmpty) throw new ArgumentException("At least one difference is needed.", nameof(differences));
        if (!(confidence > 0 && confidence < 1)) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "Confidence must be in (0, 1).");
        double mean = SampleMoments.Mean(differences), sd = SampleMoments.StandardDeviation(differences);
        if (differences.Length == 1) return new PairedInterval(mean, 0, null, null);
        double half = StudentT.Quantile(0.5 + confidence / 2, differences.Length - 1) * sd / Math.Sqrt(differences.Length);
        return new PairedInterval(mean, sd, mean - half, mean + half);
    }
}
