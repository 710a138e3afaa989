using System.Text.Json;
using Seminar.MLNet.Evaluation.Retrieval;

namespace Seminar.MLNet.Tests.Evaluation;

public class RetrievalBenchTests
{
    [Fact]
    public void The_bench_report_holds_every_setting_length_and_catalog_with_numbers_in_range()
    {
        var options = new RetrievalBenchOptions
        {
            Lengths = new[] { 300, 60 }, CatalogSizes = new[] { 3_000, 6_000 }, Candidates = 4, K = 10, Shortlist = 40, Clusters = 50, Tokens = 200,
            WarmupSeconds = 0, MeasureSeconds = 0, MinSamples = 3, EvictionBytes = 1 << 20, BandwidthBytes = 1 << 20, Seed = 3,
        };
        var report = RetrievalBench.Run(options);
        using var json = JsonDocument.Parse(report.ToJson());
        var root = json.RootElement;
        foreach (string field in new[] { "memory_bandwidth_gbps", "k", "dataset", "code_sets", "byte_scan", "lengths", "vectors", "targets" })
            Assert.True(root.TryGetProperty(field, out _), $"report field {field}");
        Assert.Equal(10, root.GetProperty("k").GetInt32());
        // Whether the framework's precompiled code ran, as the environment set it (the README's tables turn it off).
        Assert.Equal(Environment.GetEnvironmentVariable("DOTNET_ReadyToRun") != "0" && Environment.GetEnvironmentVariable("COMPlus_ReadyToRun") != "0",
            root.GetProperty("ready_to_run").GetBoolean());
        Assert.Equal(16, root.GetProperty("code_bytes_per_item").GetInt32());
        Assert.Equal(256, root.GetProperty("float_bytes_per_item").GetInt32());
        Assert.Equal(16.0, root.GetProperty("code_compression").GetDouble());
        Assert.Contains("clustered synthetic", root.GetProperty("vectors").GetString());

        var entries = root.GetProperty("lengths").EnumerateArray().ToArray();
        var expected = new[] { ("ranking", 3_000, 300), ("ranking", 3_000, 60), ("gather", 3_000, 300), ("gather", 3_000, 60), ("gather", 6_000, 300),
            ("gather", 6_000, 60), ("stored", 3_000, 300), ("stored", 3_000, 60) };
        Assert.Equal(expected, entries.Select(e => (e.GetProperty("setting").GetString()!, e.GetProperty("catalog_items").GetInt32(), e.GetProperty("length").GetInt32())));
        foreach (var e in entries)
        {
            string what = $"{e.GetProperty("setting").GetString()} L = {e.GetProperty("length").GetInt32()}";
            Assert.Equal(e.GetProperty("setting").GetString() == "ranking" ? 4 : 1, e.GetProperty("candidates").GetInt32());
            double exact = e.GetProperty("exact_us").GetDouble(), approximate = e.GetProperty("approximate_us").GetDouble();
            Assert.True(exact > 0 && approximate > 0, $"{what}: times {exact}, {approximate}");
            Assert.Equal(approximate, e.GetProperty("pq_us").GetDouble());
            Assert.True(e.GetProperty("exact_p90_us").GetDouble() >= exact && e.GetProperty("approximate_p90_us").GetDouble() >= approximate, $"{what}: p90 below the median");
            double speedup = e.GetProperty("speedup").GetDouble();
            Assert.True(Math.Abs(speedup - exact / approximate) <= 0.01 * speedup + 0.01, $"{what}: speedup {speedup} against {exact} / {approximate}");
            double recall = e.GetProperty("recall@k").GetDouble();
            Assert.InRange(recall, 0.5, 1.0);
            Assert.Equal(e.GetProperty("length").GetInt32() > 4 * 10, e.GetProperty("recall_counted").GetBoolean());
            Assert.Equal(e.GetProperty("setting").GetString() == "stored", e.GetProperty("evicted").GetBoolean());
            Assert.True(e.GetProperty("samples").GetInt32() >= 3, what);
            Assert.Equal(16, e.GetProperty("code_bytes_per_behaviour").GetInt32());
            Assert.Equal(40 * 256, e.GetProperty("rerank_bytes_per_candidate").GetInt32());
            Assert.Equal(e.GetProperty("setting").GetString() == "ranking" ? 256 : 0, e.GetProperty("rerank_copy_bytes_per_behaviour").GetInt32());
            var stages = e.GetProperty("approximate_stages_us").EnumerateObject().ToArray();
            Assert.Equal(new[] { "gather", "query_parts", "lookup_tables", "scan", "combine", "shortlist", "rerank" }, stages.Select(s => s.Name));
            Assert.All(stages, s => Assert.True(s.Value.GetDouble() >= 0));
            Assert.Equal(e.GetProperty("setting").GetString() == "gather", stages[0].Value.GetDouble() > 0);
            // The outside anchor: the ranking product alone in our kernel and in ONNX Runtime, which agree on the scores.
            bool ranking = e.GetProperty("setting").GetString() == "ranking";
            foreach (string field in new[] { "exact_product_us", "onnx_matmul_us", "onnx_matmul_p90_us", "onnx_matmul_max_abs_diff" })
                Assert.Equal(ranking, e.TryGetProperty(field, out _));
            // The gather setting also times each side alone, and its ratio is theirs.
            bool gather = e.GetProperty("setting").GetString() == "gather";
            foreach (string field in new[] { "exact_alone_us", "approximate_alone_us", "speedup_alone" })
                Assert.Equal(gather, e.TryGetProperty(field, out _));
            if (gather)
            {
                double exactAlone = e.GetProperty("exact_alone_us").GetDouble(), approximateAlone = e.GetProperty("approximate_alone_us").GetDouble();
                Assert.True(exactAlone > 0 && approximateAlone > 0, what);
                Assert.Equal(Math.Round(exactAlone / approximateAlone, 3), e.GetProperty("speedup_alone").GetDouble(), 0.01 * exactAlone / approximateAlone + 0.01);
            }
            Assert.Equal(ranking, e.TryGetProperty("coarse_partition", out _));
            // Ranking and stored also re-rank on a per-user byte copy, timed in a run of its own.
            Assert.Equal(!gather, e.TryGetProperty("int8_rerank", out var bytes));
            if (!gather)
            {
                Assert.Equal(64, bytes.GetProperty("bytes_per_behaviour").GetInt32());
                Assert.InRange(bytes.GetProperty("recall@k").GetDouble(), 0.5, 1.0);
                double exactRun = bytes.GetProperty("exact_us").GetDouble(), onBytes = bytes.GetProperty("approximate_us").GetDouble();
                Assert.True(exactRun > 0 && onBytes > 0 && bytes.GetProperty("approximate_p90_us").GetDouble() >= onBytes && bytes.GetProperty("rerank_us").GetDouble() >= 0, what);
                Assert.Equal(Math.Round(exactRun / onBytes, 3), bytes.GetProperty("speedup").GetDouble(), 0.01 * exactRun / onBytes + 0.01);
                var byteStages = bytes.GetProperty("stages_us").EnumerateObject().ToArray();
                Assert.Equal(stages.Select(s => s.Name), byteStages.Select(s => s.Name));
                Assert.Equal(bytes.GetProperty("rerank_us").GetDouble(), byteStages[^1].Value.GetDouble());
            }
            if (ranking)
            {
                Assert.True(e.GetProperty("exact_product_us").GetDouble() > 0 && e.GetProperty("onnx_matmul_us").GetDouble() > 0, what);
                Assert.InRange(e.GetProperty("onnx_matmul_max_abs_diff").GetDouble(), 0, 1e-4);
                // Visiting more cells scans more and finds more; every cell holds a behaviour of the history.
                var partition = e.GetProperty("coarse_partition");
                Assert.Equal(1_024, partition.GetProperty("catalog_cells").GetInt32());
                int cells = partition.GetProperty("cells").GetInt32();
                Assert.InRange(cells, 1, e.GetProperty("length").GetInt32());
                var curve = partition.GetProperty("curve").EnumerateArray().Select(p => (Cells: p.GetProperty("cells_visited").GetInt32(),
                    Scanned: p.GetProperty("scanned_share").GetDouble(), Recall: p.GetProperty("recall@k").GetDouble())).ToArray();
                Assert.Equal(7, curve.Length);
                for (int i = 1; i < curve.Length; i++)
                    Assert.True(curve[i].Cells >= curve[i - 1].Cells && curve[i].Scanned >= curve[i - 1].Scanned && curve[i].Recall >= curve[i - 1].Recall, $"{what}: curve point {i}");
                Assert.All(curve, p => Assert.True(p.Cells <= cells && p.Scanned is > 0 and <= 1 && p.Recall is >= 0 and <= 1, what));
                int atRecall = partition.GetProperty("cells_at_recall_0_95").GetInt32();
                Assert.InRange(atRecall, 1, cells);
                Assert.InRange(partition.GetProperty("scanned_share_at_recall_0_95").GetDouble(), 0, 1);
            }
        }
        // A shortlist of 40 out of 60 behaviours keeps nearly everything: its recall is near 1.
        Assert.All(entries.Where(e => e.GetProperty("length").GetInt32() == 60), e => Assert.True(e.GetProperty("recall@k").GetDouble() >= 0.9));

        var targets = root.GetProperty("targets").EnumerateArray().ToArray();
        Assert.Equal(5, targets.Length);
        // None of the measured lengths or catalogs is a target's: unmeasured targets read 0 and are not met.
        Assert.All(targets[..4], t => Assert.False(t.GetProperty("met").GetBoolean()));
        Assert.All(targets, t => Assert.False(t.TryGetProperty("rerank", out _)));
        Assert.Equal(16.0, targets[4].GetProperty("measured").GetDouble());
        Assert.True(targets[4].GetProperty("met").GetBoolean());
    }

