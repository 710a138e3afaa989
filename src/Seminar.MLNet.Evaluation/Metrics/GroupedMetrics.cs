namespace Seminar.MLNet.Evaluation.Metrics;

/// <summary>Metrics computed per group (usually per user) and then combined.</summary>
public static class GroupedMetrics
{
    /// <summary>
    /// Group AUC: the AUC of each group (ties counting 1/2) weighted by the group's sample count,
    /// over the groups that have both classes. O(n log n).
    /// </summary>
    /// <param name="scores">One score per item. NaN is rejected.</param>
    /// <param name="labels">One label per item; <see langword="true"/> is positive.</param>
    /// <param name="groups">The group (user) of each item: any ints, in any order.</param>
    /// <returns>The GAUC, or <see cref="double.NaN"/> if no group has both classes.</returns>
    /// <exception cref="ArgumentException">The lengths differ or a score is NaN.</exception>
    public static double Gauc(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, ReadOnlySpan<int> groups)
        => GaucDetailed(scores, labels, groups).Gauc;

    /// <summary>As <see cref="Gauc"/>, also reporting how many groups were used and skipped.</summary>
    /// <param name="scores">One score per item. NaN is rejected.</param>
    /// <param name="labels">One label per item; <see langword="true"/> is positive.</param>
    /// <param name="groups">The group (user) of each item: any ints, in any order.</param>
    /// <returns>The GAUC with the number of groups used (both classes) and skipped (one class).</returns>
    /// <exception cref="ArgumentException">The lengths differ or a score is NaN.</exception>
    public static GaucResult GaucDetailed(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, ReadOnlySpan<int> groups)
    {
        MetricGuards.SameLength(scores.Length, nameof(scores), labels.Length, nameof(labels));
        MetricGuards.SameLength(scores.Length, nameof(scores), groups.Length, nameof(groups));
        MetricGuards.NoNaN(scores, nameof(scores));
        int n = scores.Length;
        if (n == 0) return new GaucResult(double.NaN, 0, 0);
        SortKeys.RentSorted(scores, labels, groups, out var keyBuffer, out var labelBuffer);
        try
        {
            ReadOnlySpan<long> keys = keyBuffer.AsSpan(0, n);
            ReadOnlySpan<bool> sorted = labelBuffer.AsSpan(0, n);
            double weighted = 0;
            long weight = 0;
            int used = 0, skipped = 0;
            for (int start = 0; start < n;)
            {
                int end = SortKeys.GroupEnd(keys, start);
                double auc = SortKeys.SegmentAuc(keys[start..end], sorted[start..end], out _, out _);
                if (double.IsNaN(auc))
                {
                    skipped++;
                }
                else
                {
                    used++;
                    weighted += auc * (end - start);
                    weight += end - start;
                }
                start = end;
            }
            return new GaucResult(used == 0 ? double.NaN : weighted / weight, used, skipped);
        }
        finally
        {
            SortKeys.Return(keyBuffer, labelBuffer);
        }
    }
}
