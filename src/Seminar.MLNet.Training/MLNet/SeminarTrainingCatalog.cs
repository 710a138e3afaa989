using Seminar.MLNet.MLNet;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Training.MLNet;

/// <summary>SEMINAR estimators that train with TorchSharp, on <c>mlContext.Seminar()</c>.</summary>
public static class SeminarTrainingCatalog
{
    /// <summary>
    /// The Pretraining Search Unit: pretrains on the featurized histories, fine-tunes on <see cref="PsuEmbeddingOptions.LabelColumn"/>,
    /// and adds SeminarTarget, SeminarInterest and SeminarScore. Place after <c>FeaturizeSequences</c>.
    /// </summary>
    public static PsuEmbeddingEstimator PsuEmbedding(this SeminarCatalog catalog, PsuEmbeddingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new PsuEmbeddingEstimator(catalog.Context, options ?? new PsuEmbeddingOptions());
    }
}
