using Microsoft.ML;
using Microsoft.ML.Runtime;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Tests.PsuTraining;

public class PsuTrainerTests
{
    internal static (PsuNetwork Network, ItemContentTensors Content, List<PsuTrainingProgress> Progress) Train(PsuFixture f, PsuEmbeddingOptions o, int seed = 11)
    {
        var progress = new List<PsuTrainingProgress>();
        o.Progress = new SynchronousProgress<PsuTrainingProgress>(progress.Add);
        var reader = PsuTrainer.Reader(f.FeaturizedTrain, o, f.Vocabularies.MaxQueryTokens);
        var content = new ItemContentTensors(f.Vocabularies.Content);
        using var channel = ((IHostEnvironment)f.Ml).Start("test");
        var trainer = new PsuTrainer(reader, PsuTrainer.DataSummary.Read(reader, o.LabelColumnName != null), f.Vocabularies, o, seed, channel);
        return (trainer.Train(content), content, progress);
    }

    [Fact]
    public void Pretraining_lowers_every_objective_and_is_deterministic()
    {
        using var f = new PsuFixture();
        var o = new PsuEmbeddingOptions { LabelColumnName = null, PretrainingMaxEpoch = 3, Dimension = 32, BatchSize = 32 };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (network, content, progress) = Train(f, o);
        var first = progress.First(p => p.Stage == "pretraining" && p.Epoch == 1 && p.Losses.Count == 3);
        var last = progress.Last();
        Console.WriteLine($"{clock.Elapsed.TotalSeconds:F1}s; first {string.Join(",", first.Losses)}; last {string.Join(",", last.Losses)}; rows {f.Split.Train.Count}");
        foreach (var name in new[] { "next_pair", "alignment", "relevance" })
            Assert.True(last.Losses[name] < first.Losses[name] * 0.9, $"{name}: {first.Losses[name]} -> {last.Losses[name]}");
        var w1 = PsuWeightsExport.From(network);
        network.Dispose(); content.Dispose();
        var (again, content2, _) = Train(f, o);
        var w2 = PsuWeightsExport.From(again);
        again.Dispose(); content2.Dispose();
        Assert.Equal(w1.ItemIds, w2.ItemIds);
        Assert.Equal(w1.Head[^1].Weight, w2.Head[^1].Weight);
    }
}
