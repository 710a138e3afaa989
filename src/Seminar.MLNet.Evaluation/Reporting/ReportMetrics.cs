namespace Seminar.MLNet.Evaluation.Reporting;

/// <summary>
/// The test metrics of <see cref="ModelReport"/> by report name, in report order, so seeds, intervals and the bootstrap handle
/// every metric with one loop instead of one code path per field.
/// </summary>
internal static class ReportMetrics
{
    /// <summary>Report names.</summary>
    public const string Auc = "auc", Gauc = "gauc", LogLoss = "logloss", HitAt10 = "hit@10", NdcgAt10 = "ndcg@10", Mrr = "mrr";

    /// <summary>Every metric, in report order; an index into this array is a metric's index everywhere in Statistics.</summary>
    public static readonly string[] Names = { Auc, Gauc, LogLoss, HitAt10, NdcgAt10, Mrr };

    /// <summary>Index of <see cref="LogLoss"/>, the one metric where lower is better.</summary>
    public const int LogLossIndex = 2;

    /// <summary>The value (the mean over seeds) of metric <paramref name="metric"/>.</summary>
    public static double Get(ModelReport report, int metric) => metric switch
    {
        0 => report.Auc, 1 => report.Gauc, 2 => report.LogLoss, 3 => report.HitAt10, 4 => report.NdcgAt10, 5 => report.Mrr,
        _ => throw new ArgumentOutOfRangeException(nameof(metric)),
    };

    /// <summary>The standard deviation over seeds of metric <paramref name="metric"/>.</summary>
    public static double GetStd(ModelReport report, int metric) => metric switch
    {
        0 => report.AucStd, 1 => report.GaucStd, 2 => report.LogLossStd, 3 => report.HitAt10Std, 4 => report.NdcgAt10Std, 5 => report.MrrStd,
        _ => throw new ArgumentOutOfRangeException(nameof(metric)),
    };

    /// <summary>Sets metric <paramref name="metric"/>'s mean and standard deviation over seeds.</summary>
    public static void Set(ModelReport report, int metric, double mean, double std)
    {
        switch (metric)
        {
            case 0: report.Auc = mean; report.AucStd = std; break;
            case 1: report.Gauc = mean; report.GaucStd = std; break;
            case 2: report.LogLoss = mean; report.LogLossStd = std; break;
            case 3: report.HitAt10 = mean; report.HitAt10Std = std; break;
            case 4: report.NdcgAt10 = mean; report.NdcgAt10Std = std; break;
            case 5: report.Mrr = mean; report.MrrStd = std; break;
            default: throw new ArgumentOutOfRangeException(nameof(metric));
        }
    }
}
