using Seminar.MLNet.Evaluation.Metrics;
using Seminar.MLNet.Evaluation.Reporting;

namespace Seminar.MLNet.Evaluation.Statistics;

/// <summary>
/// One model's test scores reduced to what the user bootstrap needs, so a replicate costs one pass over the samples for AUC
/// and one over the users for the rest. Every metric but AUC is a ratio of per-user sums (GAUC: sample-weighted user AUCs;
/// LogLoss: losses over samples; ranking: per-positive values over positives, groups lying within users), so resampling users
/// with multiplicities w just weights those sums. AUC is global: its samples are kept in score order with tie blocks, and a
/// replicate walks them once with each sample weighted by its user's multiplicity.
/// </summary>
internal sealed class UserMetricTable
{
    readonly int[] _sortedUser;      // dense user of each sample in ascending score order
    readonly double[] _sortedLabel;  // 1 for a positive, 0 for a negative: the replicate's inner loop multiplies instead of branching
    readonly int[] _blockEnd;        // end (exclusive) of each block of tied scores in that order
    // Per user: numerator and denominator of each metric other than AUC (index as in ReportMetrics.Names).
    readonly double[][] _numerator, _denominator;

    /// <summary>Reduces <paramref name="probabilities"/> (one per test sample, in sample order) over <paramref name="users"/>.</summary>
    public UserMetricTable(TestUsers users, float[] probabilities)
    {
        int n = users.Labels.Length;
        if (probabilities.Length != n) throw new ArgumentException($"{probabilities.Length} probabilities for {n} test samples.", nameof(probabilities));
        var keys = new long[n];
        var order = new int[n];
        for (int s = 0; s < n; s++)
        {
            keys[s] = SortKeys.Make(0, probabilities[s]);
            order[s] = s;
        }
        Array.Sort(keys, order);
        _sortedUser = order.Select(s => users.DenseUser[s]).ToArray();
        _sortedLabel = order.Select(s => users.Labels[s] ? 1.0 : 0.0).ToArray();
        var ends = new List<int>();
        for (int i = 1; i <= n; i++)
            if (i == n || keys[i] != keys[i - 1]) ends.Add(i);
        _blockEnd = ends.ToArray();

        int metrics = ReportMetrics.Names.Length;
        _numerator = new double[metrics][];
        _denominator = new double[metrics][];
        for (int m = 1; m < metrics; m++)
        {
            _numerator[m] = new double[users.Count];
            _denominator[m] = new double[users.Count];
        }
        var sorted = users.Order.Select(s => probabilities[s]).ToArray();
        for (int u = 0; u < users.Count; u++)
        {
            int start = users.Start[u], count = users.Start[u + 1] - start;
            ReadOnlySpan<float> p = sorted.AsSpan(start, count);
            ReadOnlySpan<bool> labels = users.SortedLabels.AsSpan(start, count);
            double auc = BinaryMetrics.Auc(p, labels);
            if (!double.IsNaN(auc)) Put(1, u, auc * count, count);
            Put(ReportMetrics.LogLossIndex, u, BinaryMetrics.LogLoss(p, labels) * count, count);
            var ranking = RankingMetrics.Evaluate(p, labels, users.SortedGroups.AsSpan(start, count), k: 10);
            if (ranking.Positives > 0)
            {
                Put(3, u, ranking.HitAtK * ranking.Positives, ranking.Positives);
                Put(4, u, ranking.NdcgAtK * ranking.Positives, ranking.Positives);
                Put(5, u, ranking.Mrr * ranking.Positives, ranking.Positives);
            }
        }
    }

    void Put(int metric, int user, double numerator, double denominator)
    {
        _numerator[metric][user] = numerator;
        _denominator[metric][user] = denominator;
    }

    /// <summary>
    /// Every metric (in <see cref="ReportMetrics.Names"/> order) with each user's samples counted <paramref name="userWeights"/>
    /// times; all weights 1 gives the plain metrics. NaN where a metric is undefined on the weighted sample.
    /// </summary>
    public void Evaluate(ReadOnlySpan<double> userWeights, Span<double> metrics)
    {
        metrics[0] = WeightedAuc(userWeights);
        for (int m = 1; m < metrics.Length; m++)
        {
            double num = 0, den = 0;
            double[] a = _numerator[m], b = _denominator[m];
            for (int u = 0; u < userWeights.Length; u++)
            {
                num += userWeights[u] * a[u];
                den += userWeights[u] * b[u];
            }
            metrics[m] = den > 0 ? num / den : double.NaN;
        }
    }

    /// <summary>AUC with weighted samples: weighted positive–negative pairs won, ties counting half, over all weighted pairs.</summary>
    double WeightedAuc(ReadOnlySpan<double> userWeights)
    {
        double wins = 0, negativesBelow = 0, positives = 0;
        int i = 0;
        foreach (int end in _blockEnd)
        {
            double blockPositive = 0, blockWeight = 0;
            for (; i < end; i++)
            {
                double w = userWeights[_sortedUser[i]];
                blockPositive += w * _sortedLabel[i];
                blockWeight += w;
            }
            double blockNegative = blockWeight - blockPositive;
            wins += blockPositive * (negativesBelow + 0.5 * blockNegative);
            negativesBelow += blockNegative;
            positives += blockPositive;
        }
        return positives > 0 && negativesBelow > 0 ? wins / (positives * negativesBelow) : double.NaN;
    }
}
