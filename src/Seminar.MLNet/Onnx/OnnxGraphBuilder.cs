using Google.Protobuf;
using Onnx;

namespace Seminar.MLNet.Onnx;

/// <summary>
/// Builds a single-graph ONNX model (<see cref="ModelProto"/>) value by value, in topological order:
/// declare inputs, add initializers, add nodes that consume only values already defined, declare outputs.
/// Value names share one namespace (inputs, initializers, node outputs); reusing one is an error.
/// </summary>
/// <remarks>
/// Graphs meant for ML.NET's <c>OnnxTransformer</c> should give every variable-length vector input and output a
/// leading batch dimension of 1 (shape <c>[1, "L"]</c>): <c>OnnxTransformer</c> feeds one row per run and cannot
/// bind a bare <c>["L"]</c> input. See <see cref="OnnxTransformerFactory"/>.
/// </remarks>
internal sealed class OnnxGraphBuilder
{
    private readonly GraphProto _graph;
    private readonly Dictionary<string, string> _defined = new(StringComparer.Ordinal); // value name -> what defined it
    private readonly HashSet<string> _outputNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);

    /// <summary>Starts an empty graph.</summary>
    /// <param name="graphName">Name of the graph (shown by tools; not used by runtimes).</param>
    /// <param name="opset">Opset version of the default domain.</param>
    /// <param name="mlOpset">Opset version of <c>ai.onnx.ml</c>; 0 leaves the domain out.</param>
    public OnnxGraphBuilder(string graphName, int opset = OnnxOpsets.Default, int mlOpset = OnnxOpsets.Ml)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(graphName);
        ArgumentOutOfRangeException.ThrowIfLessThan(opset, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(mlOpset);
        _graph = new GraphProto { Name = graphName };
        Opset = opset;
        MlOpset = mlOpset;
    }

    /// <summary>Name of the graph.</summary>
    public string GraphName => _graph.Name;

    /// <summary>Opset version of the default domain.</summary>
    public int Opset { get; }

    /// <summary>Opset version of <c>ai.onnx.ml</c> (0 = not imported).</summary>
    public int MlOpset { get; }

    /// <summary>Producer name written into the model.</summary>
    public string ProducerName { get; set; } = "Seminar.MLNet";

    /// <summary>Number of nodes added so far.</summary>
    public int NodeCount => _graph.Node.Count;

    /// <summary>True when <paramref name="name"/> is already an input, initializer or node output.</summary>
    /// <param name="name">Value name.</param>
    /// <returns>Whether the value is defined.</returns>
    public bool IsDefined(string name) => _defined.ContainsKey(name);

    /// <summary>
    /// Returns a value name that is not yet defined nor declared as an output: <paramref name="prefix"/> itself if free,
    /// otherwise <c>prefix_1</c>, <c>prefix_2</c>, ... The name is not reserved until something defines it.
    /// </summary>
    /// <param name="prefix">Readable prefix, e.g. the op type.</param>
    /// <returns>A free name.</returns>
    public string UniqueName(string prefix)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        if (!IsTaken(prefix)) return prefix;
        _counters.TryGetValue(prefix, out var n);
        string candidate;
        do
        {
            n++;
            candidate = $"{prefix}_{n}";
        }
        while (IsTaken(candidate));
        _counters[prefix] = n;
        return candidate;
    }

    /// <summary>Declares a tensor input of the graph.</summary>
    /// <param name="name">Input name (the ML.NET column is mapped to it).</param>
    /// <param name="elementType">Element type.</param>
    /// <param name="shape">Shape: fixed sizes and/or symbolic names.</param>
    /// <returns><paramref name="name"/>.</returns>
    public string AddInput(string name, TensorProto.Types.DataType elementType, params OnnxDim[] shape)
    {
        Define(name, "graph input");
        _graph.Input.Add(ValueInfo(name, elementType, shape));
        return name;
    }

    /// <summary>
    /// Declares a tensor output of the graph. A node added before or after must produce a value of that name
    /// (pass it as the node's output), or <paramref name="name"/> may already be defined; checked by <see cref="Build"/>.
    /// </summary>
    /// <param name="name">Output name.</param>
    /// <param name="elementType">Element type.</param>
    /// <param name="shape">Shape: fixed sizes and/or symbolic names.</param>
    /// <returns><paramref name="name"/>.</returns>
    public string AddOutput(string name, TensorProto.Types.DataType elementType, params OnnxDim[] shape)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!_outputNames.Add(name)) throw new InvalidOperationException($"Graph output '{name}' is declared twice.");
        _graph.Output.Add(ValueInfo(name, elementType, shape));
        return name;
    }

    /// <summary>Adds an initializer (a constant tensor stored in the model), e.g. from <see cref="OnnxTensors"/>.</summary>
    /// <param name="tensor">The tensor; its <see cref="TensorProto.Name"/> is the value name.</param>
    /// <returns>The value name.</returns>
    public string AddInitializer(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Define(tensor.Name, "initializer");
        _graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a float initializer.</summary>
    /// <param name="name">Value name.</param>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">Shape (product = values.Length; empty = scalar).</param>
    /// <returns>The value name.</returns>
    public string AddInitializer(string name, float[] values, params long[] shape) => AddInitializer(OnnxTensors.Float(CheckFree(name), values, shape));

    /// <summary>Adds an int64 initializer.</summary>
    /// <param name="name">Value name.</param>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">Shape (product = values.Length; empty = scalar).</param>
    /// <returns>The value name.</returns>
    public string AddInitializer(string name, long[] values, params long[] shape) => AddInitializer(OnnxTensors.Int64(CheckFree(name), values, shape));

    /// <summary>Adds an int32 initializer.</summary>
    /// <param name="name">Value name.</param>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">Shape (product = values.Length; empty = scalar).</param>
    /// <returns>The value name.</returns>
    public string AddInitializer(string name, int[] values, params long[] shape) => AddInitializer(OnnxTensors.Int32(CheckFree(name), values, shape));

    /// <summary>Adds a uint8 initializer (raw bytes).</summary>
    /// <param name="name">Value name.</param>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">Shape (product = values.Length; empty = scalar).</param>
    /// <returns>The value name.</returns>
    public string AddInitializer(string name, byte[] values, params long[] shape) => AddInitializer(OnnxTensors.UInt8(CheckFree(name), values, shape));

    /// <summary>Adds a string initializer.</summary>
    /// <param name="name">Value name.</param>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">Shape (product = values.Length; empty = scalar).</param>
    /// <returns>The value name.</returns>
    public string AddInitializer(string name, string[] values, params long[] shape) => AddInitializer(OnnxTensors.String(CheckFree(name), values, shape));

    /// <summary>Adds a 1-D int64 initializer with a generated name (axes, shapes, indices for other ops).</summary>
    /// <param name="values">Values.</param>
    /// <param name="prefix">Name prefix.</param>
    /// <returns>The value name.</returns>
    public string Int64Vector(long[] values, string prefix = "const") => AddInitializer(UniqueName(prefix), values, values.Length);

    /// <summary>Adds a scalar int64 initializer with a generated name.</summary>
    /// <param name="value">Value.</param>
    /// <param name="prefix">Name prefix.</param>
    /// <returns>The value name.</returns>
    public string Int64Scalar(long value, string prefix = "const") => AddInitializer(UniqueName(prefix), new[] { value });

    /// <summary>Adds a scalar float initializer with a generated name.</summary>
    /// <param name="value">Value.</param>
    /// <param name="prefix">Name prefix.</param>
    /// <returns>The value name.</returns>
    public string FloatScalar(float value, string prefix = "const") => AddInitializer(UniqueName(prefix), new[] { value });

    /// <summary>
    /// Adds a node. Every non-empty input must already be defined (empty string = omitted optional input);
    /// every output must be new.
    /// </summary>
    /// <param name="opType">Operator, e.g. <c>"MatMul"</c>.</param>
    /// <param name="inputs">Input value names, in operator order.</param>
    /// <param name="outputs">Output value names, in operator order.</param>
    /// <param name="domain">Operator domain (<see cref="OnnxOpsets.DefaultDomain"/> or <see cref="OnnxOpsets.MlDomain"/>).</param>
    /// <param name="attributes">Attributes, from <see cref="OnnxAttribute"/>.</param>
    /// <returns><paramref name="outputs"/>.</returns>
    public IReadOnlyList<string> AddNode(
        string opType,
        IReadOnlyList<string> inputs,
        IReadOnlyList<string> outputs,
        string domain = OnnxOpsets.DefaultDomain,
        params AttributeProto[] attributes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(attributes);
        if (outputs.Count == 0) throw new ArgumentException($"Node '{opType}' needs at least one output.", nameof(outputs));
        if (domain == OnnxOpsets.MlDomain && MlOpset == 0)
            throw new InvalidOperationException($"Node '{opType}' is in '{OnnxOpsets.MlDomain}' but this builder does not import that domain (mlOpset = 0).");
        if (domain != OnnxOpsets.DefaultDomain && domain != OnnxOpsets.MlDomain)
            throw new ArgumentException($"Domain '{domain}' is not imported; use the default domain or '{OnnxOpsets.MlDomain}'.", nameof(domain));
        foreach (var input in inputs)
        {
            ArgumentNullException.ThrowIfNull(input, nameof(inputs));
            if (input.Length != 0 && !_defined.ContainsKey(input))
                throw new InvalidOperationException($"Node '{opType}' reads '{input}', which is not a graph input, initializer or earlier node output.");
        }
        var attributeNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var a in attributes)
        {
            ArgumentNullException.ThrowIfNull(a, nameof(attributes));
            if (!attributeNames.Add(a.Name)) throw new ArgumentException($"Node '{opType}' has attribute '{a.Name}' twice.", nameof(attributes));
        }
        var node = new NodeProto { OpType = opType, Domain = domain, Name = UniqueNodeName(opType) };
        node.Input.AddRange(inputs);
        foreach (var output in outputs) Define(output, $"output of {opType}");
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return outputs;
    }

    /// <summary>Adds a single-output node; the output is named <paramref name="output"/> or a fresh name from <paramref name="opType"/>.</summary>
    /// <param name="opType">Operator, e.g. <c>"Add"</c>.</param>
    /// <param name="inputs">Input value names, in operator order.</param>
    /// <param name="output">Output name, or null for a generated one.</param>
    /// <param name="domain">Operator domain.</param>
    /// <param name="attributes">Attributes.</param>
    /// <returns>The output value name.</returns>
    public string AddNode(
        string opType,
        IReadOnlyList<string> inputs,
        string? output = null,
        string domain = OnnxOpsets.DefaultDomain,
        params AttributeProto[] attributes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(opType);
        return AddNode(opType, inputs, new[] { output ?? UniqueName(opType) }, domain, attributes)[0];
    }

    /// <summary>Builds the model. Fails when a declared output is never produced.</summary>
    /// <returns>A fresh <see cref="ModelProto"/> (later changes to the builder do not affect it).</returns>
    public ModelProto Build()
    {
        foreach (var output in _outputNames)
        {
            if (!_defined.ContainsKey(output))
                throw new InvalidOperationException($"Graph output '{output}' is declared but no node produces it.");
        }
        if (_outputNames.Count == 0) throw new InvalidOperationException($"Graph '{GraphName}' has no outputs.");
        var model = new ModelProto
        {
            IrVersion = OnnxOpsets.IrVersion,
            ProducerName = ProducerName,
            Graph = _graph.Clone(),
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = OnnxOpsets.DefaultDomain, Version = Opset });
        if (MlOpset > 0) model.OpsetImport.Add(new OperatorSetIdProto { Domain = OnnxOpsets.MlDomain, Version = MlOpset });
        return model;
    }

    /// <summary>Builds the model and serializes it (the bytes of a <c>.onnx</c> file).</summary>
    /// <returns>The serialized model.</returns>
    public byte[] ToBytes() => Build().ToByteArray();

    /// <summary>Builds the model and writes it to <paramref name="path"/> (created or overwritten).</summary>
    /// <param name="path">File path, conventionally ending in <c>.onnx</c>.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        File.WriteAllBytes(path, ToBytes());
    }

    private bool IsTaken(string name) => _defined.ContainsKey(name) || _outputNames.Contains(name);

    private string CheckFree(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (_defined.TryGetValue(name, out var by)) throw new InvalidOperationException($"Value '{name}' is already defined ({by}).");
        return name;
    }

    private void Define(string name, string what)
    {
        CheckFree(name);
        _defined.Add(name, what);
    }

    private string UniqueNodeName(string opType)
    {
        // Node names live in their own namespace; only uniqueness among nodes matters.
        return $"{opType}_{_graph.Node.Count}";
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType elementType, OnnxDim[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (elementType == TensorProto.Types.DataType.Undefined) throw new ArgumentException($"Value '{name}' needs an element type.", nameof(elementType));
        var tensorShape = new TensorShapeProto();
        foreach (var d in shape)
        {
            tensorShape.Dim.Add(d.IsFixed
                ? new TensorShapeProto.Types.Dimension { DimValue = d.Size!.Value }
                : new TensorShapeProto.Types.Dimension { DimParam = d.Symbol ?? throw new ArgumentException($"Value '{name}' has a default(OnnxDim) dimension.", nameof(shape)) });
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType, Shape = tensorShape } },
        };
    }
}
