using Onnx;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Onnx;

namespace Seminar.MLNet.PsuScoring;

/// <summary>
/// The PSU forward pass as an ONNX graph: the persisted form of <see cref="PsuRowScorer"/>, run by ML.NET's
/// OnnxTransformer. Inputs are the featurizer's outputs as OnnxTransformer feeds them: history items <c>[1, L]</c>,
/// history query tokens <c>[1, L·T]</c>, target item <c>[1, 1]</c> and query tokens <c>[1, T]</c> (int64), and the side features
/// <c>[1, S]</c> (float) when the head reads them. Outputs have
/// fixed shapes so their columns have known sizes: target <c>[D]</c>, interest <c>[D]</c>, score <c>[1]</c>.
/// </summary>
/// <remarks>
/// Empty histories (L = 0) and histories of padding only are normal input: k = min(K, real behaviours) is computed in
/// the graph, TopK with k = 0 yields an empty selection whose attention sums to zeros (no softmax over nothing feeds
/// the result), and <c>Where</c> then picks the learned empty interest. ONNX Gather reads negative indices from the
/// end of a table; the graph maps them past the end instead, so a negative index fails here as it does in C#.
/// Written for ONNX Runtime's speed: broadcasting element-wise ops over [L, 1] cost several ns per element, so
/// per-behaviour factors come from small lookup tables, padding is masked by adding a gathered −inf offset rather
/// than a select, and only non-zero query tokens are gathered (measured at L = 10,000 with one thread: 6.0 ms per run
/// before, 1.5 ms after).
/// </remarks>
internal static class PsuGraph
{
    const TensorProto.Types.DataType Int64 = TensorProto.Types.DataType.Int64, Float = TensorProto.Types.DataType.Float;

    /// <summary>Builds the graph's bytes; input and output names are the column names of <paramref name="columns"/>.</summary>
    public static byte[] Build(PsuScoringModel model, PsuColumnOptions columns)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(columns);
        CheckNames(InputNames(columns), OutputNames(columns), nameof(columns));

        var b = new OnnxGraphBuilder("seminar_psu", mlOpset: 0);
        var (tables, historyItems, historyTokens, targetItem, queryTokens, side) = AddInputs(b, model, columns);
        var x = Pair(b, tables, historyItems, historyTokens);                                           // [L, D]
        var target = Pair(b, tables, targetItem, queryTokens);                                          // [1, D]
        var interest = Attention(b, model, x, historyItems, targetItem, target);
        var score = Head(b, model.Weights, interest, target, side);
        int d = model.Dimension;

