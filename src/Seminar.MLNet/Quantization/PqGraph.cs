using Onnx;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Onnx;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// The PSU with approximate retrieval as an ONNX graph: the persisted form of <see cref="PqRowScorer"/>, run by ML.NET's
/// OnnxTransformer. Same inputs as <see cref="PsuGraph"/> (side features included); outputs the interest <c>[D]</c> and the score <c>[1]</c>.
/// Codebooks and catalog codes are initializers (codes as uint8); each request builds its lookup tables with one
/// batched MatMul per code set, gathers every behaviour's codes (catalog codes by item; the query part of each pair
/// with a query encoded in the graph by the same nearest-centroid rule as <see cref="ProductQuantizer.Encode(ReadOnlySpan{float}, Span{byte})"/>),
/// sums table entries per head, keeps the top-K and runs the exact ESU on them.
/// </summary>
/// <remarks>
/// Memory grows with the history length L only through <c>[L, D]</c>-sized values, as in <see cref="PsuGraph"/>.
/// Encoding a query part scores all <c>C × 256</c> centroids, and summing table entries reads <c>H × S</c> of them per
/// behaviour; done for the whole history at once these were <c>[C, L, 256]</c> and <c>[H, L, S]</c> tensors (about
/// 170 MiB per request at L = 10,000, D = 64). Both run as <c>Scan</c>s over fixed-size chunks of behaviours
/// (see <see cref="OnnxChunks"/>), which keeps per-behaviour arithmetic and so the results unchanged.
/// </remarks>
internal static class PqGraph
{
    const TensorProto.Types.DataType Int64 = TensorProto.Types.DataType.Int64;
    const TensorProto.Types.DataType Float = TensorProto.Types.DataType.Float;
    /// <summary>Behaviours per Scan iteration: query encoding holds [C, chunk, 256] floats (1 MiB at C = 16), relevance [H, chunk, S].</summary>
    internal const int QueryChunk = 64, RelevanceChunk = 256;

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
        int d = psu.Dimension, heads = psu.Heads, c = model.QueryQuantizer.SubSpaces, dsub = model.QueryQuantizer.SubDimension;
        int s = model.SubSpaces, size = PqCodebooks.TableSize;

        var b = new OnnxGraphBuilder("seminar_pq_attention", mlOpset: 0);
        var (tables, items, tokens, targetItem, queryTokens, side) = PsuGraph.AddInputs(b, psu, columns);
        var x = PsuGraph.Pair(b, tables, items, tokens);                                              // [L, D]
        var target = PsuGraph.Pair(b, tables, targetItem, queryTokens);                               // [1, D]
        var u = b.Transpose(PsuGraph.RequestVectors(b, psu, target), new[] { 1L, 0L });               // [H, D]

        // Lookup tables [H, S·256]: per code set, u split into sub-spaces [C, H, dsub] times the transposed codebook [C, dsub, 256].
        var uSub = b.Transpose(b.Reshape(u, new[] { (long)heads, c, dsub }), new[] { 1L, 0L, 2L });
        var perSet = model.Codebooks.Sets.Select((q, m) => b.MatMul(uSub, b.AddInitializer($"pq_codebook_t{m}", Transposed(q, size), c, dsub, size))).ToArray();
        var lut = b.Reshape(b.Transpose(b.Concat(0, perSet), new[] { 1L, 0L, 2L }), new[] { (long)heads, (long)s * size });

        var queryCodes = QueryCodes(b, model, x, items, tokens, tables.Items, c, dsub);                 // [L, C]
        var relevance = Relevance(b, model, lut, items, queryCodes, heads);                            // [H, L]

        var (offsets, count) = PsuGraph.Padding(b, items);
        var masked = b.Add(relevance, b.Unsqueeze(offsets, new[] { 0L }));
        var (_, positions) = b.TopK(masked, PsuGraph.TopK(b, model.TopK, count));                        // [H, k]
        // The exact ESU: relevance recomputed from the exact pair vectors of the kept behaviours.
        var exact = b.Squeeze(b.MatMul(b.Gather(x, positions), b.Unsqueeze(u, new[] { 2L })), new[] { 2L }); // [H, k]
        var interest = PsuGraph.Esu(b, psu, x, positions, exact, count);
        var score = PsuGraph.Head(b, psu.Weights, interest, target, side);

