namespace Seminar.MLNet.Evaluation.Metrics;

/// <summary>HIT@k, NDCG@k and MRR of each positive ranked against the negatives of its group.</summary>
public static class RankingMetrics
{
    /// <summary>
    /// Ranks every positive against the negatives of its own group (other positives are ignored):
    /// rank = 1 + negatives scoring higher + negatives scoring equal, so ties count against the
    /// positive and a constant scorer gets no credit. Averages HIT@k, NDCG@k and 1/rank over the
    /// positives whose group has at least one negative. O(n log n).
    /// </summary>
    /// <param name="scores">One score per item. NaN is rejected.</param>
    /// <param name="labels">One label per item; <see langword="true"/> is positive.</param>
    /// <param name="groups">The ranking group of each item: any ints, in any order.</param>
    /// <param name="k">The cutoff for HIT@k and NDCG@k, at least 1.</param>
    /// <returns>The averages (NaN when no positive has a negative in its group) and the positive counts.</returns>
    /// <exception cref="ArgumentException">The lengths differ or a score is NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is less than 1.</exception>
    public static RankingResult Evaluate(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, ReadOnlySpan<int> groups, int k = 10)
    {
        MetricGuards.SameLength(scores.Length, nameof(scores), labels.Length, nameof(labels));
        MetricGuards.SameLength(scores.Length, nameof(scores), groups.Length, nameof(groups));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        MetricGuards.NoNaN(scores, nameof(scores));
        int n = scores.Length;
        if (n == 0) return new RankingResult(double.NaN, double.NaN, double.NaN, 0, 0);
        SortKeys.RentSorted(scores, labels, groups, out var keyBuffer, out var labelBuffer);
        try
        {
            ReadOnlySpan<long> keys = keyBuffer.AsSpan(0, n);
            ReadOnlySpan<bool> sorted = labelBuffer.AsSpan(0, n);
            double hits = 0, ndcg = 0, reciprocal = 0;
            int used = 0, skipped = 0;
            for (int start = 0; start < n;)
            {
                int end = SortKeys.GroupEnd(keys, start);
                int groupPositives = 0;
                for (int i = start; i < end; i++) if (sorted[i]) groupPositives++;
                if (groupPositives == end - start)
                {
                    skipped += groupPositives;
                    start = end;
                    continue;
                }
                used += groupPositives;
                // Walk the group from the highest score down, one block of tied scores at a time.
                long negativesAbove = 0;
                for (int j = end; j > start;)
                {
                    int i = j - 1;
                    while (i > start && keys[i - 1] == keys[j - 1]) i--;
                    int blockPositives = 0, blockNegatives = 0;
                    for (int t = i; t < j; t++) if (sorted[t]) blockPositives++; else blockNegatives++;
                    if (blockPositives > 0)
                    {
                        long rank = 1 + negativesAbove + blockNegatives;
                        reciprocal += blockPositives / (double)rank;
                        if (rank <= k)
                        {
                            hits += blockPositives;
                            ndcg += blockPositives / Math.Log2(rank + 1.0);
                        }
                    }
                    negativesAbove += blockNegatives;
                    j = i;
                }
                start = end;
            }
            return used == 0
                ? new RankingResult(double.NaN, double.NaN, double.NaN, 0, skipped)
                : new RankingResult(hits / used, ndcg / used, reciprocal / used, used, skipped);
        }
        finally
        {
            SortKeys.Return(keyBuffer, labelBuffer);
        }
    }

    /// <summary>
    /// Counts the groups, the groups without both classes and the positives without a negative in their group: what
    /// <see cref="Evaluate"/> leaves out whatever the scores, so a report can say how much of the test set was ranked.
    /// </summary>
    /// <param name="labels">One label per item; <see langword="true"/> is positive.</param>
    /// <param name="groups">The ranking group of each item: any ints, in any order.</param>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static RankingCoverage Coverage(ReadOnlySpan<bool> labels, ReadOnlySpan<int> groups)
    {
        MetricGuards.SameLength(labels.Length, nameof(labels), groups.Length, nameof(groups));
        var counts = new Dictionary<int, (int Positives, int Negatives)>();
        for (int i = 0; i < labels.Length; i++)
        {
            var (p, n) = counts.GetValueOrDefault(groups[i]);
            counts[groups[i]] = labels[i] ? (p + 1, n) : (p, n + 1);
        }
        int skipped = 0, positivesSkipped = 0;
        foreach (var (p, n) in counts.Values)
        {
            if (p == 0 || n == 0) skipped++;
            if (n == 0) positivesSkipped += p;
        }
        return new RankingCoverage(counts.Count, skipped, positivesSkipped);
    }
}
