using System.Text.Json;
using Microsoft.ML;
using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Evaluation.Metrics;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Evaluation.Reporting;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Evaluation;

/// <summary>The ordinal clock, searches as ranking groups, the validation column and the report's protocol section.</summary>
public class SampleProtocolTests
{
    static EventLog Load(string folder) => EventLog.Load(CanonicalDataset.Open(folder));

    static string[] Moments(SampleSet s, Func<int, bool>? where = null) => Enumerable.Range(0, s.Count)
        .Where(i => where?.Invoke(i) ?? true).Select(i => $"{s.Log.UserIds[s.User(i)]}@{s.Time(i)}").Distinct().ToArray();

    /// <summary>Users a, b, c with 5, 3 and 10 positive events at positions 1..n (items cycle through x, y, z).</summary>
    static void WriteOrdinal(string folder, string clock)
    {
        var events = new System.Text.StringBuilder(DatasetFixtures.EventsHeader);
        foreach (var (user, n) in new[] { ("a", 5), ("b", 3), ("c", 10) })
            for (int p = 1; p <= n; p++) events.Append($"{user}\t{p}\t{"xyz"[p % 3]}\t\t1\n");
        DatasetFixtures.WriteRaw(folder, DatasetFixtures.ItemsHeader + "x\t\t\ny\t\t\nz\t\t\n", events.ToString(),
            $"{{\"name\":\"ordinal\",\"features\":{{}},\"clock\":\"{clock}\"}}");
    }

    [Fact]
    public void Ordinal_clock_tests_each_users_last_events_and_validates_on_their_latest_training_events()
    {
        using var tmp = new TempFolder();
        WriteOrdinal(tmp.Path, DatasetManifest.OrdinalClock);
        var log = Load(tmp.Path);
        Assert.True(log.IsOrdinal);
        // q = 0.7: a ceil(1.5) = 2 test events, b ceil(0.9) = 1, c ceil(3.0000000000000004) = 3 (not 4).
        var split = SampleBuilder.Build(log, new EvaluationOptions { SplitQuantile = 0.7, ValidationFraction = 0.2, Negatives = 1 });
        Assert.Equal(new[] { "a@4", "a@5", "b@3", "c@8", "c@9", "c@10" }, Moments(split.Test));
        // Each user's first event has no earlier positive: dropped, counted.
        Assert.Equal(new[] { "a@2", "a@3", "b@2", "c@2", "c@3", "c@4", "c@5", "c@6", "c@7" }, Moments(split.Train));
        Assert.Equal(3, split.DroppedEventsTrain);
        Assert.Equal(0, split.DroppedEventsTest);
        // Validation: a's 3 training events -> ceil(0.6) = 1 (a@3); b's 2 -> 1 (b@2, its first event is dropped);
        // c's 7 -> ceil(1.4) = 2 (c@6, c@7). Sampled negatives follow their positive.
        Assert.Equal(new[] { "a@3", "b@2", "c@6", "c@7" }, Moments(split.Train, split.Train.IsValidation));
        Assert.All(Enumerable.Range(0, split.Train.Count), i =>
            Assert.Equal(split.Train.IsValidation(i), Moments(split.Train, split.Train.IsValidation).Contains($"{log.UserIds[split.Train.User(i)]}@{split.Train.Time(i)}")));

        // Train-from per user, quantile 0.5: a from its 3rd event, b its 2nd, c its 5th.
        var late = SampleBuilder.Build(log, new EvaluationOptions { SplitQuantile = 0.7, TrainFromQuantile = 0.5, ValidationFraction = 0, Negatives = 1 });
        Assert.Equal(new[] { "a@3", "b@2", "c@5", "c@6", "c@7" }, Moments(late.Train));
        Assert.Equal(0, late.DroppedEventsTrain);
        Assert.DoesNotContain(true, Enumerable.Range(0, late.Train.Count).Select(late.Train.IsValidation));
    }

