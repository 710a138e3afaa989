using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Evaluation;

public class SampleBuilderTests
{
    static EventLog Load(string folder) => EventLog.Load(CanonicalDataset.Open(folder));

    static string[] Describe(SampleSet s) => Enumerable.Range(0, s.Count)
        .Select(i => $"{s.Log.UserIds[s.User(i)]}@{s.Time(i)}:{s.Log.ItemIds[s.Item(i)]}{(s.Label(i) ? "+" : "-")}").ToArray();

    [Fact]
    public void Time_split_lifelong_histories_and_count_features_match_a_hand_worked_example()
    {
        using var tmp = new TempFolder();
        DatasetFixtures.WriteTwoUsers(tmp.Path);
        var log = Load(tmp.Path);
        Assert.True(log.HasNegatives);
        var split = SampleBuilder.Build(log, new EvaluationOptions());

        Assert.Equal(95, split.SplitTime);
        Assert.False(split.TrainNegativesSampled || split.TestNegativesSampled);
        // First events of each user have no earlier positive; y- at 20 is not history for z+ at 20.
        Assert.Equal(new[] { "a@20:y-", "a@20:z+", "a@30:x+", "a@90:y+", "b@95:x+" }, Describe(split.Train));
        Assert.Equal(new[] { "a@100:z-" }, Describe(split.Test));

        string[] History(SampleSet s, int i) => s.History(i).ToArray().Select(e => $"{log.ItemIds[log.Item[e]]}@{log.Time[e]}").ToArray();
        Assert.Equal(new[] { "x@10" }, History(split.Train, 1));
        Assert.Equal(new[] { "x@10", "z@20" }, History(split.Train, 2));
        Assert.Equal(new[] { "x@10", "z@20", "x@30", "y@90" }, History(split.Test, 0));

        // a@30 x+: 2 earlier positives (x, z), x once among them; x's attributes cat_shoe (1) + brand_a (2) over 2 = 1.5;
        // x had one positive before 30 (a@10); user had 2 positives in 3 events -> 3/5.
        float[] F(SampleSet s, int i) => Enumerable.Range(0, BaselineFeatures.Names.Length).Select(f => s.Feature(i, f)).ToArray();
        Assert.Equal(new[] { 2f, 1f, 1.5f, 1f, 0.6f }, F(split.Train, 2));
        // a@20 z+: z popular once before (b@15), brand_a shared with x -> share 1; 1 positive in 1 event -> 2/3.
        Assert.Equal(new[] { 1f, 0f, 1f, 1f, 2f / 3f }, F(split.Train, 1));
        // a@100 z-: 4 positives in 5 events, z once; z = cat_hat (1) + brand_a (3) over 4 = 1; z positives before 100: b@15, a@20.
        Assert.Equal(new[] { 4f, 1f, 1f, 2f, 5f / 7f }, F(split.Test, 0));
        // Real labels: as searches (user, time, query) a@20's y ("shoe") and z ("hat") would be two, and no positive would
        // have a negative in its search, so the groups are users.
        Assert.Equal(RankingGroupKind.User, split.Train.GroupKind);
        Assert.Equal(new[] { 0, 0, 0, 0, 1 }, split.Train.RankGroups());
    }

    [Fact]
    public void Without_label_0_events_each_positive_gets_seeded_negatives_at_its_time_and_query()
    {
        using var tmp = new TempFolder();
        DatasetFixtures.WriteRaw(tmp.Path,
            DatasetFixtures.ItemsHeader + "x\t\t\ny\t\t\nz\t\t\nw\t\t\nv\t\t\n",
            DatasetFixtures.EventsHeader + "a\t10\tx\t\t1\na\t20\ty\tq1\t1\na\t30\tz\t\t1\nb\t15\tx\t\t1\nb\t25\tw\tq2\t1\n");
        var log = Load(tmp.Path);
        var options = new EvaluationOptions { Negatives = 2, Seed = 3 };
        var split = SampleBuilder.Build(log, options);
        Assert.True(split.TrainNegativesSampled && split.TestNegativesSampled);
        Assert.Equal(25, split.SplitTime);
        Assert.Equal(6, split.Train.Count);   // a@20 y, b@25 w, each with 2 negatives
        Assert.Equal(3, split.Test.Count);    // a@30 z with 2 negatives

        foreach (var set in new[] { split.Train, split.Test })
            for (int i = 0; i < set.Count; i++)
            {
                if (set.Label(i)) continue;
                var positive = Enumerable.Range(0, set.Count).Single(p => set.Label(p) && set.RankGroup(p) == set.RankGroup(i));
                Assert.Equal(set.Time(positive), set.Time(i));
                Assert.Equal(set.Query(positive), set.Query(i));
                Assert.NotEqual(set.Item(positive), set.Item(i));
            }
        var again = SampleBuilder.Build(log, options);
        Assert.Equal(Describe(split.Train), Describe(again.Train));
        Assert.Equal(Describe(split.Test), Describe(again.Test));
    }

