using Microsoft.ML;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Retrieval.Strategies;
using Seminar.MLNet.Tests.PsuScoring;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Retrieval.Strategies;

/// <summary>
/// Each predecessor's strategy object, with random trained data, scores the same in the C# path and in the saved and stock-loaded
/// ONNX graph (1e-5), on index rows with padding, duplicates (exact ties) and histories from 0 to 150 behaviours; and its search
/// really differs from the exact GSU's on them.
/// </summary>
public class StrategyScoringParityTests
{
    const int D = 12, Heads = 2, TopK = 3;

    /// <summary>A predecessor by name, its data drawn from <paramref name="seed"/>: window 4, 16 SimHash bits, 4 hash functions of 2 bits.</summary>
    internal static PsuRetrieval Strategy(string name, int itemRows, int seed)
    {
        var rng = new Random(seed);
        float[] Normal(int n) => Enumerable.Range(0, n).Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()))).ToArray();
        return name switch
        {
            "Recent" => new RecentRetrieval(4),
            "SoftSearch" => new SoftSearchRetrieval(1f, Normal(itemRows)),
            "SimHash" => new SimHashRetrieval(16, Normal(16 * D)),
            "HashCollision" => new HashCollisionRetrieval(4, 2, Normal(4 * 2 * D)),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Not a predecessor."),
        };
    }

    /// <summary>The same weights with another retrieval strategy.</summary>
    internal static PsuWeights With(PsuWeights w, PsuRetrieval retrieval) => new()
    {
        Dimension = w.Dimension, Heads = w.Heads, TopK = w.TopK, ItemIds = w.ItemIds, Tokens = w.Tokens, Attributes = w.Attributes,
        Projections = w.Projections, GateLogits = w.GateLogits, ModalityTransforms = w.ModalityTransforms, QueryWeightLogit = w.QueryWeightLogit,
        AttentionQuery = w.AttentionQuery, AttentionKey = w.AttentionKey, AttentionValue = w.AttentionValue, AttentionOutput = w.AttentionOutput,
        EmptyInterest = w.EmptyInterest, Head = w.Head, SideMean = w.SideMean, SideScale = w.SideScale, Retrieval = retrieval,
    };

    [Theory]
    [InlineData("Recent")]
    [InlineData("SoftSearch")]
    [InlineData("SimHash")]
    [InlineData("HashCollision")]
    public void The_CSharp_path_and_the_stock_loaded_graph_agree_and_differ_from_the_exact_GSU(string name)
    {
        var ml = new MLContext(1);
        var v = PsuFixtures.Featurizer(ml, ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(60, 2))).Vocabularies;
        var data = ml.Data.LoadFromEnumerable(PsuFixtures.IndexRows(v, TopK, 200, 31));
        var exact = PsuFixtures.RandomWeights(v, D, Heads, TopK, 32, 8);
        var weights = With(exact, Strategy(name, exact.ItemIds.Length, 33));
        var psu = PsuEmbeddingTransformer.Create(ml, weights, v, new PsuColumnOptions(), data);
        Assert.Equal(name, psu.Weights.Retrieval.Name);

        var fast = PsuOutputs.Read(psu.Transform(data));
        using var tmp = new TempFolder();
        ml.Model.Save(psu, data.Schema, tmp.File("psu.zip"));
        var stock = new MLContext(2).Model.Load(tmp.File("psu.zip"), out _);
        PsuOutputs.AssertClose(fast, PsuOutputs.Read(stock.Transform(data)), 1e-5, $"{name}: C# vs stock-loaded ONNX");

        var exactFast = PsuOutputs.Read(PsuEmbeddingTransformer.Create(ml, exact, v, new PsuColumnOptions(), data).Transform(data));
        int differing = Enumerable.Range(0, fast.Count).Count(r => !fast[r][1].SequenceEqual(exactFast[r][1]));
        Assert.True(differing >= 20, $"{name} attends like the exact GSU on all but {differing} of {fast.Count} rows");
    }
}
