using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;

namespace Seminar.MLNet;

/// <summary>
/// Fits multi-modal codebook product quantization for a trained PSU and returns a <see cref="PqAttentionTransformer"/>:
/// k-means codebooks per item modality (on the catalog) and for the query part of pairs (on the training data's
/// query–item pairs), the catalog and the known pairs encoded once. Created by <c>mlContext.Seminar().PqAttention(options)</c>;
/// place it after <c>PsuEmbedding</c>, whose interest column carries the trained PSU.
/// </summary>
/// <remarks>
/// Edge cases: K larger than a history keeps every behaviour (as the exact PSU does); empty histories get the learned
/// empty interest; a catalog or pair set smaller than the centroid count gets fewer centroids (one per distinct vector,
/// plus the origin); a modality whose vectors are all equal or zero gets a single centroid besides the origin, or none.
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
        var inputs = PsuInputColumns.Resolve(input.Schema, _options, psu.QueryTokens, psu.Weights.SideFeatures);
        _options.Quantizer.Validate(psu.Dimension);
        var host = ((IHostEnvironment)_ml).Register("PqAttention");
        int seed = _options.Seed ?? host.Rand.Next();
        using var channel = host.Start("PqAttention");
        var pairs = CollectPairs(input, inputs, psu, channel);
        var model = PqAttentionModel.Train(psu, pairs, _options.Quantizer, _options.TopK, seed, message => channel.Info(MessageSensitivity.None, message));
        channel.Info(MessageSensitivity.None, $"PQ: {model.SubSpaces} codes ({model.BytesPerBehaviour} bytes) per behaviour against {4 * psu.Dimension} bytes exact; {model.KnownPairs:N0} known pairs.");
        return PqAttentionTransformer.Create(_ml, model, _options, input.Schema);
    }

    PsuScoringModel FindPsu(DataViewSchema schema) =>
        _options.Psu?.Model
        ?? (schema.GetColumnOrNull(_options.OutputInterestColumnName) is { } column ? PsuModelAnnotation.Find(column) : null)
        ?? throw new InvalidOperationException(
            $"No trained PSU found on column '{_options.OutputInterestColumnName}'. Put PqAttention after PsuEmbedding in the pipeline " +
            "(its interest column carries the PSU), set PqAttentionOptions.OutputInterestColumnName to that column's name, " +
            "or pass the fitted PSU as PqAttentionOptions.Psu.");

    /// <summary>The distinct query–item pairs of the histories and targets, up to <see cref="PqAttentionOptions.MaxKnownPairs"/>.</summary>
    PairCodeTable CollectPairs(IDataView input, PsuInputColumns inputs, PsuScoringModel psu, IChannel channel)
    {
        int t = psu.QueryTokens;
        var pairs = new PairCodeTable(_options.MaxKnownPairs, t, _options.Quantizer.SubSpaces);
        long rows = 0, skipped = 0;
        using (var cursor = input.GetRowCursor(inputs.Indices))
        {
            var getters = inputs.Indices.Select(c => cursor.GetGetter<VBuffer<long>>(c)).ToArray();
            VBuffer<long> items = default, tokens = default, target = default, query = default;
            while (cursor.MoveNext())
            {
                getters[0](ref items);
                getters[1](ref tokens);
                getters[2](ref target);
                getters[3](ref query);
                var itemValues = items.DenseValues().ToArray();
                var tokenValues = tokens.DenseValues().ToArray();
                if (tokenValues.Length != itemValues.Length * t) continue; // the scorer reports the mismatch with the row
                for (int l = 0; l < itemValues.Length; l++) skipped += Add(pairs, psu, itemValues[l], tokenValues.AsSpan(l * t, t));
                skipped += Add(pairs, psu, target.DenseValues().First(), query.DenseValues().ToArray());
                if (++rows % 100_000 == 0) channel.Info(MessageSensitivity.None, $"PQ: {rows:N0} rows read, {pairs.Count:N0} query–item pairs");
            }
        }
        if (skipped > 0)
            channel.Info(MessageSensitivity.None,
                $"PQ: {pairs.Count:N0} known query–item pairs (MaxKnownPairs); {skipped:N0} further pair occurrences will be encoded when scored.");
        return pairs;
    }

    static int Add(PairCodeTable pairs, PsuScoringModel psu, long item, ReadOnlySpan<long> tokens)
    {
        if (item <= 0 || item >= psu.ItemCount || !PairCodeTable.HasQuery(tokens)) return 0;
        foreach (long token in tokens)
            if (token < 0 || token >= psu.TokenCount) return 0; // invalid rows fail when scored, with their position
        if (pairs.Lookup((int)item, tokens).Length > 0) return 0;
        if (pairs.IsFull) return 1;
        pairs.TryAdd((int)item, tokens, out _);
        return 0;
    }

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
