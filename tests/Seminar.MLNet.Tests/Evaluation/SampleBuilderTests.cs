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
        // Real labels: ranking groups are users.
        Assert.Equal(new[] { 0, 0, 0, 0, 1 }, split.Train.RankGroups());
    }

    [Fact]
    public void Without_label_0_events_each_positive_gets_seeded_negatives_the_user_never_engaged_with()
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

        var engaged = new Dictionary<string, string[]> { ["a"] = new[] { "x", "y", "z" }, ["b"] = new[] { "x", "w" } };
        foreach (var set in new[] { split.Train, split.Test })
            for (int i = 0; i < set.Count; i++)
            {
                if (set.Label(i)) continue;
                var positive = Enumerable.Range(0, set.Count).Single(p => set.Label(p) && set.RankGroup(p) == set.RankGroup(i));
                Assert.Equal(set.Time(positive), set.Time(i));
                Assert.Equal(set.Query(positive), set.Query(i));
                Assert.DoesNotContain(log.ItemIds[set.Item(i)], engaged[log.UserIds[set.User(i)]]);
            }
        var again = SampleBuilder.Build(log, options);
        Assert.Equal(Describe(split.Train), Describe(again.Train));
        Assert.Equal(Describe(split.Test), Describe(again.Test));
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
        // user a engaged with all three items (none to draw, counted), user b gets y.
        Assert.True(split.TrainNegativesSampled);
        Assert.Equal(new[] { "a@30:x+", "a@90:y+", "b@95:x+", "b@95:y-" }, Describe(split.Train));
        Assert.Equal(2, split.NegativesNotFound);
        Assert.Equal(2, split.Train.History(0).Length);
    }

    [Fact]
    public void Bad_options_and_degenerate_splits_give_clear_errors()
    {
        Assert.Contains("Split quantile", Assert.Throws<ArgumentOutOfRangeException>(() => new EvaluationOptions { SplitQuantile = 1 }.Validate()).Message);
        Assert.Contains("Train-from", Assert.Throws<ArgumentOutOfRangeException>(() => new EvaluationOptions { TrainFromQuantile = 0.9 }.Validate()).Message);
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