    [Theory]
    [InlineData(NegativeSampling.Popularity)]
    [InlineData(NegativeSampling.Uniform)]
    public void A_sampled_negative_can_be_a_later_engagement_or_a_history_item_but_never_one_of_its_event_group(NegativeSampling sampling)
    {
        // The old rule excluded every item the user ever engaged with: a test-period engagement leaked into training,
        // and a target already in the history meant label 1. Now only what the user engages with at that time is excluded.
        using var tmp = new TempFolder();
        DatasetFixtures.WriteRaw(tmp.Path,
            DatasetFixtures.ItemsHeader + "x\t\t\ny\t\t\nz\t\t\nw\t\t\nv\t\t\n",
            DatasetFixtures.EventsHeader +
            "a\t10\tx\t\t1\na\t20\ty\tq1\t1\na\t30\tz\t\t1\n" +
            "b\t1\tv\t\t1\nb\t2\tx\t\t1\nb\t2\ty\t\t1\nb\t2\tz\t\t1\nb\t2\tw\t\t1\nb\t40\tv\t\t1\n");
        var log = Load(tmp.Path);
        var split = SampleBuilder.Build(log, new EvaluationOptions { Negatives = 60, Seed = 5, NegativeSampling = sampling, SplitQuantile = 0.75 });
        string[] Negatives(SampleSet set, string user, long time) => Enumerable.Range(0, set.Count)
            .Where(i => !set.Label(i) && log.UserIds[set.User(i)] == user && set.Time(i) == time).Select(i => log.ItemIds[set.Item(i)]).ToArray();

        var a20 = Negatives(split.Train, "a", 20);
        Assert.Equal(60, a20.Length);
        Assert.DoesNotContain("y", a20);  // the positive itself
        Assert.Contains("x", a20);        // already in a's history
        Assert.Contains("z", a20);        // a engages with z later (a@30, the test period)
        // b's positives at 2 are one event group holding x, y, z and w: each of their negatives can only be v,
        // the item b engaged with before (b@1) and again later (b@40).
        var b2 = Negatives(split.Train, "b", 2);
        Assert.Equal(4 * 60, b2.Length);
        Assert.All(b2, item => Assert.Equal("v", item));
        Assert.Equal(0, split.NegativesNotFound);
    }

    [Fact]
    public void Popularity_sampling_draws_items_by_their_positives_strictly_before_the_time_plus_one()
    {
        using var tmp = new TempFolder();
        DatasetFixtures.WriteRaw(tmp.Path,
            DatasetFixtures.ItemsHeader + "x\t\t\ny\t\t\nz\t\t\nw\t\t\n",
            DatasetFixtures.EventsHeader + "b\t1\tx\t\t1\nc\t2\tx\t\t1\nd\t3\tx\t\t1\ne\t4\ty\t\t1\nf\t5\tx\t\t1\nf\t5\tz\t\t0\n");
        var log = Load(tmp.Path);
        Assert.Equal(NegativeSampling.Popularity, new EvaluationOptions().NegativeSampling);
        const int draws = 40_000;
        double[] Shares(NegativeSampling mode, params int[] excluded)
        {
            var sampler = new NegativeSampler(log, mode, seed: 7);
            var counts = new int[log.ItemIds.Length];
            for (int d = 0; d < draws; d++) counts[sampler.Draw(5, excluded)]++;
            return counts.Select(c => (double)c / draws).ToArray();
        }
        int x = Array.IndexOf(log.ItemIds, "x"), y = Array.IndexOf(log.ItemIds, "y");
        // Before time 5: x three positives, y one (f@5 is not before 5; a label-0 event never counts).
        // Weights x 3+1, y 1+1, z 1, w 1 of 8.
        AssertShares(new[] { 0.5, 0.25, 0.125, 0.125 }, Shares(NegativeSampling.Popularity));
        // Excluding x leaves y 2, z 1, w 1 of 4.
        AssertShares(new[] { 0, 0.5, 0.25, 0.25 }, Shares(NegativeSampling.Popularity, x));
        AssertShares(new[] { 0.25, 0.25, 0.25, 0.25 }, Shares(NegativeSampling.Uniform));
        AssertShares(new[] { 0, 0, 0.5, 0.5 }, Shares(NegativeSampling.Uniform, x, y));
        Assert.Equal(-1, new NegativeSampler(log, NegativeSampling.Popularity, 1).Draw(5, new[] { 0, 1, 2, 3 }));
    }

    static void AssertShares(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.InRange(actual[i], expected[i] - 0.015, expected[i] + 0.015);
    }

