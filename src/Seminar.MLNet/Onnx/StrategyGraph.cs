using Onnx;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Onnx;

/// <summary>
/// The predecessors' search stages as ONNX nodes, for <see cref="PsuGraph"/>: what <see cref="PsuRowScorer"/> computes with the
/// <c>Retrieval.Strategies</c> kernels. Positions index the history as given (padding included); masked positions carry a −inf
/// offset so TopK never keeps them, and TopK's ties go to the lower index, as the kernels' do.
/// </summary>
static class StrategyGraph
{
    const TensorProto.Types.DataType Int64 = TensorProto.Types.DataType.Int64, Float = TensorProto.Types.DataType.Float;

    /// <summary>DIN: of the real behaviours (<paramref name="real"/>, 0/1 [L] int64), the last <paramref name="window"/>: those with at most N real ones at or after them.</summary>
    public static string RecentOnly(OnnxGraphBuilder b, string real, int window)
    {
        var atOrAfter = b.AddNode("CumSum", new[] { real, b.Int64Scalar(0, "axis0") }, (string?)null, OnnxOpsets.DefaultDomain, OnnxAttribute.Int("reverse", 1));
        var inWindow = b.Cast(b.Less(atOrAfter, b.Int64Scalar(window + 1L, "recent_window")), Int64);
        return b.Mul(real, inWindow);
    }

    /// <summary>SIM: positions [k] of the top-k behaviours by retrieval-embedding inner product with the target item.</summary>
    public static string SoftSearch(OnnxGraphBuilder b, PsuScoringModel model, string items, string targetItem, string offsets, string k)
    {
        var table = b.AddInitializer("psu_retrieval_items", model.Weights.RetrievalItems!, model.ItemCount, model.Dimension);
        var query = b.Transpose(b.Gather(table, targetItem), new[] { 1L, 0L });                       // [D, 1]
        var scores = b.Reshape(b.MatMul(b.Gather(table, items), query), new[] { -1L });                 // [L]
        return b.TopK(b.Add(scores, offsets), k).Indices;
    }

    /// <summary>
    /// ETA: positions [k] of the behaviours nearest the target in SimHash Hamming distance. With ±1 signs the dot of two signatures is
    /// <c>bits − 2·Hamming</c> (exact in float), so the largest dots are the nearest.
    /// </summary>
    public static string NearestSignatures(OnnxGraphBuilder b, PsuScoringModel model, string x, string target, string offsets, string k)
    {
        var rotation = Rotation(b, model);
        var agreement = b.MatMul(Signs(b, x, rotation), b.Transpose(Signs(b, target, rotation), new[] { 1L, 0L }));  // [L, 1]
        return b.TopK(b.Add(b.Reshape(agreement, new[] { -1L }), offsets), k).Indices;
    }

    /// <summary>
    /// SDIM: each behaviour's weight <c>(1/m) Σ_j [collide_j] / max(1, count_j)</c> as a [1, L] row. Function j's b signs agree with
    /// the target's in full exactly when their product summed over the function's bits is b.
    /// </summary>
    public static string CollisionWeights(OnnxGraphBuilder b, PsuScoringModel model, string x, string target, string real)
    {
        var w = model.Weights;
        int m = w.HashFunctions, bits = w.BitsPerFunction;
        var rotation = Rotation(b, model);
        // Sums each function's bits: block[j·b + c, j] = 1.
        var block = new float[m * bits * m];
        for (int j = 0; j < m; j++)
            for (int c = 0; c < bits; c++) block[(j * bits + c) * m + j] = 1;
        var perFunction = b.MatMul(b.Mul(Signs(b, x, rotation), Signs(b, target, rotation)), b.AddInitializer("psu_hash_function_blocks", block, m * bits, m)); // [L, m]
        var realRows = b.Unsqueeze(b.Cast(real, Float), new[] { 1L });                                                   // [L, 1]
        var collide = b.Mul(b.Cast(b.Equal(perFunction, b.FloatScalar(bits, "bits_per_function")), Float), realRows);  // [L, m]
        var counts = b.Max(b.ReduceSum(collide, new[] { 0L }, keepDims: true), b.FloatScalar(1, "one_f"));                                               // [1, m]
        var weights = b.ReduceSum(b.Div(collide, counts), new[] { 1L }, keepDims: false);                                                              // [L]
        return b.Unsqueeze(b.Div(weights, b.FloatScalar(m, "hash_functions")), new[] { 0L });
    }

    /// <summary>The rotation transposed, <c>Rᵀ</c> [D, rows], shared by the signature nodes.</summary>
    static string Rotation(OnnxGraphBuilder b, PsuScoringModel model)
    {
        const string name = "psu_hash_rotation_t";
        if (b.IsDefined(name)) return name;
        var w = model.Weights;
        return b.AddInitializer(name, DenseMath.Transpose(w.HashRotations!, w.HashRows, model.Dimension), model.Dimension, w.HashRows);
    }

    /// <summary>+1 where <c>R_i · v &gt; 0</c>, else −1, for vectors [N, D]: [N, rows].</summary>
    static string Signs(OnnxGraphBuilder b, string vectors, string rotationT) =>
        b.Where(b.Greater(b.MatMul(vectors, rotationT), b.FloatScalar(0, "zero_f")), b.FloatScalar(1, "plus_one"), b.FloatScalar(-1, "minus_one"));
}
