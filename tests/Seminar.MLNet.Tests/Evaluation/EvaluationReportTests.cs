using System.Text.Json;
using Seminar.MLNet.Evaluation.Reporting;
using Seminar.MLNet.Evaluation.Statistics;

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
        Assert.Equal(new[] { "dataset", "users", "items", "samples", "history", "torch_threads", "models", "pq", "roundtrip", "comparisons" }, root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(new[] { "train", "test" }, root.GetProperty("samples").EnumerateObject().Select(p => p.Name));
        Assert.Equal(new[] { "mean", "max" }, root.GetProperty("history").EnumerateObject().Select(p => p.Name));
        var model = root.GetProperty("models").GetProperty("fasttree_baseline");
        Assert.Equal(new[]
        {
            "auc", "gauc", "logloss", "hit@10", "ndcg@10", "mrr", "train_seconds", "score_us_per_row",
            "seeds", "auc_std", "gauc_std", "logloss_std", "hit@10_std", "ndcg@10_std", "mrr_std",
        }, model.EnumerateObject().Select(p => p.Name));
        Assert.Equal(0.4, model.GetProperty("hit@10").GetDouble());
        // The contract's four fields first; the measurement behind the speed-up follows.
        Assert.Equal(new[] { "k", "recall@k", "speedup_vs_exact", "bytes_per_behaviour", "bytes_per_item", "exact_bytes_per_behaviour", "exact_us", "pq_us", "requests", "mean_length",
                "recall_min_length", "recall_requests", "recall_all_lengths", "recall_by_length" },
            root.GetProperty("pq").EnumerateObject().Select(p => p.Name));
        // The contract's two fields first; what was round-tripped follows.
        Assert.Equal(new[] { "stock_load_max_abs_diff", "fast_load_max_abs_diff", "model", "rows" }, root.GetProperty("roundtrip").EnumerateObject().Select(p => p.Name));
        Assert.Equal(report.ToJson(), EvaluationReport.FromJson(report.ToJson()).ToJson());
    }

    [Fact]
    public void Report_json_of_a_two_seed_run_has_means_stds_and_comparisons()
    {
        // Two seeds of two models: AUC 0.70/0.72 and 0.73/0.77.
        var baseline = new[] { new ModelReport { Auc = 0.70, LogLoss = 0.60 }, new ModelReport { Auc = 0.72, LogLoss = 0.58 } };
        var seminar = new[] { new ModelReport { Auc = 0.73, LogLoss = 0.57 }, new ModelReport { Auc = 0.77, LogLoss = 0.57 } };
        var report = new EvaluationReport
        {
            Models = { ["fasttree_baseline"] = SeedComparisons.Aggregate(baseline), ["fasttree_seminar"] = SeedComparisons.Aggregate(seminar) },
            Comparisons = SeedComparisons.Compare(new[]
            {
                new SeedRuns("fasttree_baseline", baseline, new[] { new[] { 0.6f, 0.4f }, new[] { 0.6f, 0.4f } }),
                new SeedRuns("fasttree_seminar", seminar, new[] { new[] { 0.7f, 0.4f }, new[] { 0.6f, 0.3f } }),
            }, new TestUsers(new[] { true, false }, new[] { 1, 1 }, new[] { 1, 1 }), replicates: 50, seed: 1),
        };
        using var doc = JsonDocument.Parse(report.ToJson());
        var model = doc.RootElement.GetProperty("models").GetProperty("fasttree_seminar");
        Assert.Equal(2, model.GetProperty("seeds").GetInt32());
        Assert.Equal(0.75, model.GetProperty("auc").GetDouble(), 12);
        // sd of {0.73, 0.77} = sqrt(2 * 0.02^2 / 1) = 0.0282843; of {0.57, 0.57} = 0.
        Assert.Equal(0.0282843, model.GetProperty("auc_std").GetDouble(), 6);
        Assert.Equal(0, model.GetProperty("logloss_std").GetDouble());
        var comparisons = doc.RootElement.GetProperty("comparisons").EnumerateArray().ToArray();
        Assert.Equal(6, comparisons.Length);
        var auc = comparisons.Single(c => c.GetProperty("metric").GetString() == "auc");
        Assert.Equal(new[] { "model", "against", "metric", "difference", "low", "high", "seeds", "bootstrap_low", "bootstrap_high" },
            auc.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("fasttree_seminar", "fasttree_baseline"), (auc.GetProperty("model").GetString(), auc.GetProperty("against").GetString()));
        // Paired differences 0.03 and 0.05: mean 0.04, half-width t(0.975, 1) * 0.0141421 / sqrt(2) = 12.706205 * 0.01 = 0.127062.
        Assert.Equal(0.04, auc.GetProperty("difference").GetDouble(), 12);
        Assert.Equal(-0.087062, auc.GetProperty("low").GetDouble(), 5);
        Assert.Equal(0.167062, auc.GetProperty("high").GetDouble(), 5);
        // One user with one positive and one negative: every resample is that user, so the bootstrap difference is the plain one,
        // which is 0 (both models rank the positive first on both seeds).
        Assert.Equal(0, auc.GetProperty("bootstrap_low").GetDouble());
        Assert.Equal(0, auc.GetProperty("bootstrap_high").GetDouble());
        var logloss = comparisons.Single(c => c.GetProperty("metric").GetString() == "logloss");
        Assert.Equal(-0.02, logloss.GetProperty("difference").GetDouble(), 12);
        Assert.Equal(report.ToJson(), EvaluationReport.FromJson(report.ToJson()).ToJson());
    }
}
