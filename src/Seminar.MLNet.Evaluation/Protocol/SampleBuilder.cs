namespace Seminar.MLNet.Evaluation.Protocol;

/// <summary>
/// Turns an event log into training and test samples (README, "Evaluation protocol"): a global time split, or with an
/// ordinal clock a split of each user's own events; a sample is an event whose user has at least one positive strictly
/// earlier; its history is all of the user's strictly earlier positives. A period (train or test) without label-0 events
/// (the whole dataset, or only one period, as when a search log's exposures all come last) gives each positive seeded
/// sampled negatives at the same time and query; they exclude only the items of the positive's own event group, so a
/// negative may be an item the user engaged with before or will engage with later. With real exposures a ranking group
/// is one search (user, time, query), unless most positives would then have no negative (ratings, one event per
/// timestamp): then it is the user.
/// </summary>
public static class SampleBuilder
{
    /// <summary>Builds the split.</summary>
    public static SampleSplit Build(EventLog log, EvaluationOptions options, IProgress<double>? progress = null)
    {
        options.Validate();
        var cuts = PeriodCuts.Of(log, options);
        var train = new SampleSet(log, options.MaxHistory);
        var test = new SampleSet(log, options.MaxHistory);
        bool sampleTrain = !HasNegativeIn(log, cuts, test: false);
        bool sampleTest = !HasNegativeIn(log, cuts, test: true);
        var sampler = new NegativeSampler(log, options.NegativeSampling, options.Seed, cuts);
        var popularity = new ItemPopularity(log, cuts);
        var itemCounts = new Dictionary<int, int>();
        var attrCounts = new Dictionary<int, int>();
        var searches = new List<int>();
        Span<float> features = stackalloc float[BaselineFeatures.Names.Length];
        int group = 0, notFound = 0, droppedTrain = 0, droppedTest = 0, users = log.UserIds.Length;

        for (int u = 0; u < users; u++)
        {
            itemCounts.Clear();
            attrCounts.Clear();
            int positives = 0, seen = 0, end = log.UserStart[u + 1];
            for (int i = log.UserStart[u]; i < end;)
            {
                int j = i;
                while (j < end && log.Time[j] == log.Time[i]) j++;
                long t = log.Time[i];
                var period = cuts.Period(u, t);
                var target = period == SamplePeriod.Test ? test : period == SamplePeriod.History ? null : train;
                bool sampleNegatives = target == test ? sampleTest : sampleTrain;
                bool validation = period == SamplePeriod.Validation;
                if (target != null && positives == 0)
                {
                    if (target == test) droppedTest += j - i; else droppedTrain += j - i;
                }
                else if (target != null)
                {
                    var eventGroup = log.Item.AsSpan(i, j - i);
                    searches.Clear();
                    for (int k = i; k < j; k++)
                    {
                        // Sampled: a positive and its negatives. Real exposures: one search, the same user, time and query.
                        int g = sampleNegatives ? group++ : SearchGroup(searches, log.Query[k], ref group);
                        // Ordinal clock: the item's training-period popularity counts this very positive; leave it out.
                        int self = log.IsOrdinal && log.Label[k] && target == train ? 1 : 0;
                        Features(log, log.Item[k], t, positives, seen, itemCounts, attrCounts, popularity, features, self);
                        target.Add(u, log.Item[k], log.Query[k], t, log.Label[k], positives, g, validation, features);
                        if (!sampleNegatives || !log.Label[k]) continue;
                        for (int n = 0; n < options.Negatives; n++)
                        {
                            int neg = sampler.Draw(t, eventGroup);
                            if (neg < 0) { notFound++; continue; }
                            Features(log, neg, t, positives, seen, itemCounts, attrCounts, popularity, features);
                            target.Add(u, neg, log.Query[k], t, false, positives, g, validation, features);
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
        if (!sampleTrain) train.SetRealExposureGroups();
        if (!sampleTest) test.SetRealExposureGroups();
        if (train.Count == 0) throw new InvalidOperationException("No training samples: no training-period event has an earlier positive event of its user.");
        if (test.Count == 0)
            throw new InvalidOperationException(log.IsOrdinal
                ? "No test samples: no user's test-period event has an earlier positive event of its user."
                : $"No test samples: no event after the split time {cuts.SplitTime} has an earlier positive event of its user.");
        return new SampleSplit(train, test, cuts.SplitTime, cuts.TrainFromTime, sampleTrain, sampleTest, notFound)
        {
            DroppedEventsTrain = droppedTrain, DroppedEventsTest = droppedTest,
        };
    }

    /// <summary>The timestamp at quantile q of all event timestamps (nearest rank).</summary>
    public static long Quantile(long[] times, double q)
    {
        var sorted = (long[])times.Clone();
        Array.Sort(sorted);
        return SortedTimes.NearestRank(sorted, q);
    }

    /// <summary>
    /// The ranking group of an event with query <paramref name="query"/>: within one event group (user and time) the
    /// searches are its distinct queries, numbered in order of appearance from the next free group.
    /// </summary>
    static int SearchGroup(List<int> searches, int query, ref int next)
    {
        int search = searches.IndexOf(query);
        if (search >= 0) return next - searches.Count + search;
        searches.Add(query);
        return next++;
    }

    static bool HasNegativeIn(EventLog log, PeriodCuts cuts, bool test)
    {
        for (int i = 0; i < log.Count; i++)
        {
            if (log.Label[i]) continue;
            var period = cuts.Period(log.User[i], log.Time[i]);
            if (period != SamplePeriod.History && (period == SamplePeriod.Test) == test) return true;
        }
        return false;
    }

    static void Features(EventLog log, int item, long time, int positives, int seen,
        Dictionary<int, int> itemCounts, Dictionary<int, int> attrCounts, ItemPopularity popularity, Span<float> f, int self = 0)
    {
        float attrShare = 0;
        foreach (int a in log.ItemAttributes[item]) attrShare += attrCounts.GetValueOrDefault(a);
        f[0] = positives;
        f[1] = itemCounts.GetValueOrDefault(item);
        f[2] = positives > 0 ? attrShare / positives : 0;
        f[3] = popularity.Before(item, time) - self;
        f[4] = (positives + 1f) / (seen + 2f);
    }
}
