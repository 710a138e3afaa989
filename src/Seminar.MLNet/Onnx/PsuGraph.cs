using Onnx;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Onnx;

/// <summary>
/// The PSU forward pass as an ONNX graph: the persisted form of <see cref="PsuRowScorer"/>, run by ML.NET's
/// OnnxTransformer. Inputs are the featurizer's outputs as OnnxTransformer feeds them: history items <c>[1, L]</c>,
/// history query tokens <c>[1, L·T]</c>, target item <c>[1, 1]</c> and query tokens <c>[1, T]</c> (int64). Outputs have
/// fixed shapes so their columns have known sizes: target <c>[D]</c>, interest <c>[D]</c>, score <c>[1]</c>.
/// </summary>
/// <remarks>
/// Empty histories (L = 0) and histories of padding only are normal input: k = min(K, real behaviours) is computed in
/// the graph, TopK with k = 0 yields an empty selection whose attention sums to zeros (no softmax over nothing feeds
/// the result), and <c>Where</c> then picks the learned empty interest. ONNX Gather reads negative indices from the
/// end of a table; the graph maps them past the end instead, so a negative index fails here as it does in C#.
/// </remarks>
public static class PsuGraph
{
    const TensorProto.Types.DataType Int64 = TensorProto.Types.DataType.Int64, Float = TensorProto.Types.DataType.Float;

    /// <summary>Builds the graph's bytes; input and output names are the column names of <paramref name="columns"/>.</summary>
    public static byte[] Build(PsuScoringModel model, PsuColumnOptions columns)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(columns);
        var inputs = InputNames(columns);
        var outputs = OutputNames(columns);
        foreach (var name in outputs)
            if (inputs.Contains(name, StringComparer.Ordinal))
                throw new ArgumentException($"Output column '{name}' has the same name as an input column; choose another output name.", nameof(columns));
        if (inputs.Concat(outputs).Distinct(StringComparer.Ordinal).Count() != inputs.Length + outputs.Length)
            throw new ArgumentException("The PSU's input and output column names must be distinct.", nameof(columns));

        var w = model.Weights;
        int d = model.Dimension, h = model.Heads, t = model.QueryTokens;
        var b = new OnnxGraphBuilder("seminar_psu", mlOpset: 0);
        var tables = new Tables(
            b.AddInitializer("psu_item_table", model.ItemTable, model.ItemCount, d),
            b.AddInitializer("psu_query_token_table", model.QueryTokenTable, model.TokenCount, d),
            b.Int64Scalar(model.ItemCount, "psu_item_count"),
            b.Int64Scalar(model.TokenCount, "psu_token_count"),
            b.FloatScalar(model.QueryWeight, "psu_query_weight"),
            b.FloatScalar(1f - model.QueryWeight, "psu_item_weight"));

        // History [L] and its tokens [L, T]: reshaping by L·T and T fails when the two columns disagree.
        var historyItems = b.Reshape(b.AddInput(columns.HistoryItemsColumn, Int64, 1, "L"), new[] { -1L });
        var tokenShape = b.Concat(0, b.Shape(historyItems), b.Int64Vector(new[] { (long)t }, "query_slots"));
        var historyTokens = b.Reshape(b.AddInput(columns.HistoryQueryTokensColumn, Int64, 1, "LT"), tokenShape);
        var targetItem = b.Reshape(b.AddInput(columns.TargetItemColumn, Int64, 1, 1), new[] { 1L });
        var queryTokens = b.Reshape(b.AddInput(columns.QueryTokensColumn, Int64, 1, t), new[] { 1L, t });

        var x = Pair(b, tables, historyItems, historyTokens);    // [L, D]
        var target = Pair(b, tables, targetItem, queryTokens);  // [1, D]
        var interest = Attention(b, model, x, historyItems, target);
        var score = Head(b, w.Head, interest, target, d);

