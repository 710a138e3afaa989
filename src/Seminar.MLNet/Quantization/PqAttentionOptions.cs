using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet;

/// <summary>
/// Options of <c>mlContext.Seminar().PqAttention(options)</c>. The inherited input columns are the featurizer's
/// index columns the PSU reads. The PSU to quantize is <see cref="Psu"/> when set; otherwise it is found on the input's
/// <see cref="PsuColumnOptions.OutputInterestColumnName"/> column, which a PsuEmbedding fitted earlier in the same process
/// annotates (so in an <c>EstimatorChain</c>, place PqAttention after PsuEmbedding).
/// </summary>
public sealed class PqAttentionOptions : PsuColumnOptions
{
    /// <summary>
    /// The fitted PSU whose attention is approximated. Default null: the PSU is found on the input's interest column (see
    /// the class remarks), which works inside one pipeline; set it when the input does not come from that PSU's own
    /// <c>Transform</c> (e.g. rows scored elsewhere, or featurized rows without the PSU's columns).
    /// </summary>
    public PsuEmbeddingTransformer? Psu { get; set; }
    /// <summary>Output: the interest vector computed with approximate retrieval (vector of Single, D).</summary>
    public string OutputPqInterestColumnName { get; set; } = "SeminarPqInterest";
    /// <summary>Output: the head's logit computed with approximate retrieval (vector of Single of size 1).</summary>
    public string OutputPqScoreColumnName { get; set; } = "SeminarPqScore";
    /// <summary>Product quantizer of every code set (each item modality and the query part): sub-spaces, centroids, k-means.</summary>
    public ProductQuantizerOptions Quantizer { get; set; } = new();
    /// <summary>Behaviours kept per head by the approximate GSU; null = the PSU's K. Larger than a history keeps all of it.</summary>
    public int? TopK { get; set; }
    /// <summary>
    /// Query–item pairs of the training data whose query codes are computed once at fit time (default 262,144); the query
    /// codebook trains on a sample of these. Pairs beyond it, and pairs first seen when scoring, are encoded when met
    /// (the same rule, a little slower).
    /// </summary>
    public int MaxKnownPairs { get; set; } = 262_144;
    /// <summary>Seed of the k-means samples and initialisation; null = drawn from the MLContext.</summary>
    public int? Seed { get; set; }

    /// <summary>A shallow copy, for variants of one configuration (the quantizer options object is shared).</summary>
    public PqAttentionOptions Clone() => (PqAttentionOptions)MemberwiseClone();

    /// <summary>Throws when an option is out of range or the output names clash.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(OutputPqInterestColumnName, nameof(OutputPqInterestColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(OutputPqScoreColumnName, nameof(OutputPqScoreColumnName));
        if (OutputPqInterestColumnName == OutputPqScoreColumnName) throw new ArgumentException($"OutputPqInterestColumnName and OutputPqScoreColumnName are both '{OutputPqScoreColumnName}'.", nameof(OutputPqScoreColumnName));
        if (Quantizer is null) throw new ArgumentNullException(nameof(Quantizer));
        if (TopK is < 1) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must be at least 1 (or null for the PSU's).");
        if (MaxKnownPairs < 1) throw new ArgumentOutOfRangeException(nameof(MaxKnownPairs), MaxKnownPairs, "MaxKnownPairs must be at least 1: the query codebook trains on these pairs.");
    }
}
