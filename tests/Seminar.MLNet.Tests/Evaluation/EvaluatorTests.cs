using Seminar.MLNet.Datasets.Synthetic;
using Seminar.MLNet.Evaluation;
using Seminar.MLNet.Evaluation.Models;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Evaluation;

public class EvaluatorTests
{
    [Fact]
    public void Baseline_on_small_synthetic_data_learns_item_and_history_signal_and_reports_sane_metrics()
    {
        using var tmp = new TempFolder();
        SyntheticDatasetGenerator.Generate(tmp.Path, new SyntheticDatasetOptions { Users = 60, Items = 400, MeanEventsPerUser = 150, Seed = 5 });
        var result = Evaluator.Run(tmp.Path, new EvaluationOptions { Seed = 2 },
            new IComparedModel[] { new FastTreeBaseline(new FastTreeBaselineOptions { NumberOfTrees = 50 }) });

        var r = result.Report;
        Assert.Equal("synthetic", r.Dataset);
        Assert.Equal(60, r.Users);
        Assert.Equal(400, r.Items);
        Assert.Equal(result.Split.Train.Count, r.Samples.Train);
        Assert.True(r.Samples.Test > 500, $"test samples {r.Samples.Test}");
        Assert.True(r.History.Max >= r.History.Mean && r.History.Mean > 10);
        var m = Assert.Single(r.Models).Value;
        // Labels follow the share of past positives in the item's interest; attribute overlap with the
        // history carries much of that, so the baseline must be well above chance.
        Assert.InRange(m.Auc, 0.6, 1.0);
        Assert.InRange(m.Gauc, 0.55, 1.0);
        Assert.InRange(m.LogLoss, 0.0, 0.69);
        foreach (var v in new[] { m.HitAt10, m.NdcgAt10, m.Mrr }) Assert.InRange(v, 0.0, 1.0);
        Assert.True(m.HitAt10 >= m.NdcgAt10 && m.NdcgAt10 >= 0);
        Assert.True(m.TrainSeconds > 0 && m.ScoreMicrosPerRow > 0);
        Assert.Equal(0, result.Issues.Total);
    }
}