        b.Reshape(interest, new[] { (long)d }, interestColumn);
        b.Reshape(score, new[] { 1L }, scoreColumn);
        b.AddOutput(interestColumn, Float, d);
        b.AddOutput(scoreColumn, Float, 1);
        return SavedGraphs.ToBytes(b, SavedGraphs.Pq, new Config(PsuGraph.Describe(psu, columns, new[] { interestColumn, scoreColumn }), model.TopK, c,
            model.Codebooks.Sets.Select(q => q.Centroids).ToArray()));
    }

    /// <summary>
    /// What the C# scorer needs beside the initializers: the PSU's (its tables are this graph's own), K, the sub-spaces per
    /// code set and each set's centroid count (the <c>pq_codebook_t{m}</c> initializers pad centroids to 256 with zeros).
    /// </summary>
    internal sealed record Config(PsuGraph.Config Psu, int TopK, int SubSpaces, int[] Centroids);

    /// <summary>The graph's input names, in feed order (the PSU's).</summary>
    public static string[] InputNames(PsuColumnOptions columns) => PsuGraph.InputNames(columns);

    /// <summary>
    /// Relevance [H, L]: per behaviour, its codes (the item's catalog codes, then the query part's) index the lookup
    /// tables <paramref name="lut"/> [H, S·256], summed per head; a chunk of behaviours per Scan iteration. The tables
    /// are read transposed, [S·256, H], so each code gathers one contiguous row of H floats.
    /// </summary>
    static string Relevance(OnnxGraphBuilder b, PqAttentionModel model, string lut, string items, string queryCodes, int heads)
    {
        int s = model.SubSpaces, c = model.QueryQuantizer.SubSpaces, size = PqCodebooks.TableSize;
        var catalog = b.AddInitializer("pq_item_codes", model.ItemCodeArray, model.Psu.ItemCount, model.ItemSubSpaces);
        var byCode = b.Transpose(lut, new[] { 1L, 0L });                                                                   // [S·256, H]
        var body = OnnxChunks.Body(b, "pq_relevance_chunk");
        body.AddInput(byCode, Float, (long)s * size, heads);
        body.AddInput(catalog, TensorProto.Types.DataType.Uint8, model.Psu.ItemCount, model.ItemSubSpaces);
        var chunkItems = body.AddInput("items", Int64, RelevanceChunk);
        var chunkQueryCodes = body.AddInput("query_codes", Int64, RelevanceChunk, c);
        var codes = body.Concat(1, body.Cast(body.Gather(catalog, chunkItems), Int64), chunkQueryCodes);                 // [chunk, S]
        var flat = body.Add(codes, body.Int64Vector(Enumerable.Range(0, s).Select(i => (long)i * size).ToArray(), "table_offsets"));
        body.ReduceSum(body.Gather(byCode, flat), new[] { 1L }, keepDims: false, output: "relevance");                   // [chunk, H]
        body.AddOutput("relevance", Float, RelevanceChunk, heads);

        var chunks = new[] { OnnxChunks.Split(b, items, RelevanceChunk), OnnxChunks.Split(b, queryCodes, RelevanceChunk, c) };
        var stacked = OnnxChunks.Scan(b, "pq_relevance", body, new[] { byCode, catalog }, chunks)[0];                    // [chunks, chunk, H]
        return b.Transpose(OnnxChunks.Merge(b, stacked, new[] { -1L, heads }, 0, b.Shape(items)), new[] { 1L, 0L });
    }

    /// <summary>
    /// Query-part codes [L, C]: 0 (the origin) for browsing; for a behaviour with a query, the nearest centroid per
    /// sub-space of <c>d = x − e_item</c>, by <c>‖c‖² − 2 d·c</c>, ties to the lowest index; a chunk of such
    /// behaviours per Scan iteration.
    /// </summary>
    static string QueryCodes(OnnxGraphBuilder b, PqAttentionModel model, string x, string items, string tokens, string itemTable, int c, int dsub)
    {
        var q = model.QueryQuantizer;
        var count = b.ReduceSum(b.Min(tokens, b.Int64Scalar(1, "one_i")), new[] { 1L }, keepDims: false);       // [L]
        var withQuery = b.Reshape(b.NonZero(b.Greater(count, b.Int64Scalar(0, "zero"))), new[] { -1L });        // [n]
        var part = b.Sub(b.Gather(x, withQuery), b.Gather(itemTable, b.Gather(items, withQuery)));           // [n, D]

        var body = OnnxChunks.Body(b, "pq_query_encoder_chunk");
        var rows = body.AddInput("parts", Float, QueryChunk, (long)c * dsub);
        var split = body.Transpose(body.Reshape(rows, new[] { (long)QueryChunk, c, dsub }), new[] { 1L, 0L, 2L });   // [C, chunk, dsub]
        // −2 folded into the codebook: scaling by a power of two is exact, so d·(−2c) = −2 (d·c) to the bit.
        var book = body.AddInitializer("codebook_t_minus_two", Transposed(q, q.Centroids).Select(v => -2f * v).ToArray(), c, dsub, q.Centroids);
        var norms = body.AddInitializer("norms", q.CentroidNorms.ToArray(), c, 1, q.Centroids);
        var distance = body.Add(body.MatMul(split, book), norms);                                               // [C, chunk, K]
        body.Transpose(body.ArgMin(distance, axis: 2), new[] { 1L, 0L }, "codes");                               // [chunk, C]
        body.AddOutput("codes", Int64, QueryChunk, c);

        var stacked = OnnxChunks.Scan(b, "pq_query_encoder", body, Array.Empty<string>(), new[] { OnnxChunks.Split(b, part, QueryChunk, (long)c * dsub) })[0];
        var encoded = OnnxChunks.Merge(b, stacked, new[] { -1L, c }, 0, b.Shape(withQuery));                   // [n, C]
        var zeros = b.Int64Zeros(b.Concat(0, b.Shape(items), b.Int64Vector(new[] { (long)c }, "pq_query_subspaces")));
        return b.Scatter(zeros, b.Unsqueeze(withQuery, new[] { 1L }), encoded);
    }

    /// <summary>A codebook [C, K, dsub] as [C, dsub, width], centroids past K zero.</summary>
    static float[] Transposed(ProductQuantizer q, int width)
    {
        var book = q.Codebook.Span;
        int c = q.SubSpaces, k = q.Centroids, dsub = q.SubDimension;
        var t = new float[c * dsub * width];
        for (int s = 0; s < c; s++)
            for (int centroid = 0; centroid < k; centroid++)
                for (int j = 0; j < dsub; j++) t[(s * dsub + j) * width + centroid] = book[(s * k + centroid) * dsub + j];
        return t;
    }
}