    [Fact]
    public void With_the_ordinal_clock_popularity_is_the_training_periods_positives_at_every_position()
    {
        using var tmp = new TempFolder();
        WriteOrdinal(tmp.Path, DatasetManifest.OrdinalClock);
        var log = Load(tmp.Path);
        var options = new EvaluationOptions { SplitQuantile = 0.7, ValidationFraction = 0.2, Negatives = 3 };
        // Outside the test period (a@1-3, b@1-2, c@1-7; item "xyz"[p % 3]): x 3 positives, y 5, z 4.
        var known = new Dictionary<string, int> { ["x"] = 3, ["y"] = 5, ["z"] = 4 };

        var sampler = new NegativeSampler(log, NegativeSampling.Popularity, 7, PeriodCuts.Of(log, options));
        foreach (long position in new long[] { 1, 9 })
        {
            // Weights x 3+1, y 5+1, z 4+1 of 15 at the first position as at the ninth (position 1 has no earlier positive:
            // the time clock's rule would draw uniformly there).
            var counts = new Dictionary<string, int>();
            for (int d = 0; d < 30_000; d++) { var item = log.ItemIds[sampler.Draw(position, ReadOnlySpan<int>.Empty)]; counts[item] = counts.GetValueOrDefault(item) + 1; }
            foreach (var (item, weight) in new[] { ("x", 4), ("y", 6), ("z", 5) })
                Assert.InRange(counts[item] / 30_000.0, weight / 15.0 - 0.01, weight / 15.0 + 0.01);
        }
        Assert.Throws<ArgumentNullException>(() => new NegativeSampler(log, NegativeSampling.Popularity, 7));

        // The baseline's popularity feature: the same counts, a training positive's own event left out; test events never count.
        var split = SampleBuilder.Build(log, options);
        int feature = Array.IndexOf(BaselineFeatures.Names, BaselineFeatures.ItemPopularity);
        foreach (var (set, training) in new[] { (split.Train, true), (split.Test, false) })
            for (int s = 0; s < set.Count; s++)
                Assert.Equal(known[log.ItemIds[set.Item(s)]] - (training && set.Label(s) ? 1 : 0), set.Feature(s, feature));
    }

    [Fact]
    public void The_same_positions_on_the_time_clock_give_one_global_split_that_tests_only_the_longest_user()
    {
        using var tmp = new TempFolder();
        WriteOrdinal(tmp.Path, DatasetManifest.TimeClock);
        var log = Load(tmp.Path);
        Assert.False(log.IsOrdinal);
        // 18 positions sorted; nearest rank ceil(12.6) = 13th = 5: only c has later events.
        var split = SampleBuilder.Build(log, new EvaluationOptions { SplitQuantile = 0.7, Negatives = 1 });
        Assert.Equal(5, split.SplitTime);
        Assert.Equal(new[] { "c@6", "c@7", "c@8", "c@9", "c@10" }, Moments(split.Test));
    }

    [Fact]
    public void With_real_exposures_a_ranking_group_is_one_search_of_a_user_time_and_query()
    {
        using var tmp = new TempFolder();
        DatasetFixtures.WriteRaw(tmp.Path,
            DatasetFixtures.ItemsHeader + "x\t\t\ny\t\t\nz\t\t\nw\t\t\nv\t\t\n",
            DatasetFixtures.EventsHeader +
            "a\t1\tx\t\t1\na\t2\ty\tq0\t0\na\t3\tz\t\t1\nb\t1\tx\t\t1\n" +
            "a\t9\tw\tq1\t1\na\t9\tv\tq1\t0\na\t9\tx\tq2\t1\na\t9\ty\tq2\t0\na\t9\tz\tq1\t0\n" +
            "a\t12\tv\tq1\t1\na\t12\tw\tq1\t0\na\t12\tx\tq3\t1\n" +
            "b\t9\tx\tq1\t1\nb\t9\ty\tq1\t0\n");
        // 14 times sorted, nearest rank ceil(3.5) = 4th = 3.
        var split = SampleBuilder.Build(Load(tmp.Path), new EvaluationOptions { SplitQuantile = 0.25 });
        Assert.Equal(3, split.SplitTime);
        Assert.False(split.TestNegativesSampled);
        var test = split.Test;
        var log = test.Log;
        string Search(int i) => $"{log.UserIds[test.User(i)]}@{test.Time(i)}/{log.Queries[test.Query(i)]}";
        Assert.Equal(10, test.Count);
        // Two samples share a group exactly when they share user, time and query.
        for (int i = 0; i < test.Count; i++)
            for (int j = 0; j < test.Count; j++)
                Assert.Equal(Search(i) == Search(j), test.RankGroup(i) == test.RankGroup(j));
        // a@9/q1, a@9/q2, a@12/q1, a@12/q3 (a positive alone: skipped), b@9/q1.
        Assert.Equal(new RankingCoverage(Groups: 5, GroupsSkipped: 1, PositivesSkipped: 1), RankingMetrics.Coverage(test.Labels(), test.RankGroups()));
        Assert.Equal(RankingGroupKind.Search, test.GroupKind);
        // GAUC still groups by user.
        Assert.Equal(new[] { 0, 1 }, test.Users().Distinct().Order());
    }

