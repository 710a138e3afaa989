using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet;

/// <summary>
/// Fits the Pretraining Search Unit with TorchSharp — pretraining on the histories, then fine-tuning when a
/// label column is set — and returns a <see cref="PsuEmbeddingTransformer"/> that scores without TorchSharp.
/// Created by <c>mlContext.Seminar().PsuEmbedding(options)</c>; place it after <c>FeaturizeSequences</c>.
/// </summary>
/// <remarks>
/// Edge cases: a history with no behaviour gets the learned empty-history interest (trained by pretraining cut
/// points at position 0); a target the catalog lacks is embedded from its id alone (its own id embedding when the
/// featurizer kept the id, else the shared out-of-vocabulary id); an empty query leaves the pair as the item.
/// </remarks>
public sealed class PsuEmbeddingEstimator : IEstimator<PsuEmbeddingTransformer>
{
    readonly MLContext _ml;
    readonly PsuEmbeddingOptions _options;

    internal PsuEmbeddingEstimator(MLContext ml, PsuEmbeddingOptions options)
    {
        options.Validate();
        _ml = ml;
        _options = options;
    }

    /// <inheritdoc />
    public PsuEmbeddingTransformer Fit(IDataView input)
    {
        var (weights, _, vocabularies) = Train(input);
        return PsuEmbeddingTransformer.Create(_ml, weights, vocabularies, _options, input);
    }

    /// <summary>
    /// Fits, and also returns the network as pretraining left it. Feed a downstream trainer (FastTree) the
    /// <see cref="PsuFit.Pretrained"/> outputs when it trains on the same rows the PSU was fine-tuned on: pretraining
    /// never sees labels, whereas fine-tuned scores are more confident on their own training rows than on new ones,
    /// and the trees would learn to over-trust them.
    /// </summary>
    public PsuFit FitWithPretrained(IDataView input)
    {
        var (weights, pretrainedWeights, vocabularies) = Train(input);
        var final = PsuEmbeddingTransformer.Create(_ml, weights, vocabularies, _options, input);
        var pretrained = pretrainedWeights == null ? final : PsuEmbeddingTransformer.Create(_ml, pretrainedWeights, vocabularies, _options, input);
        return new PsuFit(final, pretrained);
    }

    /// <summary>Trains; the pretrained weights are null when nothing was fine-tuned after pretraining.</summary>
    (PsuWeights Final, PsuWeights? Pretrained, SequenceVocabularies Vocabularies) Train(IDataView input)
    {
        var vocabularies = _options.Vocabularies
            ?? (input.Schema.GetColumnOrNull(_options.HistoryItemIndicesColumnName) is { } column ? SequenceVocabulariesAnnotation.Find(column) : null)
            ?? throw new InvalidOperationException(
                $"No sequence vocabularies found on column '{_options.HistoryItemIndicesColumnName}'. Put the PSU right after FeaturizeSequences in the pipeline, " +
                "or set PsuEmbeddingOptions.Vocabularies to the fitted featurizer's Vocabularies.");
        CheckFinite(vocabularies.Content);
        var reader = PsuTrainer.Reader(input, _options, vocabularies.MaxQueryTokens);

        var env = (IHostEnvironment)_ml;
        var host = env.Register("PsuEmbedding");
        int seed = _options.Seed ?? host.Rand.Next();
        using var channel = host.Start("PsuEmbedding");
        var summary = Summarise(reader);
        channel.Info(MessageSensitivity.None, $"PSU training data: {summary.Rows:N0} rows, {summary.EmptyHistories:N0} with an empty history" +
            (_options.LabelColumnName != null ? $", {summary.Positives:N0} positive and {summary.Negatives:N0} negative labels." : "."));

        var trainer = new PsuTrainer(reader, summary, vocabularies, _options, seed, channel);
        using var content = new ItemContentTensors(vocabularies.Content);
        using var network = trainer.Train(content, out var pretrainedWeights);
        return (PsuWeightsExport.From(network), pretrainedWeights, vocabularies);
    }

    PsuTrainer.DataSummary Summarise(PsuRowReader reader)
    {
        var summary = PsuTrainer.DataSummary.Read(reader, _options.LabelColumnName != null);
        if (summary.Rows == 0) throw new InvalidOperationException("The PSU cannot be trained on a data view with no rows.");
        if (_options.LabelColumnName != null && (summary.Positives == 0 || summary.Negatives == 0))
            throw new InvalidOperationException(
                $"Label column '{_options.LabelColumnName}' is constant ({summary.Positives:N0} positive, {summary.Negatives:N0} negative rows): fine-tuning needs both classes. " +
                "Set LabelColumnName = null to pretrain only.");
        return summary;
    }

    static void CheckFinite(ItemContentTables content)
    {
        foreach (var m in content.Modalities)
            for (int item = 0; item < content.ItemCount; item++)
            {
                if (!m.HasVector[item]) continue;
                var v = m.Of(item);
                for (int j = 0; j < v.Length; j++)
                    if (!float.IsFinite(v[j]))
                        throw new InvalidOperationException($"Catalog column '{m.Name}' holds {v[j]} at item index {item}, component {j}: modality vectors must be finite.");
            }
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => PsuEmbeddingTransformer.OutputSchemaShape(_ml, inputSchema, _options, _options.Dimension);
}

/// <summary>What <see cref="PsuEmbeddingEstimator.FitWithPretrained"/> returns.</summary>
/// <param name="Final">The trained PSU (fine-tuned when a label column was set).</param>
/// <param name="Pretrained">The PSU as pretraining left it (the same object as <paramref name="Final"/> when nothing was fine-tuned).</param>
public sealed record PsuFit(PsuEmbeddingTransformer Final, PsuEmbeddingTransformer Pretrained);
