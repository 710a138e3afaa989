using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet;

/// <summary>SEMINAR estimators that train with TorchSharp, on <c>mlContext.Seminar()</c>.</summary>
public static class SeminarTrainingCatalog
{
    /// <summary>
    /// The Pretraining Search Unit: pretrains on the featurized histories, fine-tunes on <see cref="PsuEmbeddingOptions.LabelColumnName"/>,
    /// and adds SeminarTarget, SeminarInterest and SeminarScore. Place after <c>FeaturizeSequences</c>.
    /// </summary>
    /// <param name="catalog">The SEMINAR catalog.</param>
    /// <param name="options">Column names, network sizes, objectives and the training loop.</param>
    public static PsuEmbeddingEstimator PsuEmbedding(this SeminarCatalog catalog, PsuEmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        return new PsuEmbeddingEstimator(catalog.Context, options);
    }

    /// <summary>
    /// The Pretraining Search Unit with the main settings (see the overload taking <see cref="PsuEmbeddingOptions"/> for the
    /// rest, which keep their defaults). Place after <c>FeaturizeSequences</c>.
    /// </summary>
    /// <param name="catalog">The SEMINAR catalog.</param>
    /// <param name="labelColumnName">Label column (Boolean or Single) for fine-tuning; null = pretraining only.</param>
    /// <param name="dimension">Embedding dimension D.</param>
    /// <param name="heads">Attention heads.</param>
    /// <param name="topK">Behaviours the GSU keeps per head.</param>
    /// <param name="pretrainingMaxEpoch">Passes over the rows while pretraining.</param>
    /// <param name="maxEpoch">Most passes over the labelled rows while fine-tuning (early stopping may end sooner).</param>
    public static PsuEmbeddingEstimator PsuEmbedding(this SeminarCatalog catalog, string? labelColumnName = SeminarColumns.Label,
        int dimension = 64, int heads = 4, int topK = 50, int pretrainingMaxEpoch = 1, int maxEpoch = 5) =>
        catalog.PsuEmbedding(new PsuEmbeddingOptions
        {
            LabelColumnName = labelColumnName, Dimension = dimension, Heads = heads, TopK = topK,
            PretrainingMaxEpoch = pretrainingMaxEpoch, MaxEpoch = maxEpoch,
        });
}
