using Onnx;

namespace Seminar.MLNet.Onnx;

/// <summary>Arithmetic, matrix and reduction operators (default domain, opset 20 forms).</summary>
internal static class OnnxMathOps
{
    /// <summary><c>MatMul</c> (numpy semantics, batched over leading dims).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="a">Left operand.</param>
    /// <param name="c">Right operand.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string MatMul(this OnnxGraphBuilder b, string a, string c, string? output = null) => Binary(b, "MatMul", a, c, output);

    /// <summary>Element-wise <c>Add</c> with broadcasting.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="a">Left operand.</param>
    /// <param name="c">Right operand.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Add(this OnnxGraphBuilder b, string a, string c, string? output = null) => Binary(b, "Add", a, c, output);

    /// <summary>Element-wise <c>Sub</c> with broadcasting.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="a">Left operand.</param>
    /// <param name="c">Right operand.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Sub(this OnnxGraphBuilder b, string a, string c, string? output = null) => Binary(b, "Sub", a, c, output);

    /// <summary>Element-wise <c>Mul</c> with broadcasting.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="a">Left operand.</param>
    /// <param name="c">Right operand.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Mul(this OnnxGraphBuilder b, string a, string c, string? output = null) => Binary(b, "Mul", a, c, output);

    /// <summary>Element-wise <c>Div</c> with broadcasting.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="a">Dividend.</param>
    /// <param name="c">Divisor.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Div(this OnnxGraphBuilder b, string a, string c, string? output = null) => Binary(b, "Div", a, c, output);

    /// <summary>Element-wise <c>Min</c> with broadcasting (any numeric type, e.g. clamping an int64 k).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="a">Left operand.</param>
    /// <param name="c">Right operand.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Min(this OnnxGraphBuilder b, string a, string c, string? output = null) => Binary(b, "Min", a, c, output);

    /// <summary>Element-wise <c>Max</c> with broadcasting.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="a">Left operand.</param>
    /// <param name="c">Right operand.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Max(this OnnxGraphBuilder b, string a, string c, string? output = null) => Binary(b, "Max", a, c, output);

