using Seminar.MLNet.Evaluation.Reporting;

namespace Seminar.MLNet.Evaluation.Statistics;

/// <summary>
/// Bootstrap over test users: each replicate draws as many users as there are, with replacement, and recomputes every model's
/// metrics on that resample. All models and seeds share each replicate's draw, so differences between them stay paired.
/// </summary>
internal static class UserBootstrap
{
    /// <summary>
    /// Metric values of each table on <paramref name="replicates"/> seeded resamples: result[t][r * M + m] is table t's metric m
    /// (<see cref="ReportMetrics.Names"/> order, M of them) on replicate r.
    /// </summary>
    public static double[][] Replicates(int users, IReadOnlyList<UserMetricTable> tables, int replicates, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(replicates);
        int metrics = ReportMetrics.Names.Length;
        var result = tables.Select(_ => new double[replicates * metrics]).ToArray();
        var random = new Random(seed);
        var weights = new double[users];
        for (int r = 0; r < replicates; r++)
        {
            Array.Clear(weights);
            for (int i = 0; i < users; i++) weights[random.Next(users)]++;
            for (int t = 0; t < tables.Count; t++) tables[t].Evaluate(weights, result[t].AsSpan(r * metrics, metrics));
        }
        return result;
    }

    /// <summary>
    /// The two-sided percentile interval of the finite <paramref name="values"/> (linear interpolation between order statistics);
    /// null bounds when none is finite.
    /// </summary>
    public static (double? Low, double? High) PercentileInterval(IEnumerable<double> values, double confidence = 0.95)
    {
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0) return (null, null);
        double tail = (1 - confidence) / 2;
        return (Quantile(sorted, tail), Quantile(sorted, 1 - tail));
    }

    static double Quantile(double[] sorted, double q)
    {
        double position = q * (sorted.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }
}
