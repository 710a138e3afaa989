using Seminar.MLNet.Datasets.Synthetic;
using Seminar.MLNet.Evaluation;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Tests.Support;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Tests.Evaluation;

[Trait("Category", "Slow")]
public class EvaluatorSeedsTests
{
    static EvaluationOptions Options(int seed, int seeds) => new()
    {
        Seed = seed, Seeds = seeds, TrainFromQuantile = 0.5, BootstrapReplicates = 200,
        Models = new[] { "fasttree_baseline", "seminar_neural", "seminar_no_pretrain" },
        Psu = new PsuEmbeddingOptions
        {
            Dimension = 8, Heads = 1, TopK = 4, HeadLayers = new[] { 8 }, TrainingMaxHistory = 32, MaxEpoch = 1, Threads = 1,
        },
    };

    [Fact]
    public void Two_seeds_report_the_mean_and_std_of_the_two_single_seed_runs_and_paired_comparisons()
    {
        using var tmp = new TempFolder();
        // Real label-0 events: nothing is sampled, so every run below has the same split whatever its seed.
        SyntheticDatasetGenerator.Generate(tmp.Path, new SyntheticDatasetOptions { Users = 30, Items = 200, MeanEventsPerUser = 60, Seed = 5 });
        var both = Evaluator.Run(tmp.Path, Options(seed: 3, seeds: 2)).Report;
        var first = Evaluator.Run(tmp.Path, Options(seed: 3, seeds: 1)).Report;
        var second = Evaluator.Run(tmp.Path, Options(seed: 4, seeds: 1)).Report;

        foreach (var (name, m) in both.Models)
        {
            double a = first.Models[name].Auc, b = second.Models[name].Auc;
            Assert.Equal(2, m.Seeds);
            Assert.Equal(1, first.Models[name].Seeds);
            Assert.Equal((a + b) / 2, m.Auc, 12);
            Assert.Equal(Math.Abs(a - b) / Math.Sqrt(2), m.AucStd, 12);
            Assert.Equal(0, first.Models[name].AucStd);
        }
        // Each seed trains fresh networks with its own seed: the neural models differ between seeds.
        Assert.NotEqual(first.Models["seminar_neural"].Auc, second.Models["seminar_neural"].Auc);

        // Baseline comparisons for both SEMINAR models, the ablation against its full model, for each of the six metrics.
        Assert.Equal(3 * 6, both.Comparisons.Count);
        var c = both.Comparisons.Single(c => c.Model == "seminar_no_pretrain" && c.Against == "seminar_neural" && c.Metric == "auc");
        double d1 = first.Models["seminar_no_pretrain"].Auc - first.Models["seminar_neural"].Auc;
        double d2 = second.Models["seminar_no_pretrain"].Auc - second.Models["seminar_neural"].Auc;
        double half = 12.706205 * (Math.Abs(d1 - d2) / Math.Sqrt(2)) / Math.Sqrt(2);
        Assert.Equal((d1 + d2) / 2, c.Difference, 12);
        Assert.Equal((d1 + d2) / 2 - half, c.Low!.Value, 5);
        Assert.Equal((d1 + d2) / 2 + half, c.High!.Value, 5);
        Assert.True(c.BootstrapLow <= c.BootstrapHigh, $"[{c.BootstrapLow}, {c.BootstrapHigh}]");
        // One seed: no interval over seeds, but the bootstrap over users still gives one.
        var single = first.Comparisons.Single(c => c.Model == "seminar_neural" && c.Against == "fasttree_baseline" && c.Metric == "auc");
        Assert.Equal((null, null), (single.Low, single.High));
        Assert.NotNull(single.BootstrapLow);
        Assert.Equal(first.Models["seminar_neural"].Auc - first.Models["fasttree_baseline"].Auc, single.Difference, 12);
    }
}
