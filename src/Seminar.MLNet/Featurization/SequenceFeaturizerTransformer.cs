using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet;

/// <summary>
/// The fitted featurizer. <see cref="Transform"/> runs the C# fast path; saving writes the equivalent
/// built-in ML.NET transformer (the ONNX graph in an OnnxTransformer), so a model zip holding it loads with stock <c>mlContext.Model.Load</c> and no
/// registration, and the same graph serves from any ONNX Runtime.
/// </summary>
public sealed class SequenceFeaturizerTransformer : ITransformer, IDisposable
{
    readonly SequenceFeaturizerOptions _options;
    readonly PersistedGraph _graph;

    internal SequenceFeaturizerTransformer(SequenceVocabularies vocabularies, SequenceFeaturizerOptions options, PersistedGraph graph)
    {
        Vocabularies = vocabularies;
        _options = options;
        _graph = graph;
    }

    /// <summary>What fitting learned (vocabularies and catalog content), for downstream components.</summary>
    public SequenceVocabularies Vocabularies { get; }

    /// <summary>
    /// The built-in transformer this one saves as: same outputs, computed by ONNX Runtime. Its model file is removed once
    /// it is built, so save this transformer rather than it.
    /// </summary>
    public ITransformer Persisted => _graph.Transformer;
    /// <summary>Whether <see cref="Persisted"/>'s ONNX Runtime session has been built (only asking for it builds it).</summary>
    internal bool HasOnnxSession => _graph.HasSession;

    /// <summary>The ONNX graph (inputs: the item and query columns; see <c>SequenceFeaturizerGraph</c>).</summary>
    public byte[] OnnxModel => _graph.Bytes;

    /// <summary>Always: rows map one by one in C# (<see cref="GetRowToRowMapper"/>).</summary>
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        InputColumns.Resolve(inputSchema, _options);
        return SequenceFeaturizerDataView.OutputSchema(inputSchema, _options, Vocabularies);
    }

    /// <summary>
    /// Row mapping for prediction engines: the C# computation of <see cref="Transform"/>, one per returned row (engines on
    /// different threads are independent), so outputs equal <see cref="Transform"/>'s to the bit, ONNX Runtime is not
    /// called, and a row whose history columns differ in length fails with <see cref="Transform"/>'s message.
    /// </summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        new AppendingRowMapper(new SequenceFeaturizerDataView(new SchemaOnlyDataView(inputSchema), Vocabularies, _options));

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => new SequenceFeaturizerDataView(input, Vocabularies, _options);

    /// <summary>Saves as the persisted built-in transformer.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => _graph.Save(ctx);

    /// <summary>Releases the ONNX Runtime session of <see cref="Persisted"/>, if it was built.</summary>
    public void Dispose() => _graph.Dispose();
}
