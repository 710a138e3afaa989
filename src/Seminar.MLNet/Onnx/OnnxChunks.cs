using Onnx;

namespace Seminar.MLNet.Onnx;

/// <summary>
/// Row-chunked evaluation with ONNX <c>Scan</c>: a computation whose per-row intermediates are much wider than its
/// input and output rows runs one fixed-size chunk of rows at a time, so its peak memory is bounded by the chunk and
/// not by the row count (ONNX Runtime frees a body's intermediates after each iteration).
/// </summary>
internal static class OnnxChunks
{
    const TensorProto.Types.DataType Int64 = TensorProto.Types.DataType.Int64;

    /// <summary>
    /// Pads <paramref name="input"/> <c>[R, ...rest]</c> with zero rows to a whole number of chunks and reshapes it to
    /// <c>[chunks, chunk, ...rest]</c>. There is always at least one chunk: a Scan of zero iterations has no output
    /// shape to give, and an empty batched MatMul crashes ONNX Runtime 1.31 (SIGFPE).
    /// </summary>
    internal static string Split(OnnxGraphBuilder b, string input, int chunk, params long[] rest)
    {
        var rows = b.Shape(input, 0, 1);
        var size = b.Int64Vector(new[] { (long)chunk }, "chunk_rows");
        var chunks = b.Max(b.Div(b.Add(rows, b.Int64Vector(new[] { chunk - 1L }, "chunk_round_up")), size), b.Int64Vector(new[] { 1L }, "one_chunk"));
        var ends = new List<string> { b.Sub(b.Mul(chunks, size), rows) };
        if (rest.Length > 0) ends.Add(b.Int64Vector(new long[rest.Length], "no_padding"));
        var pads = b.Concat(0, ends.Prepend(b.Int64Vector(new long[1 + rest.Length], "no_padding")).ToArray());
        return b.Reshape(b.AddNode("Pad", new[] { input, pads }), new[] { -1L, chunk }.Concat(rest).ToArray());
    }

    /// <summary>
    /// The first <paramref name="rows"/> (1-D int64 value) along <paramref name="axis"/> of a Scan output, its chunk
    /// axes merged by reshaping to <paramref name="merged"/> (with one −1).
    /// </summary>
    internal static string Merge(OnnxGraphBuilder b, string stacked, long[] merged, long axis, string rows) =>
        b.Slice(b.Reshape(stacked, merged), b.Int64Vector(new[] { 0L }, "start"), rows, b.Int64Vector(new[] { axis }, "axis"));

    /// <summary>
    /// Adds a <c>Scan</c> over <paramref name="chunks"/> (each <c>[chunks, chunk, ...]</c>) running <paramref name="body"/>
    /// on one chunk per iteration, without loop-carried state. The body declares as inputs first the
    /// <paramref name="outer"/> values it reads from this graph (same names and types; they become implicit outer-scope
    /// reads), then one input per scanned value. Its own value names get <paramref name="prefix"/> so they cannot shadow
    /// this graph's. Returns the stacked outputs, stacked along <paramref name="outputAxes"/> (0 when null).
    /// </summary>
    internal static IReadOnlyList<string> Scan(OnnxGraphBuilder b, string prefix, OnnxGraphBuilder body, IReadOnlyCollection<string> outer,
        IReadOnlyList<string> chunks, long[]? outputAxes = null)
    {
        var graph = body.Build().Graph;
        foreach (var name in outer) graph.Input.Remove(graph.Input.Single(i => i.Name == name));
        Rename(graph, outer, prefix + "_");
        var outputs = graph.Output.Select(o => b.UniqueName(prefix + "_" + o.Name)).ToArray();
        var attributes = new List<AttributeProto>
        {
            OnnxAttribute.Int("num_scan_inputs", chunks.Count),
            new() { Name = "body", Type = AttributeProto.Types.AttributeType.Graph, G = graph },
        };
        if (outputAxes != null) attributes.Add(OnnxAttribute.Ints("scan_output_axes", outputAxes));
        return b.AddNode("Scan", chunks, outputs, OnnxOpsets.DefaultDomain, attributes.ToArray());
    }

    /// <summary>Prefixes every value the body defines (inputs, initializers, node outputs); outer-scope reads keep their names.</summary>
    static void Rename(GraphProto graph, IReadOnlyCollection<string> outer, string prefix)
    {
        var local = graph.Input.Select(i => i.Name).Concat(graph.Initializer.Select(t => t.Name)).Concat(graph.Node.SelectMany(n => n.Output))
            .Where(n => n.Length > 0 && !outer.Contains(n)).ToHashSet(StringComparer.Ordinal);
        string Map(string name) => local.Contains(name) ? prefix + name : name;
        foreach (var i in graph.Input) i.Name = Map(i.Name);
        foreach (var o in graph.Output) o.Name = Map(o.Name);
        foreach (var t in graph.Initializer) t.Name = Map(t.Name);
        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++) node.Input[i] = Map(node.Input[i]);
            for (int i = 0; i < node.Output.Count; i++) node.Output[i] = Map(node.Output[i]);
        }
    }

    /// <summary>A fresh builder for a Scan body of <paramref name="b"/>'s opset.</summary>
    internal static OnnxGraphBuilder Body(OnnxGraphBuilder b, string name) => new(name, b.Opset, mlOpset: 0);
}
