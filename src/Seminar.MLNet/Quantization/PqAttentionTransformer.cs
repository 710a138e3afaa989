using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Onnx;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet;

/// <summary>
/// A PSU with approximate retrieval (4-bit catalog codes, exact query part, exact re-rank) as a transformer: reads the featurizer's index columns and adds the
/// interest (<c>Vector&lt;Single, D&gt;</c>) and logit (<c>Vector&lt;Single, 1&gt;</c>) computed with approximate
/// retrieval. <see cref="Transform"/> runs the C# fast path (<see cref="PqRowScorer"/>); saving writes the equivalent
/// built-in OnnxTransformer (<see cref="Persisted"/>, graph by <see cref="PqGraph"/>), so a model zip holding it loads
/// with stock <c>mlContext.Model.Load</c>.
/// </summary>
public sealed class PqAttentionTransformer : ITransformer, IDisposable
{
    readonly PersistedGraph _graph;

    internal PqAttentionTransformer(PqAttentionModel model, PqAttentionOptions options, PersistedGraph graph)
    {
        Model = model;
        Options = options;
        _graph = graph;
    }

    /// <summary>Builds the transformer and its ONNX graph for inputs of schema <paramref name="inputSchema"/>.</summary>
    /// <param name="ml">The ML.NET context.</param>
    /// <param name="model">The trained model.</param>
    /// <param name="options">Column names (the rest of the options is not used here).</param>
    /// <param name="inputSchema">Schema with the featurizer's output columns.</param>
    /// <exception cref="ArgumentException">An input column is missing or mistyped, or names clash.</exception>
    internal static PqAttentionTransformer Create(MLContext ml, PqAttentionModel model, PqAttentionOptions options, DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(inputSchema);
        options.Validate();
        PsuInputColumns.Resolve(inputSchema, options, model.Psu.QueryTokens, model.Psu.Weights.SideFeatures);
        byte[] onnx = PqGraph.Build(model, options, options.OutputPqInterestColumnName, options.OutputPqScoreColumnName);
        return new PqAttentionTransformer(model, options,
            new PersistedGraph(ml, onnx, inputSchema, PqGraph.InputNames(options), new[] { options.OutputPqInterestColumnName, options.OutputPqScoreColumnName }));
    }

    /// <summary>The trained model: PSU, catalog codes, K and the shortlist.</summary>
    internal PqAttentionModel Model { get; }
    /// <summary>Column names.</summary>
    public PqAttentionOptions Options { get; }
    /// <summary>Behaviours kept per head by the approximate GSU (K).</summary>
    public int TopK => Model.TopK;
    /// <summary>Behaviours per head re-ranked exactly before the top K are kept (K').</summary>
    public int Shortlist => Model.Shortlist;
    /// <summary>The code set: one 4-bit codebook (<c>catalog</c>) over the PSU's fused item table.</summary>
    public IReadOnlyList<PqCodebook> Codebooks => new[] { new PqCodebook("catalog", Model.Catalog.Quantizer) };
    /// <summary>Each catalog item's 4-bit codes, unpacked one per byte, <c>[items, M]</c> row-major (a copy; stored packed, 16 bytes per item).</summary>
    public ReadOnlyMemory<byte> ItemCodes => Model.Catalog.Plain();
    /// <summary>The tables of the PSU this stage approximates (its graph holds its own copy, so a loaded stage has them too).</summary>
    public PsuScoringTables PsuScoringTables => new(Model.Psu);
    /// <summary>
    /// The built-in transformer this one saves as: same outputs, computed by ONNX Runtime. Its model file is removed once
    /// it is built, so save this transformer rather than it.
    /// </summary>
    public ITransformer Persisted => _graph.Transformer;
    /// <summary>Whether <see cref="Persisted"/>'s ONNX Runtime session has been built (only asking for it builds it).</summary>
    internal bool HasOnnxSession => _graph.HasSession;
    /// <summary>The ONNX graph (see <see cref="PqGraph"/>).</summary>
    public byte[] OnnxModel => _graph.Bytes;

    /// <summary>Always: rows map one by one in C# (<see cref="GetRowToRowMapper"/>).</summary>
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        PsuInputColumns.Resolve(inputSchema, Options, Model.Psu.QueryTokens, Model.Psu.Weights.SideFeatures);
        return AppendingDataView.Append(inputSchema, PqAttentionDataView.OutputColumns(Options, Model.Psu.Dimension));
    }

    /// <summary>
    /// Row mapping for prediction engines: the C# computation of <see cref="Transform"/> (a <see cref="PqRowScorer"/> per
    /// returned row, so engines on different threads are independent), so outputs equal <see cref="Transform"/>'s to the
    /// bit, ONNX Runtime is not called, and a malformed history fails with <see cref="Transform"/>'s message.
    /// </summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        new AppendingRowMapper(new PqAttentionDataView(new SchemaOnlyDataView(inputSchema), Model, Options));

    /// <inheritdoc />
    public IDataView Transform(IDataView input) => new PqAttentionDataView(input, Model, Options);

    /// <summary>Saves as the persisted built-in transformer.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx) => _graph.Save(ctx);

    /// <summary>Releases the ONNX Runtime session of <see cref="Persisted"/>, if it was built.</summary>
    public void Dispose() => _graph.Dispose();
}