        b.Reshape(target, new[] { (long)d }, columns.TargetOutputColumn);
        b.Reshape(interest, new[] { (long)d }, columns.InterestOutputColumn);
        b.Reshape(score, new[] { 1L }, columns.ScoreOutputColumn);
        b.AddOutput(columns.TargetOutputColumn, Float, d);
        b.AddOutput(columns.InterestOutputColumn, Float, d);
        b.AddOutput(columns.ScoreOutputColumn, Float, 1);
        return b.ToBytes();
    }

    /// <summary>The graph's input names, in feed order.</summary>
    public static string[] InputNames(PsuColumnOptions c) => new[] { c.HistoryItemsColumn, c.HistoryQueryTokensColumn, c.TargetItemColumn, c.QueryTokensColumn };

    /// <summary>The graph's output names: target, interest, score.</summary>
    public static string[] OutputNames(PsuColumnOptions c) => new[] { c.TargetOutputColumn, c.InterestOutputColumn, c.ScoreOutputColumn };

    sealed record Tables(string Items, string QueryTokens, string ItemCount, string TokenCount, string QueryWeight, string ItemWeight);

    /// <summary>Pairs [N] items with their [N, T] query tokens: <c>x = a·mean(G_q tokens) + (1 − a)·e_item</c>, or <c>e_item</c> without tokens.</summary>
    static string Pair(OnnxGraphBuilder b, Tables tables, string items, string tokens)
    {
        var zero = b.Int64Scalar(0, "zero");
        var item = b.Gather(tables.Items, PastEndIfNegative(b, items, tables.ItemCount, zero));
        // The query table's row 0 is zeros, so summing every slot sums the real tokens.
        var tokenSum = b.ReduceSum(b.Gather(tables.QueryTokens, PastEndIfNegative(b, tokens, tables.TokenCount, zero)), new[] { 1L }, keepDims: false);
        var count = b.ReduceSum(b.Cast(b.Greater(tokens, zero), Float), new[] { 1L }, keepDims: true); // [N, 1]
        var mean = b.Div(tokenSum, b.Max(count, b.FloatScalar(1f, "one")));
        var fused = b.Add(b.Mul(mean, tables.QueryWeight), b.Mul(item, tables.ItemWeight));
        return b.Where(b.Greater(count, b.FloatScalar(0f, "zero_f")), fused, item);
    }

    static string PastEndIfNegative(OnnxGraphBuilder b, string indices, string size, string zero) => b.Where(b.Less(indices, zero), size, indices);

    /// <summary>GSU (per-head top-K over [H, L] scores, padding masked) and ESU; returns the interest [1, D].</summary>
    static string Attention(OnnxGraphBuilder b, PsuScoringModel model, string x, string items, string target)
    {
        var w = model.Weights;
        int d = model.Dimension, h = model.Heads;
        // P[i, j·H + h] = A_h[j, i], so t P reshaped to [D, H] holds u_h = A_h t as columns and X [L, D] times it scores every head at once.
        var p = new float[d * d * h];
        for (int head = 0; head < h; head++)
            for (int j = 0; j < d; j++)
                for (int i = 0; i < d; i++) p[i * d * h + j * h + head] = model.FoldedAttention[head * d * d + j * d + i];
        var folded = b.AddInitializer("psu_folded_attention", p, d, d * h);
        var valueT = new float[h * d * d];
        for (int head = 0; head < h; head++) DenseMath.Transpose(w.AttentionValue.AsSpan(head * d * d, d * d), d, d).CopyTo(valueT, head * d * d);
        var value = b.AddInitializer("psu_attention_value_t", valueT, h, d, d);
        var output = b.AddInitializer("psu_attention_output", w.AttentionOutput.Weight, d, h * d);
        var outputBias = b.AddInitializer("psu_attention_output_bias", w.AttentionOutput.Bias, d);
        var empty = b.AddInitializer("psu_empty_interest", w.EmptyInterest, 1, d);

        var u = b.Reshape(b.MatMul(target, folded), new[] { (long)d, h });                       // [D, H]
        var real = b.Greater(items, b.Int64Scalar(0, "zero"));                                      // [L]
        var scores = b.Where(b.Unsqueeze(real, new[] { 1L }), b.MatMul(x, u), b.FloatScalar(float.NegativeInfinity, "minus_inf")); // [L, H]
        var byHead = b.Transpose(scores, new[] { 1L, 0L });                                        // [H, L]
        var count = b.ReduceSum(b.Cast(real, TensorProto.Types.DataType.Int64), axes: null, keepDims: true); // [1]
        var k = b.Min(count, b.Int64Vector(new[] { (long)model.TopK }, "top_k"));
        var (kept, positions) = b.TopK(byHead, k);                                                  // [H, k]
        var alpha = b.Unsqueeze(b.Softmax(kept), new[] { 1L });                                     // [H, 1, k]
        var mixed = b.MatMul(alpha, b.Gather(x, positions));                                        // [H, 1, D]; zeros when k = 0
        var heads = b.Reshape(b.MatMul(mixed, value), new[] { 1L, (long)h * d });                  // [1, H·D]
        var interest = b.Gemm(heads, output, outputBias);
        return b.Where(b.Greater(count, b.Int64Scalar(0, "zero")), interest, empty);
    }

    /// <summary><c>logit = MLP([o; t; o ⊙ t])</c> with ReLU between layers; returns [1, 1].</summary>
    static string Head(OnnxGraphBuilder b, IReadOnlyList<DenseLayer> layers, string interest, string target, int d)
    {
        var z = b.Concat(1, interest, target, b.Mul(interest, target));
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
