using Onnx;
using Seminar.MLNet.Onnx;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization.FastScan;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// The PSU with approximate retrieval as an ONNX graph: the persisted form of <see cref="PqRowScorer"/>, run by ML.NET's
/// OnnxTransformer, computing what <see cref="DecomposedRetriever"/> computes, step for step. Same inputs as
/// <see cref="PsuGraph"/> (side features included); outputs the interest <c>[D]</c> and the score <c>[1]</c>. The catalog
/// codes are a uint8 initializer <c>[items, M]</c> (unpacked) and the codebook a float one <c>[M, 16, D / M]</c>.
/// </summary>
/// <remarks>
/// <para>
/// Steps: the real behaviours are put in <see cref="DecomposedHistory"/>'s grouped order (browses, then one run per
/// distinct query in order of first appearance, positions increasing), since the shortlist and the top-K break ties to
/// the lower grouped index as <see cref="ShortlistReranker"/> and <see cref="Retrieval.TopKSelector"/> do and as ONNX TopK does
/// on its input order. Per head: each distinct query's part <c>(a / n) Σ_t &lt;u, e_t&gt;</c>, tokens added in query
/// order; the lookup tables <c>u_s · centroid</c> and their byte quantization as <see cref="QuantizedLookupTables"/>
/// makes them (same scale, bias, rounding and operation order; the per-sub-space sums chained in order); the byte sums
/// per behaviour (exact integers); the 16-bit keys of <see cref="DecomposedRetriever.Combine"/>; the top-K' keys; the
/// exact score <c>w_s &lt;u, e_item&gt; + part_s</c> of those; the top-K; then the exact ESU and head of
/// <see cref="PsuGraph"/>.
/// </para>
/// <para>
/// The C# side fuses multiply-adds (<c>MathF.FusedMultiplyAdd</c>) where ONNX has no FMA: the graph computes each such
/// step in double (the product of two floats is exact there) and rounds the sum once to float, which gives the fused
/// result except when the double sum lies exactly half way between two floats (double rounding). Dot products
/// (<c>&lt;u, e_t&gt;</c>, <c>&lt;u, e_item&gt;</c>) are summed in another order by ONNX Runtime's MatMul than by
/// <c>TensorPrimitives.Dot</c>, so scores, query parts and through them the keys' range can differ in the last bit: a
/// key within that hair of an integer is one step off (measured 0.49% of keys at L = 1,500, none further), which can
/// move the shortlist only at its cut; two exact scores within a rounding of each other at the top-K cut could be kept
/// differently too. The parity tests bound the outputs' difference (measured at most 2e-6).
/// </para>
/// <para>
/// Memory grows with the history length L through <c>[L, D]</c>-sized values as in <see cref="PsuGraph"/>, and
/// <c>[H, L]</c> ones; the byte sums read <c>M × H</c> table entries per behaviour and run as a <c>Scan</c> over
/// fixed-size chunks (see <see cref="OnnxChunks"/>). Every per-behaviour value holds at least one entry (a padding
/// behaviour stands in for an empty history), so no operator sees an empty input; the top-K is then empty and the ESU
/// gives the learned empty interest.
/// </para>
/// </remarks>
internal static class PqGraph
{
    const TensorProto.Types.DataType Int64 = TensorProto.Types.DataType.Int64;
    const TensorProto.Types.DataType Float = TensorProto.Types.DataType.Float;
    const TensorProto.Types.DataType Double = TensorProto.Types.DataType.Double;
    const int Entries = FourBitCodes.Centroids;
    /// <summary>Behaviours per Scan iteration of the byte sums: the body holds <c>[chunk, M, H]</c> table entries.</summary>
    internal const int SumChunk = 256;

    /// <summary>Builds the graph's bytes; input names are the PSU columns', outputs the given interest and score names.</summary>
    /// <param name="model">The model.</param>
    /// <param name="columns">Input column names.</param>
    /// <param name="interestColumn">Output name of the interest.</param>
    /// <param name="scoreColumn">Output name of the score.</param>
    public static byte[] Build(PqAttentionModel model, PsuColumnOptions columns, string interestColumn, string scoreColumn)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(columns);
        PsuGraph.CheckNames(PsuGraph.InputNames(columns), new[] { interestColumn, scoreColumn }, nameof(columns));
        var psu = model.Psu;
        int d = psu.Dimension;

