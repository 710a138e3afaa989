using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.Onnx;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet;

/// <summary>
/// A trained PSU as a transformer: reads the sequence featurizer's index columns and adds the fused target
/// (<c>Vector&lt;Single, D&gt;</c>), the interest vector (<c>Vector&lt;Single, D&gt;</c>) and the logit
/// (<c>Vector&lt;Single, 1&gt;</c>). <see cref="Transform"/> runs the C# fast path; saving writes the equivalent
/// built-in OnnxTransformer (<see cref="Persisted"/>), so a model zip holding it loads with stock
/// <c>mlContext.Model.Load</c> and no registration, and the same graph serves from any ONNX Runtime.
/// </summary>
public sealed class PsuEmbeddingTransformer : ITransformer, IDisposable
{
    readonly PersistedGraph _graph;

    internal PsuEmbeddingTransformer(PsuScoringModel model, PsuColumnOptions columns, PersistedGraph graph)
    {
        Model = model;
        Columns = columns;
        _graph = graph;
    }

    /// <summary>Builds the scoring model and its ONNX graph for inputs shaped like <paramref name="input"/>'s (rows are not read).</summary>
    /// <param name="ml">The ML.NET context.</param>
    /// <param name="weights">Trained PSU weights.</param>
    /// <param name="vocabularies">The featurizer vocabularies the weights were trained with.</param>
    /// <param name="columns">Input and output column names.</param>
    /// <param name="input">Data with the featurizer's output columns.</param>
    /// <exception cref="ArgumentException">The weights do not fit the vocabularies, or an input column is missing or mistyped.</exception>
    public static PsuEmbeddingTransformer Create(MLContext ml, PsuWeights weights, SequenceVocabularies vocabularies, PsuColumnOptions columns, IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return Create(ml, weights, vocabularies, columns, input.Schema);
    }

    /// <summary>Builds the scoring model and its ONNX graph for inputs of schema <paramref name="inputSchema"/>.</summary>
    /// <param name="ml">The ML.NET context.</param>
    /// <param name="weights">Trained PSU weights.</param>
    /// <param name="vocabularies">The featurizer vocabularies the weights were trained with.</param>
    /// <param name="columns">Input and output column names.</param>
    /// <param name="inputSchema">Schema with the featurizer's output columns.</param>
    /// <exception cref="ArgumentException">The weights do not fit the vocabularies, or an input column is missing or mistyped.</exception>
    public static PsuEmbeddingTransformer Create(MLContext ml, PsuWeights weights, SequenceVocabularies vocabularies, PsuColumnOptions columns, DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(inputSchema);
        var model = new PsuScoringModel(weights, vocabularies);
        PsuInputColumns.Resolve(inputSchema, columns, model.QueryTokens, model.Weights.SideFeatures);
        byte[] onnx = PsuGraph.Build(model, columns);
        return new PsuEmbeddingTransformer(model, columns, new PersistedGraph(ml, onnx, inputSchema, PsuGraph.InputNames(columns), PsuGraph.OutputNames(columns)));
    }

    /// <summary>
    /// The output shape of a PSU transformer over <paramref name="inputSchema"/>, for an estimator's <c>GetOutputSchema</c>:
    /// checks the input columns and appends target, interest (<paramref name="dimension"/> each) and score.
    /// </summary>
    /// <param name="ml">The ML.NET context.</param>
    /// <param name="inputSchema">The estimator's input shape.</param>
    /// <param name="columns">Input and output column names.</param>
    /// <param name="dimension">Embedding dimension D.</param>
    /// <exception cref="ArgumentException">An input column is missing or is not an Int64 vector.</exception>
    internal static SchemaShape OutputSchemaShape(MLContext ml, SchemaShape inputSchema, PsuColumnOptions columns, int dimension)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(inputSchema);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        PsuInputColumns.Check(inputSchema, columns);
        return OutputSchemaShapes.Append(ml, inputSchema, PsuEmbeddingDataView.OutputColumns(columns, dimension));
    }

    /// <summary>The trained weights.</summary>
    /// <exception cref="InvalidOperationException">
    /// The transformer was loaded with <c>LoadModel</c>: a saved graph holds the scoring tables (fused item and query token
    /// tables, folded attention, the readout and head), not the raw per-modality embeddings and unfolded W_Q, W_K.
    /// </exception>
    public PsuWeights Weights => Model.FromGraph
        ? throw new InvalidOperationException(
            "This PSU was loaded from a saved model (LoadModel): its graph holds the scoring tables (fused item and query token tables, folded attention, " +
            "readout and head), not the raw per-modality embeddings and unfolded W_Q, W_K that PsuWeights holds.")
        : Model.Weights;
    /// <summary>The featurizer vocabularies the weights index (after <c>LoadModel</c>: those of the featurizer before it in the chain).</summary>
    /// <exception cref="InvalidOperationException">The transformer was loaded with no SEMINAR featurizer before it in the chain.</exception>
    public SequenceVocabularies Vocabularies => Model.Vocabularies;
    /// <summary>The tables the PSU scores with (after <c>LoadModel</c> too, where <see cref="Weights"/> is not available).</summary>
    public PsuScoringTables ScoringTables => new(Model);
    /// <summary>The precomputed scoring model (shared by every cursor's <see cref="PsuRowScorer"/>).</summary>
    internal PsuScoringModel Model { get; }
    /// <summary>Input and output column names.</summary>
    public PsuColumnOptions Columns { get; }
    /// <summary>
    /// The built-in transformer this one saves as: same outputs, computed by ONNX Runtime. Its model file is removed once
    /// it is built, so save this transformer rather than it.
    /// </summary>
    public ITransformer Persisted => _graph.Transformer;
    /// <summary>Whether <see cref="Persisted"/>'s ONNX Runtime session has been built (only asking for it builds it).</summary>
    internal bool HasOnnxSession => _graph.HasSession;
    /// <summary>The ONNX graph (see <see cref="PsuGraph"/>).</summary>
    public byte[] OnnxModel => _graph.Bytes;

    /// <summary>Always: rows map one by one in C# (<see cref="GetRowToRowMapper"/>).</summary>
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        PsuInputColumns.Resolve(inputSchema, Columns, Model.QueryTokens, Model.Weights.SideFeatures);
        return PsuEmbeddingDataView.OutputSchema(inputSchema, Columns, Model);
    }

    /// <summary>
    /// Row mapping for prediction engines: the C# computation of <see cref="Transform"/> (a <see cref="PsuRowScorer"/> per
    /// returned row, so engines on different threads are independent), so outputs equal <see cref="Transform"/>'s to the
    /// bit, ONNX Runtime is not called, and a malformed history fails with <see cref="Transform"/>'s message.
    /// </summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        new AppendingRowMapper(new PsuEmbeddingDataView(new SchemaOnlyDataView(inputSchema), Model, Columns));

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => new PsuEmbeddingDataView(input, Model, Columns);

    /// <summary>Saves as the persisted built-in transformer.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => _graph.Save(ctx);

    /// <summary>Releases the ONNX Runtime session of <see cref="Persisted"/>, if it was built.</summary>
    public void Dispose() => _graph.Dispose();
}