    [Fact]
    public void A_period_without_label_0_events_gets_sampled_negatives_while_the_other_keeps_its_real_ones()
    {
        // A search log: browsing history is all positive; shown-but-not-clicked candidates come only at the end.
        using var tmp = new TempFolder();
        DatasetFixtures.WriteRaw(tmp.Path,
            DatasetFixtures.ItemsHeader + "x\t\t\ny\t\t\nz\t\t\nw\t\t\nv\t\t\n",
            DatasetFixtures.EventsHeader + "a\t1\tx\t\t1\na\t2\ty\t\t1\na\t3\tz\t\t1\na\t4\tx\t\t1\na\t9\tw\tq\t1\na\t9\tv\tq\t0\n");
        var split = SampleBuilder.Build(Load(tmp.Path), new EvaluationOptions { Negatives = 1, SplitQuantile = 0.6 });
        Assert.Equal(4, split.SplitTime);
        Assert.True(split.TrainNegativesSampled);
        Assert.False(split.TestNegativesSampled);
        Assert.Equal(new[] { "a@2:y+", "a@3:z+", "a@4:x+" }, Describe(split.Train).Where(d => d.EndsWith('+')));
        Assert.Equal(6, split.Train.Count);
        Assert.Equal(new[] { "a@9:w+", "a@9:v-" }, Describe(split.Test));
    }

    [Fact]
    public void Train_from_quantile_keeps_old_behaviour_as_history_only()
    {
        using var tmp = new TempFolder();
        DatasetFixtures.WriteTwoUsers(tmp.Path);
        var log = Load(tmp.Path);
        var split = SampleBuilder.Build(log, new EvaluationOptions { TrainFromQuantile = 0.6, Negatives = 1 });
        Assert.Equal(30, split.TrainFromTime);
        Assert.Equal(new[] { "a@30:x+", "a@90:y+", "b@95:x+" }, Describe(split.Train).Where(d => d.EndsWith('+')));
        // The only label-0 event of the training period (a@20) is before the window, so the window samples its negatives:
        // one per positive, any item but the positive itself.
        Assert.True(split.TrainNegativesSampled);
        Assert.Equal(6, split.Train.Count);
        Assert.Equal(0, split.NegativesNotFound);
        Assert.Equal(2, split.Train.History(0).Length);
    }

    [Fact]
    public void Bad_options_and_degenerate_splits_give_clear_errors()
    {
        Assert.Contains("Split quantile", Assert.Throws<ArgumentOutOfRangeException>(() => new EvaluationOptions { SplitQuantile = 1 }.Validate()).Message);
        Assert.Contains("Train-from", Assert.Throws<ArgumentOutOfRangeException>(() => new EvaluationOptions { TrainFromQuantile = 0.9 }.Validate()).Message);
        Assert.Contains("Validation fraction", Assert.Throws<ArgumentOutOfRangeException>(() => new EvaluationOptions { ValidationFraction = 1 }.Validate()).Message);
        Assert.Contains("Unknown negative sampling", Assert.Throws<ArgumentOutOfRangeException>(() => new EvaluationOptions { NegativeSampling = (NegativeSampling)9 }.Validate()).Message);
        using var tmp = new TempFolder();
        DatasetFixtures.WriteRaw(tmp.Path, DatasetFixtures.ItemsHeader + "x\t\t\n", DatasetFixtures.EventsHeader + "a\t1\tx\t\t1\na\t1\tx\t\t1\n");
        var e = Assert.Throws<InvalidOperationException>(() => SampleBuilder.Build(Load(tmp.Path), new EvaluationOptions()));
        Assert.Contains("No training samples", e.Message);
        DatasetFixtures.WriteRaw(tmp.Path, DatasetFixtures.ItemsHeader, DatasetFixtures.EventsHeader);
        Assert.Contains("no usable events", Assert.Throws<DatasetFormatException>(() => Load(tmp.Path)).Message);
    }

    [Fact]
    public void Data_view_streams_truncated_histories_in_the_column_contract()
    {
        using var tmp = new TempFolder();
        DatasetFixtures.WriteTwoUsers(tmp.Path);
        var split = SampleBuilder.Build(Load(tmp.Path), new EvaluationOptions { MaxHistory = 2 });
        var view = new SampleDataView(split.Test);
        var ml = new MLContext(1);
        var row = ml.Data.CreateEnumerable<ContractRow>(view, reuseRowObject: false).Single();
        Assert.Equal("a", row.UserId);
        Assert.Equal("z", row.TargetItem);
        Assert.False(row.Label);
        Assert.Equal(new[] { "x", "y" }, row.HistoryItems);
        Assert.Equal(new[] { "red shoe", "" }, row.HistoryQueries);
        Assert.Equal(new long[] { 30, 90 }, row.HistoryTimestamps);
        Assert.Equal(4f, row.HistoryLength); // the count feature stays lifelong
        Assert.Equal(1L, view.GetRowCount());
    }

    sealed class ContractRow
    {
        public string UserId { get; set; } = "";
        public string TargetItem { get; set; } = "";
        public bool Label { get; set; }
        public string[] HistoryItems { get; set; } = Array.Empty<string>();
        public string[] HistoryQueries { get; set; } = Array.Empty<string>();
        public long[] HistoryTimestamps { get; set; } = Array.Empty<long>();
        public float HistoryLength { get; set; }
    }
}