    [Fact]
    public void A_target_takes_the_faster_re_rank_that_keeps_the_recall()
    {
        static RetrievalBenchLength Stored(int length, double speedup, double recall, double bytesSpeedup, double bytesRecall) => new()
        {
            Setting = "stored", Length = length, CatalogItems = 100_000, Speedup = speedup, Recall = recall,
            ByteRerank = new ByteRerankEntry { Speedup = bytesSpeedup, Recall = bytesRecall },
        };
        var report = new RetrievalBenchReport { CodeCompression = 16 };
        report.Lengths.Add(Stored(10_000, 2.0, 0.99, 3.1, 0.96));
        report.Lengths.Add(Stored(100_000, 4.0, 0.99, 6.0, 0.90));
        var targets = RetrievalBench.Targets(report, new RetrievalBenchOptions());
        // L = 10,000: the bytes meet 3x and keep the recall.
        Assert.Equal((3.1, 0.96, "int8", true), (targets[2].Measured, targets[2].Recall, targets[2].Rerank, targets[2].Met));
        // L = 100,000: the bytes are faster but lose the recall, so the floats' 4x stands, short of 5x.
        Assert.Equal((4.0, 0.99, "float", false), (targets[3].Measured, targets[3].Recall, targets[3].Rerank, targets[3].Met));
        Assert.Equal((0.0, (double?)null, (string?)null, false), (targets[0].Measured, targets[0].Recall, targets[0].Rerank, targets[0].Met));
    }