    /// <summary><c>Relu</c>: max(x, 0) element-wise.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Relu(this OnnxGraphBuilder b, string input, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        return b.AddNode("Relu", new[] { input }, output);
    }

    /// <summary>
    /// <c>Gemm</c>: <c>Y = A B + C</c> for 2-D A and B (C broadcast); with <paramref name="transB"/> B is stored
    /// <c>[out, in]</c> as <c>torch.nn.Linear</c> keeps its weight, so a dense layer is one node.
    /// </summary>
    /// <param name="b">The builder.</param>
    /// <param name="a">A, [M, K].</param>
    /// <param name="weight">B, [K, N] (or [N, K] with <paramref name="transB"/>).</param>
    /// <param name="bias">C, broadcastable to [M, N], or null.</param>
    /// <param name="transB">Transpose B.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Gemm(this OnnxGraphBuilder b, string a, string weight, string? bias, bool transB = true, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        var inputs = bias is null ? new[] { a, weight } : new[] { a, weight, bias };
        return b.AddNode("Gemm", inputs, output, OnnxOpsets.DefaultDomain, OnnxAttribute.Int("transB", transB ? 1 : 0));
    }

    /// <summary><c>ReduceSum</c> (axes as an input, opset 13+).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="axes">Axes to reduce; null or empty = all axes.</param>
    /// <param name="keepDims">Keep reduced axes with size 1.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string ReduceSum(this OnnxGraphBuilder b, string input, long[]? axes = null, bool keepDims = true, string? output = null) =>
        Reduce(b, "ReduceSum", input, axes, keepDims, output);

    /// <summary><c>ReduceMean</c> (axes as an input, opset 18+). The mean over an empty axis is NaN.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="axes">Axes to reduce; null or empty = all axes.</param>
    /// <param name="keepDims">Keep reduced axes with size 1.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string ReduceMean(this OnnxGraphBuilder b, string input, long[]? axes = null, bool keepDims = true, string? output = null) =>
        Reduce(b, "ReduceMean", input, axes, keepDims, output);

    /// <summary><c>ReduceMax</c> (axes as an input, opset 18+).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="axes">Axes to reduce; null or empty = all axes.</param>
    /// <param name="keepDims">Keep reduced axes with size 1.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string ReduceMax(this OnnxGraphBuilder b, string input, long[]? axes = null, bool keepDims = true, string? output = null) =>
        Reduce(b, "ReduceMax", input, axes, keepDims, output);

    /// <summary><c>ReduceMin</c> (axes as an input, opset 18+).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="axes">Axes to reduce; null or empty = all axes.</param>
    /// <param name="keepDims">Keep reduced axes with size 1.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string ReduceMin(this OnnxGraphBuilder b, string input, long[]? axes = null, bool keepDims = true, string? output = null) =>
        Reduce(b, "ReduceMin", input, axes, keepDims, output);

    /// <summary><c>Softmax</c> along one axis (opset 13+ semantics: that axis only).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="axis">Axis; negative counts from the end.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Softmax(this OnnxGraphBuilder b, string input, long axis = -1, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        return b.AddNode("Softmax", new[] { input }, output, OnnxOpsets.DefaultDomain, OnnxAttribute.Int("axis", axis));
    }

    /// <summary><c>ArgMin</c> along one axis; ties go to the first (lowest) index.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="axis">Axis reduced.</param>
    /// <param name="keepDims">Whether the reduced axis stays with size 1.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The int64 output value name.</returns>
    public static string ArgMin(this OnnxGraphBuilder b, string input, long axis, bool keepDims = false, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        return b.AddNode("ArgMin", new[] { input }, output, OnnxOpsets.DefaultDomain,
            OnnxAttribute.Int("axis", axis), OnnxAttribute.Int("keepdims", keepDims ? 1 : 0));
    }

    /// <summary>
    /// <c>TopK</c>: the <paramref name="k"/> largest (or smallest) entries along <paramref name="axis"/>.
    /// ONNX Runtime fails when k exceeds the axis length; clamp first (e.g. <c>Min</c> of k and a <c>Shape</c> slice) if it can.
    /// </summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="k">A 1-element int64 tensor value name holding k (see <see cref="OnnxGraphBuilder.Int64Vector"/>).</param>
    /// <param name="axis">Axis.</param>
    /// <param name="largest">Largest (true) or smallest.</param>
    /// <param name="sorted">Sorted output.</param>
    /// <param name="values">Values output name, or null.</param>
    /// <param name="indices">Indices (int64) output name, or null.</param>
    /// <returns>The values and indices value names.</returns>
    public static (string Values, string Indices) TopK(
        this OnnxGraphBuilder b, string input, string k, long axis = -1, bool largest = true, bool sorted = true, string? values = null, string? indices = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        var v = values ?? b.UniqueName("topk_values");
        var i = indices ?? b.UniqueName("topk_indices");
        b.AddNode("TopK", new[] { input, k }, new[] { v, i }, OnnxOpsets.DefaultDomain,
            OnnxAttribute.Int("axis", axis), OnnxAttribute.Int("largest", largest ? 1 : 0), OnnxAttribute.Int("sorted", sorted ? 1 : 0));
        return (v, i);
    }

    /// <summary><c>TopK</c> with a constant k.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="k">k (at most the axis length at run time).</param>
    /// <param name="axis">Axis.</param>
    /// <param name="largest">Largest (true) or smallest.</param>
    /// <param name="sorted">Sorted output.</param>
    /// <returns>The values and indices value names.</returns>
    public static (string Values, string Indices) TopK(this OnnxGraphBuilder b, string input, long k, long axis = -1, bool largest = true, bool sorted = true)
    {
        ArgumentNullException.ThrowIfNull(b);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        return b.TopK(input, b.Int64Vector(new[] { k }, "k"), axis, largest, sorted);
    }

    private static string Binary(OnnxGraphBuilder b, string op, string a, string c, string? output)
    {
        ArgumentNullException.ThrowIfNull(b);
        return b.AddNode(op, new[] { a, c }, output);
    }

    private static string Reduce(OnnxGraphBuilder b, string op, string input, long[]? axes, bool keepDims, string? output)
    {
        ArgumentNullException.ThrowIfNull(b);
        var inputs = axes is { Length: > 0 } ? new[] { input, b.Int64Vector(axes, "axes") } : new[] { input };
        return b.AddNode(op, inputs, output, OnnxOpsets.DefaultDomain, OnnxAttribute.Int("keepdims", keepDims ? 1 : 0));
    }
}
