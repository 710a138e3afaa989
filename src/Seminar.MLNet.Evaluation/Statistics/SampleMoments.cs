namespace Seminar.MLNet.Evaluation.Statistics;

/// <summary>Mean and sample standard deviation of a few values (metrics over seeds, differences over seeds).</summary>
internal static class SampleMoments
{
    /// <summary>Arithmetic mean (NaN if any value is NaN).</summary>
    public static double Mean(ReadOnlySpan<double> values)
    {
        double sum = 0;
        foreach (double v in values) sum += v;
        return values.IsEmpty ? double.NaN : sum / values.Length;
    }

    /// <summary>Sample standard deviation, n - 1 in the denominator; 0 for a single value.</summary>
    public static double StandardDeviation(ReadOnlySpan<double> values)
    {
        if (values.Length < 2) return values.IsEmpty ? double.NaN : 0;
        double mean = Mean(values), squares = 0;
        foreach (double v in values) squares += (v - mean) * (v - mean);
        return Math.Sqrt(squares / (values.Length - 1));
    }
}