        var b = new OnnxGraphBuilder("seminar_pq_attention", mlOpset: 0);
        var (tables, items, tokens, targetItem, queryTokens, side) = PsuGraph.AddInputs(b, psu, columns);
        var x = PsuGraph.Pair(b, tables, items, tokens);                                              // [L, D]
        var target = PsuGraph.Pair(b, tables, targetItem, queryTokens);                               // [1, D]
        var byColumn = PsuGraph.RequestVectors(b, psu, target);                                        // [D, H]
        var u = b.Transpose(byColumn, new[] { 1L, 0L });                                               // [H, D]
        var (_, count) = PsuGraph.Padding(b, items);

        var history = Group(b, items, tokens, psu.QueryTokens);
        var parts = QueryParts(b, psu, tables.QueryTokens, history, byColumn);                          // [H, n]
        var lut = LookupTables(b, model, u);
        var keys = Keys(b, model, lut, history, parts);                                                 // [H, n]
        var top = Retrieve(b, model, tables.Items, u, history, parts, keys, count);                    // [H, k] grouped indices
        var positions = b.Gather(history.Positions, top);                                               // [H, k]

        // The exact ESU on the kept behaviours: relevance from their exact pair vectors, as the exact PSU takes it.
        var relevance = b.Squeeze(b.MatMul(b.Gather(x, positions), b.Unsqueeze(u, new[] { 2L })), new[] { 2L }); // [H, k]
        var interest = PsuGraph.Esu(b, psu, x, positions, relevance, count);
        var score = PsuGraph.Head(b, psu.Weights, interest, target, side);

