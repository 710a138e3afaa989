using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Onnx;
using Seminar.MLNet.Onnx;

namespace Seminar.MLNet;

/// <summary>
/// The stock OnnxTransformer a SEMINAR transformer saves as. Its ONNX Runtime session is built from the graph bytes in
/// memory (<see cref="OnnxTransformerFactory.CreateInMemory"/>) the first time someone asks for it, not before: the C#
/// transformer scores without it, so fitting or fast-loading a model holds no session (and no second copy of the
/// tables) and leaves no model file behind, whether or not the model is ever disposed. Each save builds its own
/// transformer for the moment of saving.
/// </summary>
sealed class PersistedGraph : IDisposable
{
    readonly MLContext _ml;
    readonly DataViewSchema _inputSchema;
    readonly string[] _inputs, _outputs;
    readonly Lazy<OnnxTransformer> _transformer;
    bool _disposed;

    public PersistedGraph(MLContext ml, byte[] bytes, DataViewSchema inputSchema, string[] inputs, string[] outputs)
    {
        _ml = ml;
        Bytes = bytes;
        _inputSchema = inputSchema;
        _inputs = inputs;
        _outputs = outputs;
        _transformer = new Lazy<OnnxTransformer>(
            () => OnnxTransformerFactory.CreateInMemory(_ml, Bytes, new SchemaOnlyDataView(_inputSchema), _inputs, _outputs),
            LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The serialized graph.</summary>
    public byte[] Bytes { get; }

    /// <summary>The transformer that runs the graph, built on first use (its model file is already gone, so it is never saved itself).</summary>
    public OnnxTransformer Transformer
    {
        get
        {
            if (_disposed)
                throw new ObjectDisposedException("Persisted", "This SEMINAR transformer has been disposed, and its ONNX form with it; saving it still works.");
            return _transformer.Value;
        }
    }

    /// <summary>Whether <see cref="Transformer"/> has been built (tests check that scoring in C# never builds it).</summary>
    public bool HasSession => _transformer.IsValueCreated;

    /// <summary>Writes the graph as a stock OnnxTransformer.</summary>
    public void Save(ModelSaveContext ctx) => OnnxTransformerFactory.Save(_ml, Bytes, new SchemaOnlyDataView(_inputSchema), _inputs, _outputs, ctx);

    public void Dispose()
    {
        _disposed = true;
        if (_transformer.IsValueCreated) _transformer.Value.Dispose();
    }
}
