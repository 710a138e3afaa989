using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.Training.PsuTraining;
using Seminar.MLNet.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Seminar.MLNet.Benchmarks;

/// <summary>
/// PSU pretraining throughput with the default options (D = 64, H = 4, K = 50, 4 cut points with 4 negatives
/// each, all three objectives, Adam) on 2 threads, at history lengths 200 and 1,000. One operation is one
/// sequence of a 64-sequence mini-batch step (forward, backward, update), so sequences per second = 1 / mean.
/// </summary>
public class PsuPretrainingBenchmarks
{
    const int Batch = 64, QueryTokens = 8;
    List<PsuRow> _rows = null!;
    PsuNetwork _network = null!;
    ItemContentTensors _content = null!;
    optim.Optimizer _optimizer = null!;
    PretrainingObjectives _objectives = null!;

    [Params(200, 1_000)]
    public int HistoryLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var ml = new MLContext(1);
        var rng = new Random(1);
        var vocabularies = BenchmarkCatalog.Vocabularies(ml, rng, QueryTokens);

        // Half the behaviours carry a three-word query, as in search logs mixed with browsing.
        _rows = Enumerable.Range(0, Batch).Select(r => new PsuRow
        {
            Items = Enumerable.Range(0, HistoryLength).Select(_ => rng.Next(2, vocabularies.Items.Size)).ToArray(),
            QueryTokens = Enumerable.Range(0, HistoryLength).SelectMany(_ =>
                rng.Next(2) == 0 ? new int[QueryTokens] : Enumerable.Range(0, QueryTokens).Select(k => k < 3 ? rng.Next(2, vocabularies.Tokens.Size) : 0).ToArray()).ToArray(),
            Target = rng.Next(2, vocabularies.Items.Size), TargetQuery = new int[QueryTokens], Label = float.NaN, Position = r,
        }).ToList();
        var options = new PsuEmbeddingOptions();
        using (TorchRuntime.Exclusive()) TorchRuntime.Configure(seed: 1, threads: 2);
        _content = new ItemContentTensors(vocabularies.Content);
        _network = new PsuNetwork(vocabularies, _content, options.Dimension, options.Heads, options.TopK, options.HeadLayers);
        _optimizer = optim.Adam(_network.PretrainedParameters(), lr: options.PretrainingLearningRate);
        _objectives = new PretrainingObjectives(_network, options, QueryTokens, vocabularies.Items.Size, new Random(1));
    }

    [Benchmark(OperationsPerInvoke = Batch)]
    public float PretrainingStep()
    {
        using var scope = NewDisposeScope();
        var batch = new PsuBatch(_rows, QueryTokens);
        using var hold = CollectorHold.Enter();
        _optimizer.zero_grad();
        var (total, _) = _objectives.Losses(batch);
        total.backward();
        _optimizer.step();
        return total.item<float>();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _optimizer.Dispose();
        _network.Dispose();
        _content.Dispose();
    }
}