    [Fact]
    public void The_partition_probe_finds_the_top_in_the_cell_that_holds_it_and_counts_the_cells_behaviours()
    {
        // Three catalog cells; the history holds two behaviours of cell 2 (far along +x), three of cell 0 (along -x)
        // and one of cell 1 (along +y). Request vector +x: its top-2 are cell 2's, the best cell by its mean.
        int d = 2;
        var cellOf = new[] { 0, 1, 2, 0, 2 };
        var items = new[] { 0, 2, 3, 1, 4, 0 };
        var rows = new float[] { -1, 0, 5, 0, -1, 0.1f, 0, 1, 4, 0, -1, -0.1f };
        var exactTop = new[] { 1, 4 };
        var entry = CoarsePartitionProbe.Measure(cellOf, 3, items, rows, d, new float[] { 1, 0 }, 1, exactTop, 2);
        Assert.Equal(3, entry.Cells);
        Assert.Equal(1, entry.CellsAtRecall95);
        Assert.Equal(Math.Round(2.0 / 6, 4), entry.ScannedShareAtRecall95);
        // The curve's first point (1% of 3 cells rounds to one cell): everything found in a third of the history.
        Assert.Equal((1, Math.Round(2.0 / 6, 4), 1.0), (entry.Curve[0].CellsVisited, entry.Curve[0].ScannedShare, entry.Curve[0].Recall));

        // Request vectors -x and +x: -x's top-2 are two of cell 0's three behaviours, and cell 0 is its best cell.
        entry = CoarsePartitionProbe.Measure(cellOf, 3, items, rows, d, new float[] { -1, 0, 1, 0 }, 2, new[] { 0, 5, 1, 4 }, 2);
        Assert.Equal(1, entry.CellsAtRecall95);
        // Averaged over both: cell 0 holds half of the history, cell 2 a third.
        Assert.Equal(Math.Round((3.0 / 6 + 2.0 / 6) / 2, 4), entry.ScannedShareAtRecall95);

        // Request vector (0.1, 1): its top-2 lie in cells 1 and 2, its two best: one cell finds half, 0.95 takes both (half the history).
        entry = CoarsePartitionProbe.Measure(cellOf, 3, items, rows, d, new float[] { 0.1f, 1 }, 1, new[] { 3, 1 }, 2);
        Assert.Equal(0.5, entry.Curve[0].Recall);
        Assert.Equal(2, entry.CellsAtRecall95);
        Assert.Equal(Math.Round(3.0 / 6, 4), entry.ScannedShareAtRecall95);
    }

