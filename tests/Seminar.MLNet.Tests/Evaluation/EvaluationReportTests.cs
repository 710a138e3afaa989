using System.Text.Json;
using Seminar.MLNet.Evaluation.Reporting;

namespace Seminar.MLNet.Tests.Evaluation;

public class EvaluationReportTests
{
    [Fact]
    public void Report_json_uses_the_contract_field_names()
    {
        var report = new EvaluationReport
        {
            Dataset = "d", Users = 2, Items = 3,
            Samples = new SampleCounts { Train = 4, Test = 5 },
            History = new HistoryStats { Mean = 1.5, Max = 6 },
            Models = { ["fasttree_baseline"] = new ModelReport { Auc = 0.7, Gauc = 0.6, LogLoss = 0.5, HitAt10 = 0.4, NdcgAt10 = 0.3, Mrr = 0.2, TrainSeconds = 1, ScoreMicrosPerRow = 2 } },
            Pq = new PqReport { K = 50, RecallAtK = 0.9, SpeedupVsExact = 8, BytesPerBehaviour = 16 },
            Roundtrip = new RoundtripReport { StockLoadMaxAbsDiff = 1e-6, FastLoadMaxAbsDiff = 0 },
        };
        using var doc = JsonDocument.Parse(report.ToJson());
        var root = doc.RootElement;
        Assert.Equal(new[] { "dataset", "users", "items", "samples", "history", "models", "pq", "roundtrip" }, root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(new[] { "train", "test" }, root.GetProperty("samples").EnumerateObject().Select(p => p.Name));
        Assert.Equal(new[] { "mean", "max" }, root.GetProperty("history").EnumerateObject().Select(p => p.Name));
        var model = root.GetProperty("models").GetProperty("fasttree_baseline");
        Assert.Equal(new[] { "auc", "gauc", "logloss", "hit@10", "ndcg@10", "mrr", "train_seconds", "score_us_per_row" }, model.EnumerateObject().Select(p => p.Name));
        Assert.Equal(0.4, model.GetProperty("hit@10").GetDouble());
        // The contract's four fields first; the measurement behind the speed-up follows.
        Assert.Equal(new[] { "k", "recall@k", "speedup_vs_exact", "bytes_per_behaviour", "exact_bytes_per_behaviour", "exact_us", "pq_us", "requests", "mean_length" },
            root.GetProperty("pq").EnumerateObject().Select(p => p.Name));
        // The contract's two fields first; what was round-tripped follows.
        Assert.Equal(new[] { "stock_load_max_abs_diff", "fast_load_max_abs_diff", "model", "rows" }, root.GetProperty("roundtrip").EnumerateObject().Select(p => p.Name));
        Assert.Equal(report.ToJson(), EvaluationReport.FromJson(report.ToJson()).ToJson());
    }
}
