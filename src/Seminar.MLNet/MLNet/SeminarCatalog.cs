using Microsoft.ML;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.MLNet;

/// <summary>Entry point to SEMINAR components: <c>mlContext.Seminar()</c>.</summary>
public static class SeminarMLContextExtensions
{
    /// <summary>The SEMINAR catalog of this context.</summary>
    public static SeminarCatalog Seminar(this MLContext ml) => new(ml ?? throw new ArgumentNullException(nameof(ml)));
}

/// <summary>
/// SEMINAR's estimators. Reached from the <see cref="MLContext"/> (not <c>mlContext.Transforms</c>, whose
/// environment is not public) so the components share the context's seed, log and threads.
/// </summary>
public sealed class SeminarCatalog
{
    internal SeminarCatalog(MLContext ml) => Context = ml;

    /// <summary>The context.</summary>
    public MLContext Context { get; }

    /// <summary>
    /// Featurizes lifelong query–item histories into index vectors for the PSU. The vocabularies come from
    /// <paramref name="itemCatalog"/> (an IDataView with ItemId, Title, Attributes and modality vector
    /// columns) and from the training data at fit time.
    /// </summary>
    public SequenceFeaturizerEstimator FeaturizeSequences(IDataView itemCatalog, SequenceFeaturizerOptions? options = null) =>
        new(Context, itemCatalog ?? throw new ArgumentNullException(nameof(itemCatalog)), options ?? new SequenceFeaturizerOptions());

    /// <summary>
    /// Multi-modal codebook product quantization for approximate target attention: adds SeminarPqInterest and
    /// SeminarPqScore, the PSU's interest and score with each head's top-K found by a lookup-table scan over byte
    /// codes instead of exact relevance. Place after <c>PsuEmbedding</c>.
    /// </summary>
    public PqAttentionEstimator PqAttention(Quantization.PqAttentionOptions? options = null) => new(Context, options ?? new Quantization.PqAttentionOptions());

    /// <summary>
    /// ML.NET's binary prediction columns from a logit column such as <c>SeminarScore</c> or <c>SeminarPqScore</c>: scalar
    /// <c>Score</c> (the logit), <c>Probability</c> (its sigmoid) and <c>PredictedLabel</c>, so the usual
    /// <c>float Probability</c> output class binds, after stock loading too.
    /// </summary>
    /// <param name="logitColumn">A one-value Single vector column holding a logit.</param>
    public LogitPredictionEstimator Prediction(string logitColumn = "SeminarScore") => new(Context, logitColumn);
}
