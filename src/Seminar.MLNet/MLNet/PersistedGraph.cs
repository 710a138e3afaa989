using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Onnx;
using Seminar.MLNet.Onnx;

namespace Seminar.MLNet;

/// <summary>
/// The stock OnnxTransformer a SEMINAR transformer saves as, built from the graph bytes in memory so no model file
/// outlives the call that needed it (<see cref="OnnxTransformerFactory.CreateInMemory"/>): one instance scores, and
/// each save builds its own for the moment of saving.
/// </summary>
sealed class PersistedGraph : IDisposable
{
    readonly MLContext _ml;
    readonly DataViewSchema _inputSchema;
    readonly string[] _inputs, _outputs;

    public PersistedGraph(MLContext ml, byte[] bytes, DataViewSchema inputSchema, string[] inputs, string[] outputs)
        : this(ml, bytes, inputSchema, inputs, outputs, OnnxTransformerFactory.CreateInMemory(ml, bytes, new SchemaOnlyDataView(inputSchema), inputs, outputs))
    {
    }

    /// <summary>Wraps a graph that a stock loader already runs in <paramref name="transformer"/> (fast loading keeps that session).</summary>
    public PersistedGraph(MLContext ml, byte[] bytes, DataViewSchema inputSchema, string[] inputs, string[] outputs, OnnxTransformer transformer)
    {
        _ml = ml;
        Bytes = bytes;
        _inputSchema = inputSchema;
        _inputs = inputs;
        _outputs = outputs;
        Transformer = transformer;
    }

    /// <summary>The serialized graph.</summary>
    public byte[] Bytes { get; }

    /// <summary>The transformer that runs the graph (its model file is already gone, so it is never saved itself).</summary>
    public OnnxTransformer Transformer { get; }

    /// <summary>Writes the graph as a stock OnnxTransformer.</summary>
    public void Save(ModelSaveContext ctx) => OnnxTransformerFactory.Save(_ml, Bytes, new SchemaOnlyDataView(_inputSchema), _inputs, _outputs, ctx);

    public void Dispose() => Transformer.Dispose();
}