    [Fact]
    public void Options_out_of_range_are_refused_with_their_name()
    {
        Assert.Equal("SubSpaces", Assert.Throws<ArgumentOutOfRangeException>(() => new RetrievalBenchOptions { SubSpaces = 33 }.Validate()).ParamName);
        Assert.Equal("Shortlist", Assert.Throws<ArgumentOutOfRangeException>(() => new RetrievalBenchOptions { Shortlist = 10 }.Validate()).ParamName);
        Assert.Equal("CatalogSizes", Assert.Throws<ArgumentOutOfRangeException>(() => new RetrievalBenchOptions { CatalogSizes = new[] { 1 } }.Validate()).ParamName);
        Assert.Equal("CoarseCells", Assert.Throws<ArgumentOutOfRangeException>(() => new RetrievalBenchOptions { CoarseCells = 1 }.Validate()).ParamName);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new RetrievalBenchOptions { Dimension = 60 }.Validate());
        Assert.Contains("The sub-spaces (32) must divide the dimension (60).", error.Message);
    }

    [Fact]
    public void The_ONNX_Runtime_anchor_computes_the_relevance_product()
    {
        const int n = 37, d = 8, c = 3;
        var random = new Random(4);
        var rows = Enumerable.Range(0, n * d).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        var sets = Enumerable.Range(0, 2).Select(_ => Enumerable.Range(0, c * d).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray()).ToArray();
        using var anchor = new OnnxMatMulAnchor(rows, n, d, sets, c);
        for (int set = 0; set < sets.Length; set++)
        {
            anchor.Run(set);
            for (int j = 0; j < c; j++)
                for (int l = 0; l < n; l++)
                {
                    double expected = 0;
                    for (int i = 0; i < d; i++) expected += (double)sets[set][j * d + i] * rows[l * d + i];
                    Assert.True(Math.Abs(anchor.Scores[j * n + l] - expected) <= 1e-5, $"set {set}, candidate {j}, behaviour {l}: {anchor.Scores[j * n + l]} against {expected}");
                }
        }
        var error = Assert.Throws<ArgumentException>(() => new OnnxMatMulAnchor(rows, n, d, new[] { new float[5] }, c));
        Assert.Contains("A request set holds 5 values; [3, 8] needs 24", error.Message);
    }
}