    [Fact]
    public void Real_labels_not_shown_together_are_ranked_per_user()
    {
        // One event per timestamp (ratings): every search would hold a single event, so the user is the group.
        using var tmp = new TempFolder();
        DatasetFixtures.WriteRaw(tmp.Path, DatasetFixtures.ItemsHeader + "x\t\t\ny\t\t\nz\t\t\n",
            DatasetFixtures.EventsHeader + "a\t1\tx\t\t1\na\t2\ty\t\t0\na\t3\tz\t\t1\nb\t1\tx\t\t1\nb\t2\tz\t\t0\n" +
            "a\t4\tx\t\t1\na\t5\ty\t\t0\nb\t4\tz\t\t1\nb\t5\ty\t\t0\nb\t6\tx\t\t0\n");
        // 10 times, nearest rank ceil(5) = 5th = 3.
        var split = SampleBuilder.Build(Load(tmp.Path), new EvaluationOptions { SplitQuantile = 0.5 });
        Assert.Equal(RankingGroupKind.User, split.Test.GroupKind);
        Assert.Equal(split.Test.Users(), split.Test.RankGroups());
        Assert.Equal(new RankingCoverage(2, 0, 0), RankingMetrics.Coverage(split.Test.Labels(), split.Test.RankGroups()));
    }

    [Fact]
    public void Validation_marks_the_latest_share_of_the_training_period_by_time_and_negatives_follow_their_positive()
    {
        using var tmp = new TempFolder();
        DatasetFixtures.WriteTwoUsers(tmp.Path);
        // Training-period times 10, 15, 20, 20, 30, 90, 95; nearest rank of 0.7: ceil(4.9) = 5th = 30; later is validation.
        var split = SampleBuilder.Build(Load(tmp.Path), new EvaluationOptions { ValidationFraction = 0.3 });
        Assert.Equal(new[] { false, false, false, true, true }, Enumerable.Range(0, split.Train.Count).Select(split.Train.IsValidation));
        Assert.False(split.Test.IsValidation(0));
        var column = new MLContext(1).Data.CreateEnumerable<ValidationRow>(new SampleDataView(split.Train), reuseRowObject: false);
        Assert.Equal(new[] { false, false, false, true, true }, column.Select(r => r.IsValidation));

        DatasetFixtures.WriteRaw(tmp.Path,
            DatasetFixtures.ItemsHeader + "x\t\t\ny\t\t\nz\t\t\nw\t\t\nv\t\t\n",
            DatasetFixtures.EventsHeader + "a\t10\tx\t\t1\na\t20\ty\tq1\t1\na\t30\tz\t\t1\nb\t15\tx\t\t1\nb\t25\tw\tq2\t1\n");
        // Training-period times 10, 15, 20, 25; nearest rank of 0.75: 3rd = 20; b@25 and its two negatives are validation.
        var sampled = SampleBuilder.Build(Load(tmp.Path), new EvaluationOptions { ValidationFraction = 0.25, Negatives = 2 });
        Assert.Equal(new[] { "b@25" }, Moments(sampled.Train, sampled.Train.IsValidation));
        Assert.Equal(3, Enumerable.Range(0, sampled.Train.Count).Count(sampled.Train.IsValidation));
        var none = SampleBuilder.Build(Load(tmp.Path), new EvaluationOptions { ValidationFraction = 0, Negatives = 2 });
        Assert.DoesNotContain(true, Enumerable.Range(0, none.Train.Count).Select(none.Train.IsValidation));
    }

