namespace Seminar.MLNet.Evaluation.Protocol;

/// <summary>
/// Turns an event log into training and test samples (DESIGN.md, "Evaluation protocol"): a global time
/// split; a sample is an event whose user has at least one positive strictly earlier; its history is all
/// of the user's strictly earlier positives. A split without label-0 events (the whole dataset, or only
/// one period, as when a search log's exposures all come last) gives each positive sampled items the
/// user never engaged with, at the same time and query.
/// </summary>
public static class SampleBuilder
{
    /// <summary>Builds the split.</summary>
    public static SampleSplit Build(EventLog log, EvaluationOptions options, IProgress<double>? progress = null)
    {
        options.Validate();
        long splitTime = Quantile(log.Time, options.SplitQuantile);
        long trainFrom = options.TrainFromQuantile > 0 ? Quantile(log.Time, options.TrainFromQuantile) : long.MinValue;
        var train = new SampleSet(log, options.MaxHistory);
        var test = new SampleSet(log, options.MaxHistory);
        bool sampleTrain = !HasNegativeIn(log, t => t <= splitTime && t >= trainFrom);
        bool sampleTest = !HasNegativeIn(log, t => t > splitTime);
        var rng = new Random(options.Seed);
        var popularity = new ItemPopularityIndex(log);
        var itemCounts = new Dictionary<int, int>();
        var attrCounts = new Dictionary<int, int>();
        Span<float> features = stackalloc float[BaselineFeatures.Names.Length];
        int group = 0, notFound = 0, users = log.UserIds.Length;

        for (int u = 0; u < users; u++)
        {
            itemCounts.Clear();
            attrCounts.Clear();
            int[] engaged = sampleTrain || sampleTest ? EngagedItems(log, u) : Array.Empty<int>();
            int positives = 0, seen = 0, end = log.UserStart[u + 1];
            for (int i = log.UserStart[u]; i < end;)
            {
                int j = i;
                while (j < end && log.Time[j] == log.Time[i]) j++;
                long t = log.Time[i];
                var target = t > splitTime ? test : t >= trainFrom ? train : null;
                bool sampleNegatives = target == test ? sampleTest : sampleTrain;
                if (positives > 0 && target != null)
                {
                    for (int k = i; k < j; k++)
                    {
                        int g = sampleNegatives ? group++ : u;
                        Features(log, log.Item[k], t, positives, seen, itemCounts, attrCounts, popularity, features);
                        target.Add(u, log.Item[k], log.Query[k], t, log.Label[k], positives, g, features);
                        if (!sampleNegatives || !log.Label[k]) continue;
                        for (int n = 0; n < options.Negatives; n++)
                        {
                            int neg = DrawNegative(rng, log.ItemIds.Length, engaged);
                            if (neg < 0) { notFound++; continue; }
                            Features(log, neg, t, positives, seen, itemCounts, attrCounts, popularity, features);
                            target.Add(u, neg, log.Query[k], t, false, positives, g, features);
                        }
                    }
                }
                for (int k = i; k < j; k++)
                {
                    seen++;
                    if (!log.Label[k]) continue;
                    positives++;
                    int item = log.Item[k];
                    itemCounts[item] = itemCounts.GetValueOrDefault(item) + 1;
                    foreach (int a in log.ItemAttributes[item]) attrCounts[a] = attrCounts.GetValueOrDefault(a) + 1;
                }
                i = j;
            }
            if ((u & 63) == 0) progress?.Report((double)u / users);
        }
        progress?.Report(1);
        if (train.Count == 0) throw new InvalidOperationException("No training samples: no event at or before the split time has an earlier positive event of its user.");
        if (test.Count == 0) throw new InvalidOperationException($"No test samples: no event after the split time {splitTime} has an earlier positive event of its user.");
        return new SampleSplit(train, test, splitTime, trainFrom, sampleTrain, sampleTest, notFound);
    }

    /// <summary>The timestamp at quantile q of all event timestamps (nearest rank).</summary>
    public static long Quantile(long[] times, double q)
    {
        var sorted = (long[])times.Clone();
        Array.Sort(sorted);
        int index = Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1);
        return sorted[index];
    }

    static bool HasNegativeIn(EventLog log, Func<long, bool> inSplit)
    {
        for (int i = 0; i < log.Count; i++)
            if (!log.Label[i] && inSplit(log.Time[i])) return true;
        return false;
    }

    static void Features(EventLog log, int item, long time, int positives, int seen,
        Dictionary<int, int> itemCounts, Dictionary<int, int> attrCounts, ItemPopularityIndex popularity, Span<float> f)
    {
        float attrShare = 0;
        foreach (int a in log.ItemAttributes[item]) attrShare += attrCounts.GetValueOrDefault(a);
        f[0] = positives;
        f[1] = itemCounts.GetValueOrDefault(item);
        f[2] = positives > 0 ? attrShare / positives : 0;
        f[3] = popularity.Before(item, time);
        f[4] = (positives + 1f) / (seen + 2f);
    }

    static int[] EngagedItems(EventLog log, int u)
    {
        var items = new int[log.PositiveStart[u + 1] - log.PositiveStart[u]];
        for (int p = 0; p < items.Length; p++) items[p] = log.Item[log.Positives[log.PositiveStart[u] + p]];
        Array.Sort(items);
        return items;
    }

    static int DrawNegative(Random rng, int itemCount, int[] engaged)
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            int c = rng.Next(itemCount);
            if (Array.BinarySearch(engaged, c) < 0) return c;
        }
        return -1;
    }

    /// <summary>Per item, the sorted times of its positive events, to count those strictly before a time.</summary>
    sealed class ItemPopularityIndex
    {
        readonly long[][] _times;

        public ItemPopularityIndex(EventLog log)
        {
            var lists = new List<long>?[log.ItemIds.Length];
            foreach (int e in log.Positives) (lists[log.Item[e]] ??= new List<long>()).Add(log.Time[e]);
            _times = lists.Select(l => { var a = l?.ToArray() ?? Array.Empty<long>(); Array.Sort(a); return a; }).ToArray();
        }

        public int Before(int item, long time)
        {
            var a = _times[item];
            int lo = 0, hi = a.Length;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (a[mid] < time) lo = mid + 1; else hi = mid;
            }
            return lo;
        }
    }
}
