using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;

namespace Seminar.MLNet;

/// <summary>
/// Fits approximate target attention for a trained PSU and returns a <see cref="PqAttentionTransformer"/>: a 4-bit
/// product-quantization codebook trained by k-means on the PSU's fused item table and the catalog encoded once (16 bytes
/// per item). Nothing is read from the training rows: the query part of a behaviour is scored exactly per distinct token.
/// Created by <c>mlContext.Seminar().PqAttention(options)</c>; place it after <c>PsuEmbedding</c>, whose interest column
/// carries the trained PSU.
/// </summary>
/// <remarks>
/// Edge cases: K larger than a history keeps every behaviour (as the exact PSU does); empty histories get the learned
/// empty interest; a catalog smaller than the centroid count gets fewer centroids (one per distinct vector, plus the
/// origin).
/// </remarks>
public sealed class PqAttentionEstimator : IEstimator<PqAttentionTransformer>
{
    readonly MLContext _ml;
    readonly PqAttentionOptions _options;

    internal PqAttentionEstimator(MLContext ml, PqAttentionOptions options)
    {
        options.Validate();
        _ml = ml;
        _options = options;
    }

    /// <inheritdoc />
    public PqAttentionTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var psu = FindPsu(input.Schema);
        PsuInputColumns.Resolve(input.Schema, _options, psu.QueryTokens, psu.Weights.SideFeatures);
        _options.Quantizer.Validate(psu.Dimension);
        var host = ((IHostEnvironment)_ml).Register("PqAttention");
        int seed = _options.Seed ?? host.Rand.Next();
        using var channel = host.Start("PqAttention");
        var model = PqAttentionModel.Train(psu, _options.Quantizer, _options.TopK, _options.Shortlist, seed, message => channel.Info(MessageSensitivity.None, message));
        channel.Info(MessageSensitivity.None,
            $"PQ: {model.SubSpaces} 4-bit codes ({model.BytesPerItem} bytes) per catalog item, {model.BytesPerBehaviour} bytes scanned per behaviour against {4 * psu.Dimension} exact; K = {model.TopK}, shortlist {model.Shortlist}.");
        return PqAttentionTransformer.Create(_ml, model, _options, input.Schema);
    }

    PsuScoringModel FindPsu(DataViewSchema schema) =>
        _options.Psu?.Model
        ?? (schema.GetColumnOrNull(_options.OutputInterestColumnName) is { } column ? PsuModelAnnotation.Find(column) : null)
        ?? throw new InvalidOperationException(
            $"No trained PSU found on column '{_options.OutputInterestColumnName}'. Put PqAttention after PsuEmbedding in the pipeline " +
            "(its interest column carries the PSU), set PqAttentionOptions.OutputInterestColumnName to that column's name, " +
            "or pass the fitted PSU as PqAttentionOptions.Psu.");

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        PsuInputColumns.Check(inputSchema, _options);
        var interest = inputSchema.FirstOrDefault(c => c.Name == _options.OutputInterestColumnName);
        if (interest.Name is null || interest.Kind != SchemaShape.Column.VectorKind.Vector || interest.ItemType != NumberDataViewType.Single)
            throw new ArgumentException($"Input column '{_options.OutputInterestColumnName}' (the PSU's interest) is missing or not a known-size Single vector: place PqAttention after PsuEmbedding.", nameof(inputSchema));
        // A SchemaShape records that a vector has a known size, not the size, so D need not be known here.
        return OutputSchemaShapes.Append(_ml, inputSchema, PqAttentionDataView.OutputColumns(_options, dimension: 1));
    }
}