    [Fact]
    public void Protocol_section_counts_dropped_events_target_in_history_shares_and_skipped_groups()
    {
        using var tmp = new TempFolder();
        DatasetFixtures.WriteTwoUsers(tmp.Path);
        var options = new EvaluationOptions();
        var p = ProtocolSummary.Describe(SampleBuilder.Build(Load(tmp.Path), options), options);
        Assert.Equal("time", p.Clock);
        Assert.Equal("none", p.NegativeSampling);          // both periods have real label-0 events
        Assert.Equal(2, p.DroppedEventsTrain);             // a@10 and b@15 have no earlier positive
        Assert.Equal(0, p.DroppedEventsTest);
        // Train positives a@20 z, a@30 x, a@90 y, b@95 x: only a@30's x is in its history. Negative a@20 y: not.
        Assert.Equal(0.25, p.PositivesTargetInHistory.Train);
        Assert.Equal(0, p.NegativesTargetInHistory.Train);
        Assert.True(double.IsNaN(p.PositivesTargetInHistory.Test));
        Assert.Equal(1, p.NegativesTargetInHistory.Test);  // a@100 z-: z at a@20
        Assert.Equal(0, p.ValidationSamples);              // 10% of 7 training times: nothing after the 7th (95)
        Assert.Equal("search", p.RankingGroup);            // no test positive, so none lacks a negative in its search
        Assert.Equal(1, p.RankingGroups);                  // a@100 alone, without a positive
        Assert.Equal(1, p.SkippedGroups);
        Assert.Equal(0, p.SkippedPositives);

        var report = new EvaluationReport { Protocol = p };
        using var doc = JsonDocument.Parse(report.ToJson());
        var section = doc.RootElement.GetProperty("protocol");
        Assert.Equal(new[] { "clock", "negative_sampling", "dropped_events_train", "dropped_events_test", "positives_target_in_history",
            "negatives_target_in_history", "validation_samples", "ranking_group", "ranking_groups", "skipped_groups", "skipped_positives", "negatives_not_found" },
            section.EnumerateObject().Select(e => e.Name));
        Assert.Equal(new[] { "train", "test" }, section.GetProperty("positives_target_in_history").EnumerateObject().Select(e => e.Name));
        Assert.Equal(report.ToJson(), EvaluationReport.FromJson(report.ToJson()).ToJson());
        Assert.DoesNotContain("\"protocol\"", new EvaluationReport().ToJson());
    }

    [Fact]
    public void Sampled_negatives_no_longer_mark_a_target_in_history_as_a_positive()
    {
        // Every user repeats items: with the old rule no negative could be in the history; now negatives can.
        using var tmp = new TempFolder();
        var events = new System.Text.StringBuilder(DatasetFixtures.EventsHeader);
        foreach (string user in new[] { "a", "b", "c", "d" })
            for (int t = 1; t <= 12; t++) events.Append($"{user}\t{t}\t{"xyzw"[t % 4]}\t\t1\n");
        DatasetFixtures.WriteRaw(tmp.Path, DatasetFixtures.ItemsHeader + "x\t\t\ny\t\t\nz\t\t\nw\t\t\nv\t\t\n", events.ToString());
        var options = new EvaluationOptions { Negatives = 4, NegativeSampling = NegativeSampling.Uniform };
        var p = ProtocolSummary.Describe(SampleBuilder.Build(Load(tmp.Path), options), options);
        Assert.Equal("uniform", p.NegativeSampling);
        // 48 times, nearest rank ceil(38.4) = 39th = 10: samples at t = 2..10 train, 11 and 12 test. Positives from t = 5
        // on repeat an item of the history: 6 of 9 per user; test positives all do.
        Assert.Equal(6.0 / 9, p.PositivesTargetInHistory.Train, 1e-12);
        Assert.Equal(1, p.PositivesTargetInHistory.Test);
        // A negative is one of the 4 other items, of which 1 (t = 2), 2 (t = 3) or 3 (from t = 4) are in the history:
        // expected (1/4 + 2/4 + 7 * 3/4) / 9 = 2/3 in training, 3/4 in test.
        Assert.InRange(p.NegativesTargetInHistory.Train, 0.55, 0.8);
        Assert.InRange(p.NegativesTargetInHistory.Test, 0.55, 0.95);
    }

    sealed class ValidationRow
    {
        public bool IsValidation { get; set; }
    }
}
