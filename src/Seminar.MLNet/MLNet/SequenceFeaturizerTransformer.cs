using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.MLNet;

/// <summary>
/// The fitted featurizer. <see cref="Transform"/> runs the C# fast path; saving writes the equivalent
/// built-in ML.NET transformer (the ONNX graph in an OnnxTransformer), so a model zip holding it loads with stock <c>mlContext.Model.Load</c> and no
/// registration, and the same graph serves from any ONNX Runtime.
/// </summary>
public sealed class SequenceFeaturizerTransformer : ITransformer
{
    readonly SequenceFeaturizerOptions _options;

    internal SequenceFeaturizerTransformer(SequenceVocabularies vocabularies, SequenceFeaturizerOptions options, ITransformer persisted, byte[] onnxModel)
    {
        Vocabularies = vocabularies;
        _options = options;
        Persisted = persisted;
        OnnxModel = onnxModel;
    }

    /// <summary>What fitting learned (vocabularies and catalog content), for downstream components.</summary>
    public SequenceVocabularies Vocabularies { get; }

    /// <summary>The built-in transformer this one saves as: same outputs, computed by ONNX Runtime.</summary>
    public ITransformer Persisted { get; }

    /// <summary>The ONNX graph (inputs: the item and query columns; see <c>SequenceFeaturizerGraph</c>).</summary>
    public byte[] OnnxModel { get; }

    /// <summary>Whether this transformer maps rows one by one: as the persisted form does.</summary>
    public bool IsRowToRowMapper => Persisted.IsRowToRowMapper;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        InputColumns.Resolve(inputSchema, _options);
        return SequenceFeaturizerDataView.OutputSchema(inputSchema, _options, Vocabularies);
    }

    /// <summary>Row mapping for prediction engines goes through the persisted (ONNX) form.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => Persisted.GetRowToRowMapper(inputSchema);

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => new SequenceFeaturizerDataView(input, Vocabularies, _options);

    /// <summary>Saves as the persisted built-in transformer.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => Persisted.Save(ctx);
}