        b.Reshape(interest, new[] { (long)d }, interestColumn);
        b.Reshape(score, new[] { 1L }, scoreColumn);
        b.AddOutput(interestColumn, Float, d);
        b.AddOutput(scoreColumn, Float, 1);
        var q = model.Catalog.Quantizer;
        return SavedGraphs.ToBytes(b, SavedGraphs.Pq, new Config(PsuGraph.Describe(psu, columns, new[] { interestColumn, scoreColumn }),
            model.TopK, model.Shortlist, q.SubSpaces, q.Centroids));
    }

    /// <summary>
    /// What the C# scorer needs beside the initializers: the PSU's (its tables are this graph's own), K, K', the sub-spaces
    /// M and the codebook's centroid count (the <c>pq_codebook</c> initializer repeats centroid 0 past it, up to 16).
    /// </summary>
    internal sealed record Config(PsuGraph.Config Psu, int TopK, int Shortlist, int SubSpaces, int Centroids);

    /// <summary>The graph's input names, in feed order (the PSU's).</summary>
    public static string[] InputNames(PsuColumnOptions columns) => PsuGraph.InputNames(columns);

    /// <summary>The real behaviours in grouped order (n ≥ 1 entries: a padding behaviour when there is none).</summary>
    /// <param name="Items">Catalog item of each [n].</param>
    /// <param name="Positions">History position of each [n].</param>
    /// <param name="IsQuery">Whether it has a query [n] (bool).</param>
    /// <param name="Query">Its row in <paramref name="Distinct"/> [n].</param>
    /// <param name="Distinct">The distinct token rows [q, T] (the all-zero row of browses among them).</param>
    sealed record Grouped(string Items, string Positions, string IsQuery, string Query, string Distinct);

    /// <summary>
    /// <see cref="DecomposedHistory"/>'s order in the graph: a behaviour's run is 0 for a browse and 1 + the index of its
    /// token row among the distinct rows (ONNX <c>Unique</c> unsorted numbers rows in order of first appearance), and
    /// sorting by (run, position) lays the runs out in order.
    /// </summary>
    static Grouped Group(OnnxGraphBuilder b, string items, string tokens, int slots)
    {
        var real = b.Reshape(b.NonZero(items), new[] { -1L });                                              // [n0]
        var size = b.Max(b.Shape(real), b.Int64Vector(new[] { 1L }, "one_behaviour"));                      // [1]: n = max(n0, 1)
        string AtLeastOne(string values, string filler) =>
            b.Slice(b.Concat(0, values, filler), b.Int64Vector(new[] { 0L }, "start"), size, b.Int64Vector(new[] { 0L }, "axis"));
        var positions = AtLeastOne(real, b.Int64Vector(new[] { 0L }, "stand_in_position"));
        var realItems = AtLeastOne(b.Gather(items, real), b.Int64Vector(new[] { 0L }, "stand_in_item"));
        var realTokens = AtLeastOne(b.Gather(tokens, real), b.AddInitializer(b.UniqueName("stand_in_tokens"), new long[slots], 1, slots)); // [n, T]
        var isQuery = b.Greater(b.ReduceSum(PsuGraph.Real(b, realTokens), new[] { 1L }, keepDims: false), b.Int64Scalar(0, "zero"));
        // C# names a query by its real tokens in order, wherever the padding sits: each row's real tokens move to the
        // front, in order (a padding slot sorts after every real one, ties to the lower column), before rows are compared.
        var padding = b.Cast(b.Equal(realTokens, b.Int64Scalar(0, "zero")), Int64);
        var slotOrder = b.Add(b.Mul(padding, b.Int64Scalar(slots, "query_slots")), b.Int64Vector(Enumerable.Range(0, slots).Select(i => (long)i).ToArray(), "slot_index"));
        var (_, packed) = b.TopK(slotOrder, slots, axis: 1, largest: false);
        var queries = b.AddNode("GatherElements", new[] { realTokens, packed }, (string?)null, OnnxOpsets.DefaultDomain, OnnxAttribute.Int("axis", 1));
        var unique = b.AddNode("Unique", new[] { queries },
            new[] { b.UniqueName("distinct_queries"), b.UniqueName("first_of_query"), b.UniqueName("query_of_behaviour"), b.UniqueName("query_counts") },
            OnnxOpsets.DefaultDomain, OnnxAttribute.Int("axis", 0), OnnxAttribute.Int("sorted", 0));
        var run = b.Where(isQuery, b.Add(unique[2], b.Int64Scalar(1, "one_i")), b.Int64Scalar(0, "zero"));
        var order = b.Add(b.Mul(run, b.Int64Scalar(1L << 32, "run_stride")), positions);
        var (_, grouped) = b.TopK(order, size, largest: false);                                               // [n]
        return new Grouped(b.Gather(realItems, grouped), b.Gather(positions, grouped), b.Gather(isQuery, grouped), b.Gather(unique[2], grouped), unique[0]);
    }

    /// <summary>
    /// Each behaviour's query part per head [H, n], as <see cref="PairDecomposition.QueryParts"/> takes it: per distinct
    /// query, its real tokens' dots with u added in query order from 0, times <c>a / n_tokens</c>; 0 for a browse.
    /// </summary>
    static string QueryParts(OnnxGraphBuilder b, PsuScoringModel psu, string tokenTable, Grouped history, string byColumn)
    {
        int t = psu.QueryTokens;
        var real = PsuGraph.Real(b, history.Distinct);                                                     // [q, T] 0/1
        var dots = b.MatMul(b.Gather(tokenTable, history.Distinct), byColumn);                              // [q, T, H]
        // A padding token's dot times 0 is ±0, and adding it leaves a sum unchanged: the chain adds the real tokens in order.
        var masked = b.Mul(dots, b.Unsqueeze(b.Cast(real, Float), new[] { 2L }));
        var sum = Chain(b, masked, axis: 1, t);                                                             // [q, 1, H]
        var tokensPerQuery = b.Cast(b.Max(b.ReduceSum(real, new[] { 1L }, keepDims: true), b.Int64Scalar(1, "one_i")), Float); // [q, 1]
        var factor = b.Div(b.FloatScalar(psu.QueryWeight, "query_weight"), tokensPerQuery);
        var perQuery = b.Mul(factor, b.Squeeze(sum, new[] { 1L }));                                         // [q, H]
        var perBehaviour = b.Transpose(b.Gather(perQuery, history.Query), new[] { 1L, 0L });              // [H, n]
        return b.Where(history.IsQuery, perBehaviour, b.FloatScalar(0f, "zero_f"));
    }

    /// <summary>The lookup tables of every head in bytes (<c>[M·16, H]</c>, by code) with their step and bias (<c>[H, 1]</c> each).</summary>
    sealed record Tables(string ByCode, string Scale, string Bias);

    /// <summary>
    /// <see cref="QuantizedLookupTables"/> per head: <c>LUT[s, k] = Σ_j u[s·dsub + j] c[s, k, j]</c> fused in j order, then
    /// per sub-space min and span, one step <c>min(255 / widest, 65535 / Σ spans)</c>, bytes <c>floor((LUT − min) / step + 0.5)</c>.
    /// </summary>
    static Tables LookupTables(OnnxGraphBuilder b, PqAttentionModel model, string u)
    {
        var q = model.Catalog.Quantizer;
        int m = q.SubSpaces, dsub = q.SubDimension, heads = model.Psu.Heads;
        var book = b.AddInitializer("pq_codebook", PaddedCodebook(q), m, Entries, dsub);
        var byDimension = b.Cast(b.Transpose(book, new[] { 2L, 0L, 1L }), Double);                         // [dsub, M, 16]
        var split = b.Reshape(u, new[] { (long)heads, m, dsub });
        string? lut = null;
        for (int j = 0; j < dsub; j++)
        {
            var uj = b.Cast(b.Gather(split, b.Int64Scalar(j, "sub_dimension"), axis: 2), Double);       // [H, M]
            var product = b.Mul(b.Unsqueeze(uj, new[] { 2L }), b.Gather(byDimension, b.Int64Scalar(j, "sub_dimension")));  // [H, M, 16]
            // The first product rounded once is FMA(u, c, 0); later ones add the running float sum before rounding.
            lut = b.Cast(lut is null ? product : b.Add(product, b.Cast(lut, Double)), Float);
        }
        var mins = b.ReduceMin(lut!, new[] { 2L }, keepDims: true);                                         // [H, M, 1]
        var spans = b.Sub(b.ReduceMax(lut!, new[] { 2L }, keepDims: true), mins);
        var widest = b.ReduceMax(spans, new[] { 1L }, keepDims: true);                                      // [H, 1, 1]
        var total = Chain(b, spans, axis: 1, m);
        var bias = Chain(b, mins, axis: 1, m);
        // A zero span divides to +inf, as the C# side's explicit infinity; both infinite (constant tables) means a = 0.
        var a = b.Min(b.Div(b.FloatScalar(255f, "byte_max"), widest), b.Div(b.FloatScalar(65535f, "sum_max"), total));
        a = b.Where(b.AddNode("IsInf", new[] { a }), b.FloatScalar(0f, "zero_f"), a);
        var scaled = b.Add(b.Mul(b.Sub(lut!, mins), a), b.FloatScalar(0.5f, "half"));
        var bytes = b.AddNode("Clip", new[] { b.AddNode("Floor", new[] { scaled }), b.FloatScalar(0f, "zero_f"), b.FloatScalar(255f, "byte_max") });
        var scale = b.Where(b.Greater(a, b.FloatScalar(0f, "zero_f")), b.Div(b.FloatScalar(1f, "one_f"), a), b.FloatScalar(0f, "zero_f"));
        var byCode = b.Transpose(b.Reshape(bytes, new[] { (long)heads, (long)m * Entries }), new[] { 1L, 0L });
        var perHead = new[] { (long)heads, 1L };
        return new Tables(byCode, b.Reshape(scale, perHead), b.Reshape(bias, perHead));
    }

    /// <summary>The sum of <paramref name="input"/>'s <paramref name="count"/> slices along <paramref name="axis"/>, added one by one in order from 0 (keeps the axis, size 1).</summary>
    static string Chain(OnnxGraphBuilder b, string input, long axis, int count)
    {
        string Slice(int i) => b.Gather(input, b.Int64Scalar(i, "chain_index"), axis);
        var sum = b.Add(b.FloatScalar(0f, "zero_f"), Slice(0));
        for (int i = 1; i < count; i++) sum = b.Add(sum, Slice(i));
        return b.Unsqueeze(sum, new[] { axis });
    }

    /// <summary>
    /// <see cref="DecomposedRetriever.Combine"/>'s keys [H, n]: the least and most score any behaviour can reach map to 0
    /// and 65535, a behaviour's key is <c>a_s · sum + b_s</c> (fused), clamped and truncated, where sum is the fast scan's
    /// byte sum (its item's codes index the byte tables, summed over sub-spaces: integers below 2^16, exact in float).
    /// The range is taken over the whole history; the sums and keys run a chunk of behaviours per Scan iteration, so the
    /// <c>[chunk, M, H]</c> table entries and the double-precision steps stay within a chunk.
    /// </summary>
    static string Keys(OnnxGraphBuilder b, PqAttentionModel model, Tables lut, Grouped history, string parts)
    {
        int m = model.SubSpaces, heads = model.Psu.Heads, count = model.Catalog.Count;
        var weight = b.FloatScalar(1f - model.Psu.QueryWeight, "item_weight");
        var mostSum = b.FloatScalar(255f * m, "most_sum");
        var inf = b.FloatScalar(float.PositiveInfinity, "inf");
        var minusInf = b.FloatScalar(float.NegativeInfinity, "minus_inf");
        var isQuery = history.IsQuery;
        var hasBrowse = b.Greater(b.ReduceMax(b.Cast(b.Not(isQuery), Float), axes: null, keepDims: true), b.FloatScalar(0f, "zero_f")); // [1]
        var browseBase = b.Add(lut.Bias, b.FloatScalar(0f, "zero_f"));                                            // bias + parts[0]
        var browseLow = b.Where(hasBrowse, browseBase, inf);
        var browseHigh = b.Where(hasBrowse, Fma(b, lut.Scale, mostSum, browseLow), minusInf);
        // With no query the least is +inf and the most −inf: they leave the browses' range as it is, as C# skips them.
        var least = Fma(b, weight, lut.Bias, b.ReduceMin(b.Where(isQuery, parts, inf), new[] { 1L }, keepDims: true));
        var largest = Fma(b, weight, lut.Bias, b.ReduceMax(b.Where(isQuery, parts, minusInf), new[] { 1L }, keepDims: true));
        var queryScale = b.Mul(weight, lut.Scale);
        var lo = b.Min(browseLow, least);
        var hi = b.Max(browseHigh, Fma(b, queryScale, mostSum, largest));
        var step = b.Where(b.Greater(hi, lo), b.Div(b.FloatScalar(65535f, "sum_max"), b.Sub(hi, lo)), b.FloatScalar(0f, "zero_f")); // [H, 1]
        var byHead = new[] { 1L, (long)heads };
        string Row(string perHead) => b.Reshape(perHead, byHead);
        var constants = new[]
        {
            lut.ByCode, Row(lut.Bias), Row(lo), Row(step), Row(b.Mul(lut.Scale, step)), Row(b.Mul(queryScale, step)), Row(b.Mul(b.Sub(browseBase, lo), step)),
        };

        var body = OnnxChunks.Body(b, "pq_keys_chunk");
        var byCode = body.AddInput(constants[0], Float, (long)m * Entries, heads);
        var (bias, low, scale, browseSlope, querySlope, browseOffset) = (body.AddInput(constants[1], Float, 1, heads), body.AddInput(constants[2], Float, 1, heads),
            body.AddInput(constants[3], Float, 1, heads), body.AddInput(constants[4], Float, 1, heads), body.AddInput(constants[5], Float, 1, heads), body.AddInput(constants[6], Float, 1, heads));
        var catalog = b.AddInitializer("pq_item_codes", model.Catalog.Plain(), count, m);
        body.AddInput(catalog, TensorProto.Types.DataType.Uint8, count, m);
        var chunkItems = body.AddInput("items", Int64, SumChunk);
        var chunkQuery = body.Cast(body.AddInput("is_query", Int64, SumChunk, 1), TensorProto.Types.DataType.Bool);   // [chunk, 1]
        var chunkParts = body.AddInput("parts", Float, SumChunk, heads);
        var codes = body.Cast(body.Gather(catalog, chunkItems), Int64);                                              // [chunk, M]
        var flat = body.Add(codes, body.Int64Vector(Enumerable.Range(0, m).Select(s => (long)s * Entries).ToArray(), "table_offsets"));
        var sums = body.ReduceSum(body.Gather(byCode, flat), new[] { 1L }, keepDims: false);                         // [chunk, H]
        var queryOffset = body.Mul(body.Sub(Fma(body, body.FloatScalar(1f - model.Psu.QueryWeight, "item_weight"), bias, chunkParts), low), scale);
        var slope = body.Where(chunkQuery, querySlope, browseSlope);
        var offset = body.Where(chunkQuery, queryOffset, browseOffset);
        var clamped = body.AddNode("Clip", new[] { Fma(body, slope, sums, offset), body.FloatScalar(0f, "zero_f"), body.FloatScalar(65535f, "sum_max") });
        body.AddNode("Floor", new[] { clamped }, "keys");
        body.AddOutput("keys", Float, SumChunk, heads);

        var chunks = new[]
        {
            OnnxChunks.Split(b, history.Items, SumChunk),
            OnnxChunks.Split(b, b.Unsqueeze(b.Cast(isQuery, Int64), new[] { 1L }), SumChunk, 1),
            OnnxChunks.Split(b, b.Transpose(parts, new[] { 1L, 0L }), SumChunk, heads),
        };
        var stacked = OnnxChunks.Scan(b, "pq_keys", body, constants.Append(catalog).ToArray(), chunks)[0];
        return b.Transpose(OnnxChunks.Merge(b, stacked, new[] { -1L, heads }, 0, b.Shape(history.Items)), new[] { 1L, 0L }, KeysName);
    }

    /// <summary>The keys' value name [H, n] (grouped order), which tests read back to compare with the C# keys.</summary>
    internal const string KeysName = "pq_keys";

    /// <summary>
    /// The shortlist (top-K' keys, ties to the lower grouped index), its exact scores <c>w_s &lt;u, e_item&gt; + part_s</c>
    /// (fused), and their top-K (k = min(K, real behaviours)), ties again to the lower grouped index: indices [H, k].
    /// </summary>
    static string Retrieve(OnnxGraphBuilder b, PqAttentionModel model, string itemTable, string u, Grouped history, string parts, string keys, string count)
    {
        var size = b.Shape(history.Items);
        var (_, listed) = b.TopK(keys, b.Min(size, b.Int64Vector(new[] { (long)model.Shortlist }, "shortlist")));     // [H, k']
        var rows = b.Gather(itemTable, b.Gather(history.Items, listed));                                            // [H, k', D]
        var dots = b.Squeeze(b.MatMul(rows, b.Unsqueeze(u, new[] { 2L })), new[] { 2L });                            // [H, k']
        var weight = b.Where(b.Gather(history.IsQuery, listed), b.FloatScalar(1f - model.Psu.QueryWeight, "item_weight"), b.FloatScalar(1f, "one_f"));
        var part = b.AddNode("GatherElements", new[] { parts, listed }, (string?)null, OnnxOpsets.DefaultDomain, OnnxAttribute.Int("axis", 1));
        var exact = Fma(b, weight, dots, part);
        // Scattered back into grouped order among −inf, so TopK's ties to the lower index are ties to the lower grouped index.
        var unlisted = b.AddNode("Expand", new[] { b.FloatScalar(float.NegativeInfinity, "minus_inf"), b.Shape(keys) });
        var scores = b.AddNode("ScatterElements", new[] { unlisted, listed, exact }, (string?)null, OnnxOpsets.DefaultDomain, OnnxAttribute.Int("axis", 1));
        return b.TopK(scores, PsuGraph.TopK(b, model.TopK, count)).Indices;
    }

    /// <summary><c>MathF.FusedMultiplyAdd(a, x, c)</c> as ONNX has it: the product of floats exact in double, the sum rounded once to float.</summary>
    static string Fma(OnnxGraphBuilder b, string a, string x, string c) =>
        b.Cast(b.Add(b.Mul(b.Cast(a, Double), b.Cast(x, Double)), b.Cast(c, Double)), Float);

    /// <summary>The codebook <c>[M, K, dsub]</c> as <c>[M, 16, dsub]</c>, centroid 0 repeated in the spare entries as <see cref="QuantizedLookupTables"/> does.</summary>
    static float[] PaddedCodebook(ProductQuantizer q)
    {
        var book = q.Codebook.Span;
        int m = q.SubSpaces, k = q.Centroids, dsub = q.SubDimension;
        var padded = new float[m * Entries * dsub];
        for (int s = 0; s < m; s++)
            for (int c = 0; c < Entries; c++)
                book.Slice((s * k + (c < k ? c : 0)) * dsub, dsub).CopyTo(padded.AsSpan((s * Entries + c) * dsub, dsub));
        return padded;
    }

    /// <summary>The codebook <c>[M, K, dsub]</c> from a saved graph's padded <c>[M, 16, dsub]</c> one.</summary>
    internal static float[] Codebook(float[] padded, int subSpaces, int centroids, int dsub)
    {
        var book = new float[subSpaces * centroids * dsub];
        for (int s = 0; s < subSpaces; s++)
            padded.AsSpan(s * Entries * dsub, centroids * dsub).CopyTo(book.AsSpan(s * centroids * dsub));
        return book;
    }
}
