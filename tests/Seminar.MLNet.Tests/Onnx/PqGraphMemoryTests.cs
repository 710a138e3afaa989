using Microsoft.ML;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using Seminar.MLNet.Onnx;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Tests.PsuScoring;

namespace Seminar.MLNet.Tests.Onnx;

/// <summary>
/// The PQ graph's memory grows with the history length like the exact PSU graph's: measured on structure, not time.
/// Every value the graph computes is exposed as an output and its size read at two lengths; how much a value grows per
/// behaviour is its share of a request's memory. The byte sums gather <c>M × H</c> table entries per behaviour; they run
/// as a Scan over fixed chunks, so what grows is <c>[H, L]</c> keys and scores, against the PSU's widest 3·D = 48 floats
/// (three query tokens' rows per behaviour).
/// </summary>
public class PqGraphMemoryTests
{
    const int D = 16, Heads = 3, TopK = 5, SubSpaces = 8, Centroids = 16, Short = 512, Long = 2048;

    [Fact]
    public void No_PQ_graph_value_grows_faster_with_history_length_than_the_PSU_graph_widest_and_Scan_bodies_see_fixed_chunks()
    {
        var (psu, pq) = Models();
        var columns = new PsuColumnOptions();
        var psuGraph = PsuGraph.Build(psu, columns);
        var pqGraph = PqGraph.Build(pq, columns, "PqInterest", "PqScore");

        var psuGrowth = BytesPerBehaviour(psuGraph, psu);
        var pqGrowth = BytesPerBehaviour(pqGraph, psu);
        var (psuWidest, pqWidest) = (psuGrowth.Values.Max(), pqGrowth.Values.Max());
        Assert.True(psuWidest >= 3 * D * sizeof(float), $"the PSU's token rows grow by {psuWidest} bytes per behaviour (expected at least 3·D floats)");
        var widest = pqGrowth.MaxBy(p => p.Value);
        Assert.True(pqWidest <= psuWidest, $"PQ value '{widest.Key}' grows by {pqWidest} bytes per behaviour; the PSU graph's widest by {psuWidest}");
        // All values together (an upper bound on what is live at once) stay within twice the PSU's.
        Assert.True(pqGrowth.Values.Sum() <= 2 * psuGrowth.Values.Sum(),
            $"PQ values grow by {pqGrowth.Values.Sum()} bytes per behaviour in all, the PSU's by {psuGrowth.Values.Sum()}");

        var scans = ModelProto.Parser.ParseFrom(pqGraph).Graph.Node.Where(n => n.OpType == "Scan").ToArray();
        Assert.Single(scans);
        foreach (var body in scans.Select(n => n.Attribute.Single(a => a.Name == "body").G))
            foreach (var input in body.Input)
                Assert.All(input.Type.TensorType.Shape.Dim, dim => Assert.True(dim.DimValue > 0, $"Scan body input '{input.Name}' must have a fixed chunk shape"));
    }

    /// <summary>
    /// Per value of the graph, how many bytes it grows by per behaviour between histories of <see cref="Short"/> and
    /// <see cref="Long"/> behaviours, every behaviour with a three-token query (the widest case for both graphs).
    /// </summary>
    static Dictionary<string, double> BytesPerBehaviour(byte[] graph, PsuScoringModel psu)
    {
        var model = ModelProto.Parser.ParseFrom(graph);
        var declared = model.Graph.Output.Select(o => o.Name).ToHashSet();
        foreach (var name in model.Graph.Node.SelectMany(n => n.Output).Where(n => !declared.Contains(n)))
            model.Graph.Output.Add(new ValueInfoProto { Name = name });
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model.ToByteArray(), options);
        var small = Sizes(session, psu, Short);
        var large = Sizes(session, psu, Long);
        return large.ToDictionary(p => p.Key, p => (double)(p.Value - small[p.Key]) / (Long - Short));
    }

    /// <summary>Bytes of every output of one request with <paramref name="length"/> behaviours.</summary>
    static Dictionary<string, long> Sizes(InferenceSession session, PsuScoringModel psu, int length)
    {
        int t = PsuFixtures.QueryTokens;
        var rng = new Random(length);
        var items = Enumerable.Range(0, length).Select(_ => (long)rng.Next(1, psu.ItemCount)).ToArray();
        var tokens = Enumerable.Range(0, length * t).Select(_ => (long)rng.Next(1, psu.TokenCount)).ToArray();
        var feeds = new (long[] Data, long[] Shape)[]
        {
            (items, new long[] { 1, length }), (tokens, new long[] { 1, length * t }), (new[] { 1L }, new long[] { 1, 1 }), (new[] { 1L, 2L, 0L }, new long[] { 1, t }),
        };
        var values = feeds.Select(f => OrtValue.CreateTensorValueFromMemory(f.Data, f.Shape)).ToArray();
        var outputs = session.OutputMetadata.Keys.ToArray();
        try
        {
            using var run = new RunOptions();
            using var results = session.Run(run, session.InputMetadata.Keys.ToArray(), values, outputs);
            return outputs.Zip(results).ToDictionary(p => p.First, p => Bytes(p.Second));
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    static long Bytes(OrtValue value)
    {
        var info = value.GetTensorTypeAndShape();
        return info.ElementCount * info.ElementDataType switch
        {
            TensorElementType.Float or TensorElementType.Int32 => 4,
            TensorElementType.Int64 or TensorElementType.Double => 8,
            TensorElementType.UInt8 or TensorElementType.Bool => 1,
            var other => throw new NotSupportedException($"No size for {other}."),
        };
    }

    /// <summary>A random PSU over the fixture vocabularies and a random 4-bit catalog codebook (origin first), as a trained one is shaped.</summary>
    static (PsuScoringModel Psu, PqAttentionModel Pq) Models()
    {
        var ml = new MLContext(3);
        var featurizer = PsuFixtures.Featurizer(ml, ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(40, 3)));
        var v = featurizer.Vocabularies;
        var psu = new PsuScoringModel(PsuFixtures.RandomWeights(v, D, Heads, TopK, 4, 8), v);
        var rng = new Random(5);
        ProductQuantizer Quantizer()
        {
            int dsub = D / SubSpaces;
            var book = new float[SubSpaces * Centroids * dsub];
            for (int i = 0; i < book.Length; i++) book[i] = i / dsub % Centroids == 0 ? 0 : (float)(rng.NextDouble() * 2 - 1);
            return ProductQuantizer.FromCodebook(D, SubSpaces, Centroids, book);
        }
        return (psu, new PqAttentionModel(psu, new CatalogCodes(Quantizer(), psu.ItemData), TopK, 400));
    }
}
