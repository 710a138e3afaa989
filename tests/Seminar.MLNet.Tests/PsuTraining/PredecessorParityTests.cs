using Seminar.MLNet.Retrieval.Strategies;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Tests.PsuTraining;

/// <summary>
/// Each predecessor's search, trained as a strategy of the PSU network (pretrained and fine-tuned for one epoch each), scores the
/// same in TorchSharp, in the C# path and in the stock-loaded ONNX graph. Small K, window and hash widths so every search narrows the
/// 0–11 behaviour histories, and ties (repeated items, equal Hamming distances) occur.
/// </summary>
public class PredecessorParityTests
{
    static PsuEmbeddingOptions Options(PsuRetrieval strategy) => new()
    {
        Dimension = 12, Heads = 2, TopK = 3, HeadLayers = new[] { 10 }, PretrainingMaxEpoch = 1, MaxEpoch = 1, BatchSize = 32,
        Retrieval = strategy,
    };

    /// <summary>Each predecessor's strategy object, by name: window 4, 16 SimHash bits, 4 hash functions of 2 bits.</summary>
    static PsuRetrieval Strategy(string name) => name switch
    {
        "Recent" => new RecentRetrieval(4),
        "SoftSearch" => new SoftSearchRetrieval(1f),
        "SimHash" => new SimHashRetrieval(16),
        "HashCollision" => new HashCollisionRetrieval(4, 2),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Not a predecessor."),
    };

    [Theory]
    [InlineData("Recent")]
    [InlineData("SoftSearch")]
    [InlineData("SimHash")]
    [InlineData("HashCollision")]
    public void TorchSharp_the_CSharp_path_and_the_stock_loaded_zip_agree(string strategy) =>
        PsuTrainedParityTests.AssertParity(Options(Strategy(strategy)), 300, 200, (weights, _, rows, torchRows) =>
        {
            Assert.Equal(strategy, weights.Retrieval.Name);
            if (strategy == "HashCollision")   // some history collides with its target under no function: the empty interest
                Assert.Contains(Enumerable.Range(0, rows.Count), r => rows[r].Length > 0 && torchRows[r][1].SequenceEqual(weights.EmptyInterest));
        });
}
