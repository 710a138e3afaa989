using System.Text.Json;
using Seminar.MLNet.Evaluation.Reporting;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Cli;

[Collection(CliCollection.Name)]
public class CliTests
{
    [Trait("Category", "Slow")]
    [Fact]
    public void Generate_then_evaluate_writes_a_report_with_finite_metrics_in_range()
    {
        using var tmp = new TempFolder();
        string data = tmp.File("data"), report = tmp.File("out/report.json");
        var (code, output) = CliRunner.Run("generate", "--output", data, "--users", "40", "--items", "300", "--history", "120", "--seed", "3");
        Assert.True(code == 0, output);
        Assert.Contains("40 users, 300 items", output);

        // Every model with small networks: EvaluatorTests. Here the CLI's plumbing, on the default networks.
        (code, output) = CliRunner.Run("evaluate", "--data", data, "--report", report, "--output", tmp.File("models"),
            "--models", "fasttree_baseline,seminar_neural,fasttree_seminar,fasttree_seminar_pq", "seminar_no_query", "sdim");
        Assert.True(code == 0, output);
        var r = EvaluationReport.FromJson(File.ReadAllText(report));
        Assert.Equal(40, r.Users);
        Assert.Equal(new[] { "fasttree_baseline", "seminar_neural", "fasttree_seminar", "fasttree_seminar_pq", "seminar_no_query", "sdim" }, r.Models.Keys);
        foreach (var (name, m) in r.Models)
        {
            Assert.Contains(name, output);
            Assert.True(File.Exists(tmp.File($"models/{name}.zip")), name);
            foreach (var v in new[] { m.Auc, m.Gauc, m.HitAt10, m.NdcgAt10, m.Mrr }) Assert.InRange(v, 0.0, 1.0);
            Assert.True(double.IsFinite(m.LogLoss) && m.LogLoss > 0, $"{name} LogLoss {m.LogLoss}");
            Assert.True(m.Auc > 0.55, $"{name} AUC {m.Auc}");
            Assert.True(m.TrainSeconds > 0 && m.ScoreMicrosPerRow > 0, name);
        }
        Assert.Contains("SEMINAR pretraining", output);
        var pq = r.Pq!;
        Assert.Equal(50, pq.K);
        // Recall counts only test histories longer than 4K = 200 behaviours; this data has none, so it is NaN and printed as
        // such, and the recall over all lengths stands beside it.
        Assert.Equal(201, pq.RecallMinLength);
        Assert.Equal(0, pq.RecallRequests);
        Assert.True(double.IsNaN(pq.RecallAtK), $"recall {pq.RecallAtK}");
        Assert.Contains("recall@50 n/a (no history longer than 4K)", output);
        Assert.InRange(pq.RecallAllLengths, 0.5, 1.0);
        Assert.Equal(pq.Requests, pq.RecallByLength.Sum(b => b.Requests));
        Assert.True(pq.SpeedupVsExact > 0 && double.IsFinite(pq.SpeedupVsExact), $"speed-up {pq.SpeedupVsExact}");
        Assert.Equal(16, pq.BytesPerBehaviour); // the item's 32 4-bit codes; the query part is exact, nothing is stored per behaviour
        Assert.Equal(16, pq.BytesPerItem);
        Assert.Equal(4 * 64, pq.ExactBytesPerBehaviour);
        Assert.True(pq.Requests > 0 && pq.ExactMicroseconds > 0 && pq.PqMicroseconds > 0);
        var curves = r.Curves!;
        Assert.Equal(new[] { 100, 1_000, 10_000 }, curves.Lengths.Select(p => p.Length));
        Assert.All(curves.Lengths, p => Assert.True(p.ExactMicroseconds > 0 && p.PqMicroseconds > 0
            && (p.Length > 200 ? p.Recall is >= 0.5 and <= 1 : double.IsNaN(p.Recall)), $"length {p.Length}: recall {p.Recall}"));
        Assert.Equal(new[] { 10, 20, 50, 100, 200 }, curves.Recall.Select(p => p.K));
        Assert.All(curves.Recall, p => Assert.True(p.Requests == 0 ? double.IsNaN(p.Recall) : p.Recall is >= 0 and <= 1, $"K = {p.K}"));
        Assert.All(curves.Recall, p => Assert.InRange(p.RecallAllLengths, 0.0, 1.0));
        foreach (string png in new[] { "auc_by_model.png", "cost_vs_length.png", "recall_vs_k.png" })
        {
            Assert.Contains(png, output);
            Assert.True(new FileInfo(tmp.File("out/" + png)).Length > 10_000, png);
        }
        var roundtrip = r.Roundtrip!;
        Assert.Equal("fasttree_seminar_pq", roundtrip.Model);
        Assert.Equal(r.Samples.Test, roundtrip.Rows);
        Assert.InRange(roundtrip.StockLoadMaxAbsDiff, 0.0, 1e-4);
        Assert.Contains("loaded with stock Model.Load", output);
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        // Measured by loading the same zip with Seminar().LoadModel: the C# stages score as the fitted ones.
        Assert.InRange(doc.RootElement.GetProperty("roundtrip").GetProperty("fast_load_max_abs_diff").GetDouble(), 0.0, 1e-5);
        Assert.Contains("fast-loaded (Seminar().LoadModel, C# stages) within", output);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void Convert_then_evaluate_ml100k_scores_real_labels_well_above_chance()
    {
        using var tmp = new TempFolder();
        string data = tmp.File("ml-100k"), report = tmp.File("ml-100k.json");
        var (code, output) = CliRunner.Run("convert", "--from", "recbole", "--input", RepositoryPaths.Dataset("ml-100k"), "--output", data);
        Assert.True(code == 0, output);
        Assert.Contains("1,682 items, 943 users, 100,000 events (55,375 positive)", output);

        // The SEMINAR models on ml-100k take minutes: the README gives that run; here the baseline checks the plumbing.
        (code, output) = CliRunner.Run("evaluate", "--data", data, "--report", report, "--models", "fasttree_baseline");
        Assert.True(code == 0, output);
        var r = EvaluationReport.FromJson(File.ReadAllText(report));
        Assert.Equal(new[] { "fasttree_baseline" }, r.Models.Keys);
        Assert.Equal("ml-100k", r.Dataset);
        Assert.Equal(1682, r.Items);
        // Real labels (rating >= 4): nothing sampled, and every test sample is a real rating after the split.
        Assert.DoesNotContain("sampled negatives", output);
        Assert.True(r.Samples.Test > 15_000 && r.Samples.Train > 70_000, $"{r.Samples.Train} / {r.Samples.Test}");
        var m = r.Models["fasttree_baseline"];
        Assert.InRange(m.Auc, 0.65, 0.95);
        Assert.InRange(m.LogLoss, 0.3, 0.69);
    }

    [Fact]
    public void Bad_input_gives_one_error_line_and_exit_code_1()
    {
        using var tmp = new TempFolder();
        var (code, output) = CliRunner.Run("evaluate", "--data", tmp.File("missing"), "--models", "fasttree_baseline");
        Assert.Equal(1, code);
        Assert.Contains("error: Dataset folder", output);
        Assert.DoesNotContain("   at ", output);

        DatasetFixtures.WriteRaw(tmp.Path, DatasetFixtures.ItemsHeader + "x\t\t\n", DatasetFixtures.EventsHeader + "a\tnoon\tx\t\t1\n");
        (code, output) = CliRunner.Run("evaluate", "--data", tmp.Path, "--strict");
        Assert.Equal(1, code);
        Assert.Contains("events.tsv:2: timestamp 'noon' is not an integer", output);
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliCollection
{
    public const string Name = "CLI (console redirection is process-wide)";
}
