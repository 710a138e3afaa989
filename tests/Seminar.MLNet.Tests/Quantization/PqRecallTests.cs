using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Quantization.FastScan;
using Seminar.MLNet.Retrieval;
using Seminar.MLNet.Tests.PsuScoring;
using Xunit.Abstractions;

namespace Seminar.MLNet.Tests.Quantization;

/// <summary>
/// The C# scorer's retrieval on long histories (L = 1,500, longer than the shortlist K' = 400) over a catalog of 4,000
/// items: its top-K per head is what <see cref="DecomposedRetriever"/> returns on the same inputs, recalls the exact
/// PSU's top-K, and after warm-up neither a row nor a new history allocates.
/// </summary>
public class PqRecallTests(ITestOutputHelper output)
{
    const int D = 32, Heads = 2, K = 50, Shortlist = 400, Items = 4_000, Tokens = 300, T = PsuFixtures.QueryTokens, Length = 1_500, Requests = 12;

    /// <summary>A PSU over random tables: Gaussian item and token rows, random folded attention, a fixture readout and head.</summary>
    static PsuScoringModel Psu(int seed)
    {
        var ml = new MLContext(seed);
        var v = PsuFixtures.Featurizer(ml, ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(40, seed))).Vocabularies;
        var readout = PsuFixtures.RandomWeights(v, D, Heads, K, seed, 8);
        var rng = new Random(seed);
        float[] Gaussian(int n, double scale) => Enumerable.Range(0, n).Select(_ =>
            (float)(scale * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()))).ToArray();
        return new PsuScoringModel(readout, Gaussian(Items * D, 1), Gaussian(Tokens * D, 1), 0.3f, Gaussian(Heads * D * D, 1 / Math.Sqrt(D)), T,
            new[] { "id", "title", "attributes" }, null);
    }

    /// <summary>Requests of <see cref="Length"/> behaviours: items anywhere in the catalog, 40% with one of 30 queries (some with inner padding).</summary>
    static (long[] Items, long[] Tokens, long Target, long[] Query)[] Histories(int seed)
    {
        var rng = new Random(seed);
        var queries = Enumerable.Range(0, 30).Select(q => Enumerable.Range(0, T).Select(t => t == 1 && q % 3 == 0 ? 0L : rng.Next(1, Tokens)).ToArray()).ToArray();
        return Enumerable.Range(0, Requests).Select(_ =>
        {
            var items = new long[Length];
            var tokens = new long[Length * T];
            for (int l = 0; l < Length; l++)
            {
                items[l] = rng.Next(20) == 0 ? 0 : rng.Next(1, Items);
                if (rng.NextDouble() < 0.4) queries[rng.Next(queries.Length)].CopyTo(tokens, l * T);
            }
            return (items, tokens, (long)rng.Next(1, Items), rng.Next(2) == 0 ? new long[T] : queries[rng.Next(queries.Length)]);
        }).ToArray();
    }

    /// <summary>Mean over requests and heads of |scorer's top-K ∩ exact top-K| / K, with the scorer checked against the retriever.</summary>
    static double Recall(PqAttentionModel model, (long[] Items, long[] Tokens, long Target, long[] Query)[] requests)
    {
        var psu = model.Psu;
        var scorer = new PqRowScorer(model);
        var retriever = new DecomposedRetriever(model.Catalog, model.Decomposition, model.TopK, model.Shortlist);
        var fusion = new PairFusion(psu);
        var columns = new PsuColumnOptions();
        var (target, u, x, interest) = (new float[D], new float[Heads * D], new float[D], new float[D]);
        var (top, exactTop) = (new int[K], new int[K]);
        double recall = 0;
        foreach (var (items, tokens, targetItem, query) in requests)
        {
            scorer.Score(items, tokens, targetItem, query, interest);
            fusion.FuseTarget(targetItem, query, columns, target, u);
            var history = DecomposedHistory.Build(items, tokens, T, psu.ItemCount, psu.TokenCount);
            var codes = new FourBitCodes(model.SubSpaces);
            model.Catalog.Gather(history.Items, codes);
            Assert.True(history.Count > 2 * Shortlist);
            // The exact GSU over the real behaviours in history order: every pair vector fused, then each head's top-K.
            var real = Enumerable.Range(0, Length).Where(l => items[l] != 0).ToArray();
            for (int h = 0; h < Heads; h++)
            {
                var uh = u.AsSpan(h * D, D);
                int kept = retriever.Retrieve(uh, codes, history, top);
                Assert.Equal(K, kept);
                Assert.Equal(top.Select(j => history.Positions[j]).ToArray(), scorer.Kept(h).ToArray());

                var scores = new float[real.Length];
                for (int i = 0; i < real.Length; i++)
                {
                    int l = real[i];
                    fusion.Fuse((int)items[l], tokens.AsSpan(l * T, T), "tokens", "history query token", l, x);
                    scores[i] = System.Numerics.Tensors.TensorPrimitives.Dot(uh, x);
                }
                TopK.Select(scores, K, exactTop);
                var exact = exactTop.Select(i => real[i]).ToHashSet();
                recall += (double)scorer.Kept(h).ToArray().Count(exact.Contains) / K;
            }
        }
        return recall / (Requests * Heads);
    }

    [Fact]
    public void On_long_histories_the_scorers_top_K_is_the_retrievers_and_recalls_the_exact_top_K()
    {
        var psu = Psu(3);
        var catalog = CatalogCodes.Train(psu.ItemData, D, 16, seed: 5);
        var requests = Histories(7);
        double full = Recall(new PqAttentionModel(psu, catalog, K, Shortlist), requests);
        // The control: no shortlist beyond K, so the 4-bit order alone picks the K.
        double bare = Recall(new PqAttentionModel(psu, catalog, K, K), requests);
        output.WriteLine($"recall@{K}: {full:F4} with K' = {Shortlist}, {bare:F4} with K' = K; L = {Length}, {Items:N0} items, M = 16");
        Assert.True(full >= 0.95, $"recall@{K} with K' = {Shortlist}: {full:F4}");
        Assert.True(bare < full - 0.05, $"without the re-rank the recall must drop: {bare:F4} vs {full:F4}");
    }

    [Fact]
    public void On_long_histories_the_ONNX_graph_scores_as_the_CSharp_scorer()
    {
        var psu = Psu(5);
        var model = new PqAttentionModel(psu, CatalogCodes.Train(psu.ItemData, D, 16, seed: 6), K, Shortlist);
        var columns = new PsuColumnOptions();
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(PqGraph.Build(model, columns, "PqInterest", "PqScore"), options);
        var scorer = new PqRowScorer(model);
        var interest = new float[D];
        double worst = 0;
        foreach (var (items, tokens, target, query) in Histories(11).Take(4))
        {
            float score = scorer.Score(items, tokens, target, query, interest);
            var feeds = new (long[] Data, long[] Shape)[] { (items, new long[] { 1, Length }), (tokens, new long[] { 1, Length * T }), (new[] { target }, new long[] { 1, 1 }), (query, new long[] { 1, T }) };
            var values = feeds.Select(f => OrtValue.CreateTensorValueFromMemory(f.Data, f.Shape)).ToArray();
            try
            {
                using var run = new RunOptions();
                using var results = session.Run(run, PqGraph.InputNames(columns), values, new[] { "PqInterest", "PqScore" });
                var onnxInterest = results[0].GetTensorDataAsSpan<float>().ToArray();
                float onnxScore = results[1].GetTensorDataAsSpan<float>()[0];
                for (int i = 0; i < D; i++) worst = Math.Max(worst, Math.Abs(onnxInterest[i] - interest[i]));
                worst = Math.Max(worst, Math.Abs(onnxScore - score));
            }
            finally
            {
                foreach (var v in values) v.Dispose();
            }
        }
        output.WriteLine($"largest |C# − ONNX| over 4 requests of L = {Length} (K' = {Shortlist}): {worst:G3}");
        Assert.True(worst <= 1e-4, $"C# and ONNX differ by {worst}");
    }

    /// <summary>
    /// The graph's 16-bit keys against <see cref="DecomposedRetriever.Combine"/>'s on the same requests: the lookup tables,
    /// byte sums and key steps are the C# operations (fused steps in double, rounded once), and only the dot products of
    /// the query parts are summed in another order. Those parts also set the keys' range (its least and most score), so a
    /// last-bit difference there moves every key by a hair, and a key whose value lies within that hair of an integer is
    /// one step off (measured: 0.49% of keys, most of them browses; none further).
    /// </summary>
    [Fact]
    public void The_graphs_keys_are_the_CSharp_keys_but_for_rare_off_by_one()
    {
        var psu = Psu(5);
        var model = new PqAttentionModel(psu, CatalogCodes.Train(psu.ItemData, D, 16, seed: 6), K, Shortlist);
        var columns = new PsuColumnOptions();
        var graph = ModelProto.Parser.ParseFrom(PqGraph.Build(model, columns, "PqInterest", "PqScore"));
        graph.Graph.Output.Add(new ValueInfoProto { Name = PqGraph.KeysName });
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(graph.ToByteArray(), options);
        var retriever = new DecomposedRetriever(model.Catalog, model.Decomposition, K, Shortlist);
        var tables = new QuantizedLookupTables(model.Catalog.Quantizer);
        var fusion = new PairFusion(psu);
        var (target, u) = (new float[D], new float[Heads * D]);
        long equal = 0, offByOne = 0, further = 0, browsesOff = 0, browses = 0;
        foreach (var (items, tokens, targetItem, query) in Histories(17))
        {
            var feeds = new (long[] Data, long[] Shape)[] { (items, new long[] { 1, Length }), (tokens, new long[] { 1, Length * T }), (new[] { targetItem }, new long[] { 1, 1 }), (query, new long[] { 1, T }) };
            var values = feeds.Select(f => OrtValue.CreateTensorValueFromMemory(f.Data, f.Shape)).ToArray();
            using var run = new RunOptions();
            using var results = session.Run(run, PqGraph.InputNames(columns), values, new[] { PqGraph.KeysName });
            var onnxKeys = results[0].GetTensorDataAsSpan<float>().ToArray();
            foreach (var v in values) v.Dispose();

            fusion.FuseTarget(targetItem, query, columns, target, u);
            var history = DecomposedHistory.Build(items, tokens, T, psu.ItemCount, psu.TokenCount);
            var codes = new FourBitCodes(model.SubSpaces);
            model.Catalog.Gather(history.Items, codes);
            int n = history.Count;
            Assert.Equal(Heads * n, onnxKeys.Length);
            var (sums, keys, dots, parts) = (new ushort[codes.PaddedCount + 8], new ushort[n + 8], new float[history.DistinctTokens.Length + 1], new float[history.Slots]);
            for (int h = 0; h < Heads; h++)
            {
                var uh = u.AsSpan(h * D, D);
                tables.Build(uh);
                global::Seminar.MLNet.Quantization.FastScan.FastScan.Scan(codes, tables, sums);
                model.Decomposition.QueryParts(uh, history, dots, parts);
                retriever.Combine(sums, history, tables.Scale, tables.Bias, parts, keys, SimdPath.Best);
                for (int j = 0; j < n; j++)
                {
                    float difference = Math.Abs(keys[j] - onnxKeys[h * n + j]);
                    bool browse = j < history.RunStart[1];
                    if (browse) browses++;
                    if (browse && difference != 0) browsesOff++;
                    if (difference == 0) equal++;
                    else if (difference == 1) offByOne++;
                    else further++;
                }
            }
        }
        output.WriteLine($"keys: {equal:N0} equal, {offByOne:N0} one step off ({browsesOff:N0} of {browses:N0} browses), {further:N0} further, over {Requests} requests of L = {Length} and {Heads} heads");
        Assert.Equal(0, further);
        Assert.True(offByOne <= (equal + offByOne) / 50, $"{offByOne} of {equal + offByOne} keys one step off");
    }

    [Fact]
    public void After_warm_up_neither_a_row_nor_a_new_history_allocates()
    {
        var psu = Psu(4);
        var model = new PqAttentionModel(psu, CatalogCodes.Train(psu.ItemData, D, 16, seed: 5), K, Shortlist);
        var scorer = new PqRowScorer(model);
        var histories = Histories(9);
        var (items, tokens, target, query) = histories[0];
        var (otherItems, otherTokens, _, _) = histories[1];
        var interest = new float[D];
        for (int i = 0; i < 3; i++)
        {
            scorer.Score(items, tokens, target + i, query, interest);
            scorer.Score(otherItems, otherTokens, target + i, query, interest);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) scorer.Score(items, tokens, 1 + i, query, interest);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        // Every row a new history (two users alternating): each is regrouped into the same buffers.
        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            scorer.Score(items, tokens, 1 + i, query, interest);
            scorer.Score(otherItems, otherTokens, 1 + i, query, interest);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
