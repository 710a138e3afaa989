namespace Seminar.MLNet.Onnx;

/// <summary>Comparison and selection operators (broadcasting; comparisons give bool tensors).</summary>
internal static class OnnxLogicOps
{
    /// <summary><c>Equal</c>: a == c element-wise (bool).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="a">Left operand.</param>
    /// <param name="c">Right operand.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Equal(this OnnxGraphBuilder b, string a, string c, string? output = null) => Node(b, "Equal", output, a, c);

    /// <summary><c>Less</c>: a &lt; c element-wise (bool).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="a">Left operand.</param>
    /// <param name="c">Right operand.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Less(this OnnxGraphBuilder b, string a, string c, string? output = null) => Node(b, "Less", output, a, c);

    /// <summary><c>Greater</c>: a &gt; c element-wise (bool).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="a">Left operand.</param>
    /// <param name="c">Right operand.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Greater(this OnnxGraphBuilder b, string a, string c, string? output = null) => Node(b, "Greater", output, a, c);

    /// <summary><c>Not</c> of a bool tensor.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="a">Operand.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Not(this OnnxGraphBuilder b, string a, string? output = null) => Node(b, "Not", output, a);

    /// <summary><c>Where</c>: condition ? x : y element-wise with broadcasting.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="condition">Bool tensor.</param>
    /// <param name="x">Values where true.</param>
    /// <param name="y">Values where false.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Where(this OnnxGraphBuilder b, string condition, string x, string y, string? output = null) => Node(b, "Where", output, condition, x, y);

    private static string Node(OnnxGraphBuilder b, string op, string? output, params string[] inputs)
    {
        ArgumentNullException.ThrowIfNull(b);
        return b.AddNode(op, inputs, output);
    }
}