        b.Reshape(target, new[] { (long)d }, columns.OutputTargetColumnName);
        b.Reshape(interest, new[] { (long)d }, columns.OutputInterestColumnName);
        b.Reshape(score, new[] { 1L }, columns.OutputScoreColumnName);
        b.AddOutput(columns.OutputTargetColumnName, Float, d);
        b.AddOutput(columns.OutputInterestColumnName, Float, d);
        b.AddOutput(columns.OutputScoreColumnName, Float, 1);
        return SavedGraphs.ToBytes(b, SavedGraphs.Psu, Describe(model, columns, OutputNames(columns)));
    }

    /// <summary>
    /// What the C# scorer needs beside the graph's initializers (the tables <see cref="AddInputs"/>, <see cref="RequestVectors"/>,
    /// <see cref="ValueOutput"/> and <see cref="Head"/> write): column names, sizes and the retrieval strategy.
    /// </summary>
    internal sealed record Config(string HistoryItems, string HistoryQueryTokens, string TargetItem, string QueryTokens, string? SideFeatures,
        string[] Outputs, int Dimension, int Heads, int TopK, int QueryTokenSlots, int HeadLayers, string[] ModalityNames, string Retrieval);

    /// <summary>The configuration of a graph over <paramref name="model"/> reading <paramref name="columns"/>.</summary>
    internal static Config Describe(PsuScoringModel model, PsuColumnOptions columns, string[] outputs) => new(
        columns.HistoryItemIndicesColumnName, columns.HistoryQueryTokensColumnName, columns.TargetItemIndexColumnName, columns.QueryTokensColumnName,
        columns.SideFeaturesColumnName, outputs, model.Dimension, model.Heads, model.TopK, model.QueryTokens, model.Weights.Head.Count,
        model.ModalityNames.ToArray(), model.Weights.Retrieval.Name);

    /// <summary>
    /// The pair-fusion tables and the four inputs, reshaped and guarded: history items <c>[L]</c> and tokens <c>[L, T]</c>
    /// (reshaping to [L, T], an empty L kept empty, fails when the two columns disagree), target item <c>[1]</c>, query tokens <c>[1, T]</c>.
    /// Negative item indices are mapped past the end so they fail as in C#. With side features, their standardised values
    /// <c>z [1, S]</c> (see <see cref="SideFeatureScaling"/>); null without.
    /// </summary>
    internal static (Tables Tables, string HistoryItems, string HistoryTokens, string TargetItem, string QueryTokens, string? Side) AddInputs(
        OnnxGraphBuilder b, PsuScoringModel model, PsuColumnOptions columns)
    {
        int d = model.Dimension, t = model.QueryTokens;
        float a = model.QueryWeight;
        var tables = new Tables(
            b.AddInitializer("psu_item_table", model.ItemData, model.ItemCount, d),
            b.AddInitializer("psu_query_token_table", model.QueryTokenData, model.TokenCount, d),
            b.Int64Scalar(model.ItemCount, "psu_item_count"),
            b.Int64Scalar(model.TokenCount, "psu_token_count"),
            b.AddInitializer("psu_item_factor", Enumerable.Range(0, t + 1).Select(c => c == 0 ? 1f : 1f - a).ToArray(), t + 1),
            b.AddInitializer("psu_token_factor", Enumerable.Range(0, t + 1).Select(c => c == 0 ? 0f : a / c).ToArray(), t + 1),
            t);
        var historyItems = b.Reshape(b.AddInput(columns.HistoryItemIndicesColumnName, Int64, 1, "L"), new[] { -1L });
        var tokenShape = b.Concat(0, b.Shape(historyItems), b.Int64Vector(new[] { (long)t }, "query_slots"));
        var historyTokens = b.ReshapeExactly(b.AddInput(columns.HistoryQueryTokensColumnName, Int64, 1, "LT"), tokenShape);
        var targetItem = b.Reshape(b.AddInput(columns.TargetItemIndexColumnName, Int64, 1, 1), new[] { 1L });
        var queryTokens = b.Reshape(b.AddInput(columns.QueryTokensColumnName, Int64, 1, t), new[] { 1L, t });
        return (tables, PastEndIfNegative(b, historyItems, tables.ItemCount), historyTokens, PastEndIfNegative(b, targetItem, tables.ItemCount), queryTokens,
            SideFeatures(b, model.Weights, columns));
    }

    /// <summary><c>z = (sign(s) · ln(1 + |s|) − mean) / scale</c> of the side feature input <c>[1, S]</c>; null when the head reads none.</summary>
    static string? SideFeatures(OnnxGraphBuilder b, PsuWeights w, PsuColumnOptions columns)
    {
        if (w.SideFeatures == 0) return null;
        string name = columns.SideFeaturesColumnName
            ?? throw new ArgumentException($"The PSU was trained with {w.SideFeatures} side features, but no side feature column is set.", nameof(columns));
        var s = b.AddInput(name, Float, 1, w.SideFeatures);
        var compressed = b.Mul(b.AddNode("Sign", new[] { s }), b.AddNode("Log", new[] { b.Add(b.AddNode("Abs", new[] { s }), b.FloatScalar(1f, "one_f")) }));
        var mean = b.AddInitializer("psu_side_mean", w.SideMean!, 1, w.SideFeatures);
        var scale = b.AddInitializer("psu_side_scale", w.SideScale!, 1, w.SideFeatures);
        return b.Div(b.Sub(compressed, mean), scale);
    }

    /// <summary>Throws when an output name repeats an input name or names repeat.</summary>
    internal static void CheckNames(string[] inputs, string[] outputs, string paramName)
    {
        foreach (var name in outputs)
            if (inputs.Contains(name, StringComparer.Ordinal))
                throw new ArgumentException($"Output column '{name}' has the same name as an input column; choose another output name.", paramName);
        if (inputs.Concat(outputs).Distinct(StringComparer.Ordinal).Count() != inputs.Length + outputs.Length)
            throw new ArgumentException("The input and output column names must be distinct.", paramName);
    }

    /// <summary>The graph's input names, in feed order (the side feature column last, when set).</summary>
    public static string[] InputNames(PsuColumnOptions c)
    {
        var names = new[] { c.HistoryItemIndicesColumnName, c.HistoryQueryTokensColumnName, c.TargetItemIndexColumnName, c.QueryTokensColumnName };
        return c.SideFeaturesColumnName is { } side ? names.Append(side).ToArray() : names;
    }

    /// <summary>The graph's output names: target, interest, score.</summary>
    public static string[] OutputNames(PsuColumnOptions c) => new[] { c.OutputTargetColumnName, c.OutputInterestColumnName, c.OutputScoreColumnName };

    /// <summary>Initializers every pair fusion reads. ItemFactor[c] and TokenFactor[c] weigh the item and the token sum of a behaviour with c query tokens.</summary>
    internal sealed record Tables(string Items, string QueryTokens, string ItemCount, string TokenCount, string ItemFactor, string TokenFactor, long Slots);

    /// <summary>
    /// Pairs [N] items (already guarded against negative indices) with their [N, T] query tokens:
    /// <c>x = (1 − a)·e_item + a/count · Σ G_q tokens</c>, or <c>e_item</c> without tokens. The two factors depend only on
    /// the row's token count (0..T), so they are looked up in tables rather than computed per row.
    /// </summary>
    internal static string Pair(OnnxGraphBuilder b, Tables tables, string items, string tokens)
    {
        var count = b.ReduceSum(b.Min(tokens, b.Int64Scalar(1, "one_i")), new[] { 1L }, keepDims: false);            // [N]
        var itemPart = b.Mul(b.Gather(tables.Items, items), b.Unsqueeze(b.Gather(tables.ItemFactor, count), new[] { 1L })); // [N, D]
        // Only the non-zero slots are gathered and scatter-added into their row: most slots are padding (browsing
        // has no query), and gathering all N·T rows would move T times the memory.
        var flat = b.Reshape(tokens, new[] { -1L });                                                                   // [N·T]
        var slots = b.Reshape(b.NonZero(flat), new[] { -1L });                                                         // [n]
        var ids = PastEndIfNegative(b, b.Gather(flat, slots), tables.TokenCount);
        var owner = b.Div(slots, b.Int64Scalar(tables.Slots, "slots_per_row"));                                        // [n]
        var rows = b.Mul(b.Gather(tables.QueryTokens, ids), b.Unsqueeze(b.Gather(b.Gather(tables.TokenFactor, count), owner), new[] { 1L })); // [n, D]
        return b.ScatterAdd(itemPart, b.Unsqueeze(owner, new[] { 1L }), rows);
    }

    internal static string PastEndIfNegative(OnnxGraphBuilder b, string indices, string size) => b.Where(b.Less(indices, b.Int64Scalar(0, "zero")), size, indices);

    /// <summary>The weights' retrieval strategy emits its search and the ESU (see <see cref="PsuWeights"/>); returns the interest [1, D].</summary>
    static string Attention(OnnxGraphBuilder b, PsuScoringModel model, string x, string items, string targetItem, string target) =>
        model.Weights.Retrieval.EmitAttention(new StrategyGraph(b, model, x, RequestVectors(b, model, target), items, targetItem, target));

    /// <summary>The exact GSU over the unmasked positions: per-head top-K of the [H, L] scores, then the ESU.</summary>
    internal static string PerHead(OnnxGraphBuilder b, PsuScoringModel model, string x, string u, string offsets, string count)
    {
        var scores = b.Add(b.MatMul(x, u), b.Unsqueeze(offsets, new[] { 1L }));                        // [L, H]
        var byHead = b.Transpose(scores, new[] { 1L, 0L });                                             // [H, L]
        var (kept, positions) = b.TopK(byHead, TopK(b, model.TopK, count));                             // [H, k]
        return Esu(b, model, x, positions, kept, count);
    }

    /// <summary>The ESU over one set of retrieved positions [k] shared by the heads, each head with its own attention scores.</summary>
    internal static string Shared(OnnxGraphBuilder b, PsuScoringModel model, string x, string u, string positions, string count)
    {
        var relevance = b.Transpose(b.MatMul(b.Gather(x, positions), u), new[] { 1L, 0L });             // [H, k]
        return Esu(b, model, x, b.Unsqueeze(positions, new[] { 0L }), relevance, count);
    }

    /// <summary>The per-head request vectors <c>u_h = A_h t</c> as the columns of a [D, H] matrix.</summary>
    internal static string RequestVectors(OnnxGraphBuilder b, PsuScoringModel model, string target)
    {
        int d = model.Dimension, h = model.Heads;
        // P[i, j·H + h] = A_h[j, i], so t P reshaped to [D, H] holds u_h = A_h t as columns and X [L, D] times it scores every head at once.
        var p = new float[d * d * h];
        for (int head = 0; head < h; head++)
            for (int j = 0; j < d; j++)
                for (int i = 0; i < d; i++) p[i * d * h + j * h + head] = model.FoldedAttentionData[head * d * d + j * d + i];
        var folded = b.AddInitializer("psu_folded_attention", p, d, d * h);
        return b.Reshape(b.MatMul(target, folded), new[] { (long)d, h });
    }

    /// <summary>
    /// Per behaviour, the score offset that masks padding (−inf for item 0, else 0; [L]), and the count of real behaviours ([1]).
    /// Items are non-negative here, so min(item, 1) is 1 for a behaviour and 0 for padding.
    /// </summary>
    internal static (string Offsets, string Count) Padding(OnnxGraphBuilder b, string items) => Mask(b, Real(b, items));

    /// <summary>1 for a behaviour, 0 for padding ([L] int64); items are non-negative here.</summary>
    internal static string Real(OnnxGraphBuilder b, string items) => b.Min(items, b.Int64Scalar(1, "one_i"));

    /// <summary>The score offsets (−inf where <paramref name="keep"/> is 0, else 0; [L]) and how many are kept ([1]) of a 0/1 mask [L].</summary>
    internal static (string Offsets, string Count) Mask(OnnxGraphBuilder b, string keep)
    {
        var offsets = b.AddInitializer(b.UniqueName("psu_padding_offset"), new[] { float.NegativeInfinity, 0f }, 2);
        return (b.Gather(offsets, keep), b.ReduceSum(keep, axes: null, keepDims: true));
    }

    /// <summary>k = min(K, real behaviours), so padding (−inf) is never among the kept.</summary>
    internal static string TopK(OnnxGraphBuilder b, int topK, string count) => b.Min(count, b.Int64Vector(new[] { (long)topK }, "top_k"));

    /// <summary>
    /// ESU over each head's kept behaviours (<paramref name="positions"/> [H, k] or [1, k] into x, <paramref name="relevance"/> [H, k]):
    /// softmax, weighted sum, W_V per head, W_O; the learned empty interest when there is no behaviour. Returns [1, D].
    /// </summary>
    internal static string Esu(OnnxGraphBuilder b, PsuScoringModel model, string x, string positions, string relevance, string count)
    {
        var alpha = b.Unsqueeze(b.Softmax(relevance), new[] { 1L });                                // [H, 1, k]
        var mixed = b.MatMul(alpha, b.Gather(x, positions));                                        // [H, 1, D]; zeros when k = 0
        return ValueOutput(b, model, mixed, b.Greater(count, b.Int64Scalar(0, "zero")));
    }

    /// <summary>
    /// W_V per head over the mixed behaviours (<paramref name="mixed"/> [H, 1, D], or [1, D] shared by the heads), W_O over the
    /// concatenated heads; the learned empty interest where <paramref name="attended"/> is false. Returns [1, D].
    /// </summary>
    internal static string ValueOutput(OnnxGraphBuilder b, PsuScoringModel model, string mixed, string attended)
    {
        var w = model.Weights;
        int d = model.Dimension, h = model.Heads;
        var valueT = new float[h * d * d];
        for (int head = 0; head < h; head++) DenseMath.Transpose(w.AttentionValue.AsSpan(head * d * d, d * d), d, d).CopyTo(valueT, head * d * d);
        var value = b.AddInitializer("psu_attention_value_t", valueT, h, d, d);
        var output = b.AddInitializer("psu_attention_output", w.AttentionOutput.Weight, d, h * d);
        var outputBias = b.AddInitializer("psu_attention_output_bias", w.AttentionOutput.Bias, d);
        var empty = b.AddInitializer("psu_empty_interest", w.EmptyInterest, 1, d);

        var heads = b.Reshape(b.MatMul(mixed, value), new[] { 1L, (long)h * d });                  // [1, H·D]
        var interest = b.Gemm(heads, output, outputBias);
        return b.Where(attended, interest, empty);
    }

    /// <summary><c>logit = MLP([o; t; o ⊙ t; z])</c> with ReLU between layers (z: standardised side features [1, S], when given); returns [1, 1].</summary>
    internal static string Head(OnnxGraphBuilder b, PsuWeights weights, string interest, string target, string? side)
    {
        var layers = weights.Head;
        var parts = new List<string> { interest, target, b.Mul(interest, target) };
        if (side != null) parts.Add(side);
        var z = b.Concat(1, parts, null);
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var weight = b.AddInitializer(b.UniqueName($"psu_head{i}_weight"), layer.Weight, layer.Outputs, layer.Inputs);
            var bias = b.AddInitializer(b.UniqueName($"psu_head{i}_bias"), layer.Bias, layer.Outputs);
            z = b.Gemm(z, weight, bias);
            if (i < layers.Count - 1) z = b.Relu(z);
        }
        return z;
    }
}
