using Onnx;

namespace Seminar.MLNet.Onnx;

/// <summary>Shape and indexing operators (default domain; opset-13+ forms that take axes/shapes as inputs).</summary>
internal static class OnnxTensorOps
{
    /// <summary><c>Identity</c>, typically to copy an intermediate value into a declared graph output.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Identity(this OnnxGraphBuilder b, string input, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        return b.AddNode("Identity", new[] { input }, output);
    }

    /// <summary><c>Gather</c>: rows (or slices along <paramref name="axis"/>) of <paramref name="data"/> at int64/int32 <paramref name="indices"/>.
    /// Out-of-range indices make ONNX Runtime fail; negative ones count from the end.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="data">Data, e.g. an embedding table [V, D].</param>
    /// <param name="indices">Indices of any shape.</param>
    /// <param name="axis">Axis of <paramref name="data"/> to index.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name (shape data.shape[:axis] + indices.shape + data.shape[axis+1:]).</returns>
    public static string Gather(this OnnxGraphBuilder b, string data, string indices, long axis = 0, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        return b.AddNode("Gather", new[] { data, indices }, output, OnnxOpsets.DefaultDomain, OnnxAttribute.Int("axis", axis));
    }

    /// <summary><c>Reshape</c> to a constant shape (0 = copy that input dim, -1 = infer one dim).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="shape">Target shape.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Reshape(this OnnxGraphBuilder b, string input, long[] shape, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(shape);
        return b.Reshape(input, b.Int64Vector(shape, "shape"), output);
    }

    /// <summary><c>Reshape</c> to a shape computed in the graph (1-D int64 value).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="shape">1-D int64 value name holding the target shape.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Reshape(this OnnxGraphBuilder b, string input, string shape, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        return b.AddNode("Reshape", new[] { input, shape }, output);
    }

    /// <summary>
    /// <c>Reshape</c> to a shape computed in the graph, a 0 in it meaning an empty dim (<c>allowzero = 1</c>), so it fails
    /// unless the input has exactly as many values as the shape: the graph's guard that two inputs agree in length.
    /// </summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="shape">1-D int64 value name holding the target shape (no -1).</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string ReshapeExactly(this OnnxGraphBuilder b, string input, string shape, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        return b.AddNode("Reshape", new[] { input, shape }, output, OnnxOpsets.DefaultDomain, OnnxAttribute.Int("allowzero", 1));
    }

    /// <summary><c>Cast</c> to another element type.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="to">Target element type.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Cast(this OnnxGraphBuilder b, string input, TensorProto.Types.DataType to, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        return b.AddNode("Cast", new[] { input }, output, OnnxOpsets.DefaultDomain, OnnxAttribute.Int("to", (long)to));
    }

    /// <summary><c>Shape</c>: the 1-D int64 shape of <paramref name="input"/>, optionally only dims [start, end).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="start">First dim (negative counts from the end), or null for 0.</param>
    /// <param name="end">End dim (exclusive), or null for all.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Shape(this OnnxGraphBuilder b, string input, long? start = null, long? end = null, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        var attributes = new List<AttributeProto>();
        if (start is long s) attributes.Add(OnnxAttribute.Int("start", s));
        if (end is long e) attributes.Add(OnnxAttribute.Int("end", e));
        return b.AddNode("Shape", new[] { input }, output, OnnxOpsets.DefaultDomain, attributes.ToArray());
    }

    /// <summary><c>Slice</c> with constant bounds. Ends past the dim are clamped (use <see cref="long.MaxValue"/> for "to the end").</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="starts">Start per sliced axis.</param>
    /// <param name="ends">End (exclusive) per sliced axis.</param>
    /// <param name="axes">Sliced axes, or null for 0..n-1.</param>
    /// <param name="steps">Steps, or null for 1.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Slice(this OnnxGraphBuilder b, string input, long[] starts, long[] ends, long[]? axes = null, long[]? steps = null, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(starts);
        ArgumentNullException.ThrowIfNull(ends);
        if (starts.Length != ends.Length || (axes is not null && axes.Length != starts.Length) || (steps is not null && steps.Length != starts.Length))
            throw new ArgumentException("Slice needs starts, ends, axes and steps of the same length.", nameof(ends));
        return b.Slice(input, b.Int64Vector(starts, "starts"), b.Int64Vector(ends, "ends"),
            axes is null ? null : b.Int64Vector(axes, "axes"), steps is null ? null : b.Int64Vector(steps, "steps"), output);
    }

    /// <summary><c>Slice</c> with bounds computed in the graph (1-D int64 values).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="starts">Starts value name.</param>
    /// <param name="ends">Ends value name.</param>
    /// <param name="axes">Axes value name, or null.</param>
    /// <param name="steps">Steps value name, or null.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Slice(this OnnxGraphBuilder b, string input, string starts, string ends, string? axes, string? steps = null, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        var inputs = new List<string> { input, starts, ends };
        if (axes is not null || steps is not null) inputs.Add(axes ?? "");
        if (steps is not null) inputs.Add(steps);
        return b.AddNode("Slice", inputs, output);
    }

    /// <summary><c>NonZero</c>: the indices of the non-zero elements, int64 <c>[rank, count]</c> in row-major order.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string NonZero(this OnnxGraphBuilder b, string input, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        return b.AddNode("NonZero", new[] { input }, output);
    }

    /// <summary><c>ConstantOfShape</c>: a float tensor of zeros whose shape is computed in the graph (1-D int64 value).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="shape">1-D int64 value name holding the shape.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string FloatZeros(this OnnxGraphBuilder b, string shape, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        return b.AddNode("ConstantOfShape", new[] { shape }, output, OnnxOpsets.DefaultDomain,
            OnnxAttribute.Tensor("value", OnnxTensors.Float("", new[] { 0f }, 1)));
    }

    /// <summary><c>ConstantOfShape</c>: an int64 tensor of zeros whose shape is computed in the graph (1-D int64 value).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="shape">1-D int64 value name holding the shape.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Int64Zeros(this OnnxGraphBuilder b, string shape, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        return b.AddNode("ConstantOfShape", new[] { shape }, output, OnnxOpsets.DefaultDomain,
            OnnxAttribute.Tensor("value", OnnxTensors.Int64("", new[] { 0L }, 1)));
    }

    /// <summary><c>ScatterND</c> without reduction: <c>data[indices[i]] = updates[i]</c> (indices must not repeat).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="data">The tensor written into.</param>
    /// <param name="indices">int64 [count, k] index prefixes into data.</param>
    /// <param name="updates">[count, ...data.shape[k:]] values.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Scatter(this OnnxGraphBuilder b, string data, string indices, string updates, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        return b.AddNode("ScatterND", new[] { data, indices, updates }, output);
    }

    /// <summary>
    /// <c>ScatterND</c> with <c>reduction = "add"</c> (opset 16+): <c>data[indices[i]] += updates[i]</c>; repeated indices accumulate.
    /// </summary>
    /// <param name="b">The builder.</param>
    /// <param name="data">The tensor added into, e.g. zeros [N, D].</param>
    /// <param name="indices">int64 [count, k] index prefixes into data.</param>
    /// <param name="updates">[count, ...data.shape[k:]] values.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string ScatterAdd(this OnnxGraphBuilder b, string data, string indices, string updates, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        return b.AddNode("ScatterND", new[] { data, indices, updates }, output, OnnxOpsets.DefaultDomain, OnnxAttribute.String("reduction", "add"));
    }

    /// <summary><c>Transpose</c> with an explicit permutation.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="perm">Output axis i is input axis perm[i].</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Transpose(this OnnxGraphBuilder b, string input, long[] perm, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(perm);
        return b.AddNode("Transpose", new[] { input }, output, OnnxOpsets.DefaultDomain, OnnxAttribute.Ints("perm", perm));
    }

    /// <summary><c>Concat</c> along <paramref name="axis"/>.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="axis">Axis.</param>
    /// <param name="inputs">Inputs (same shape except along the axis).</param>
    /// <returns>The output value name.</returns>
    public static string Concat(this OnnxGraphBuilder b, long axis, params string[] inputs) => b.Concat(axis, inputs, null);

    /// <summary><c>Concat</c> along <paramref name="axis"/> into a named output.</summary>
    /// <param name="b">The builder.</param>
    /// <param name="axis">Axis.</param>
    /// <param name="inputs">Inputs (same shape except along the axis).</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Concat(this OnnxGraphBuilder b, long axis, IReadOnlyList<string> inputs, string? output)
    {
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0) throw new ArgumentException("Concat needs at least one input.", nameof(inputs));
        return b.AddNode("Concat", inputs, output, OnnxOpsets.DefaultDomain, OnnxAttribute.Int("axis", axis));
    }

    /// <summary><c>Unsqueeze</c>: inserts size-1 dims at <paramref name="axes"/> (axes as an input, opset 13+).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="axes">Axes in the output.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Unsqueeze(this OnnxGraphBuilder b, string input, long[] axes, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(axes);
        return b.AddNode("Unsqueeze", new[] { input, b.Int64Vector(axes, "axes") }, output);
    }

    /// <summary><c>Squeeze</c>: removes size-1 dims at <paramref name="axes"/> (all size-1 dims when null; axes as an input, opset 13+).</summary>
    /// <param name="b">The builder.</param>
    /// <param name="input">Input.</param>
    /// <param name="axes">Axes to remove, or null.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <returns>The output value name.</returns>
    public static string Squeeze(this OnnxGraphBuilder b, string input, long[]? axes = null, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        var inputs = axes is null ? new[] { input } : new[] { input, b.Int64Vector(axes, "axes") };
        return b.AddNode("Squeeze", inputs, output);
    }
}
