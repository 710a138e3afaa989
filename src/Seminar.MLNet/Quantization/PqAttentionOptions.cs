using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Quantization.FastScan;

namespace Seminar.MLNet;

/// <summary>
/// Options of <c>mlContext.Seminar().PqAttention(options)</c>. The inherited input columns are the featurizer's
/// index columns the PSU reads. The PSU to quantize is <see cref="Psu"/> when set; otherwise it is found on the input's
/// <see cref="PsuColumnOptions.OutputInterestColumnName"/> column, which a PsuEmbedding fitted earlier in the same process
/// annotates (so in an <c>EstimatorChain</c>, place PqAttention after PsuEmbedding).
/// </summary>
public sealed class PqAttentionOptions : PsuColumnOptions
{
    /// <summary>Default <see cref="Shortlist"/>: at K = 50 it keeps recall@50 at about 0.985 or better in the retrieval bench.</summary>
    internal const int DefaultShortlist = 400;

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
    /// <summary>
    /// The 4-bit product quantizer of the catalog (the PSU's fused item table), encoded once at fit time: 16 bytes per item.
    /// <see cref="ProductQuantizerOptions.SubSpaces"/> (default 32, at most 32) must divide the PSU's dimension;
    /// <see cref="ProductQuantizerOptions.Centroids"/> must be 16 (codes are nibbles).
    /// </summary>
    public ProductQuantizerOptions Quantizer { get; set; } = new() { SubSpaces = CatalogCodes.MaxSubSpaces, Centroids = FourBitCodes.Centroids };
    /// <summary>Behaviours kept per head by the approximate GSU; null = the PSU's K. Larger than a history keeps all of it.</summary>
    public int? TopK { get; set; }
    /// <summary>
    /// Behaviours per head whose approximate scores (4-bit codes of the item part, exact query part) are best, re-ranked
    /// exactly on the catalog's float rows before the top <see cref="TopK"/> are kept (K', default 400; at least K). A
    /// larger shortlist trades time for recall; one as long as the history gives the exact top-K.
    /// </summary>
    public int Shortlist { get; set; } = DefaultShortlist;
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
        if (Quantizer.Centroids != FourBitCodes.Centroids)
            throw new ArgumentOutOfRangeException(nameof(Quantizer), Quantizer.Centroids,
                $"Quantizer.Centroids is {Quantizer.Centroids}; it must be {FourBitCodes.Centroids}: the catalog codes are 4-bit (one nibble per sub-space).");
        if (Quantizer.SubSpaces is < 1 or > CatalogCodes.MaxSubSpaces)
            throw new ArgumentOutOfRangeException(nameof(Quantizer), Quantizer.SubSpaces,
                $"Quantizer.SubSpaces is {Quantizer.SubSpaces}; it must be 1 to {CatalogCodes.MaxSubSpaces}: an item's 4-bit codes fit {CatalogCodes.RowBytes} bytes.");
        if (TopK is < 1) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must be at least 1 (or null for the PSU's).");
        if (Shortlist < 1) throw new ArgumentOutOfRangeException(nameof(Shortlist), Shortlist, "Shortlist must be at least 1 (and at least TopK).");
        if (TopK is { } k && Shortlist < k)
            throw new ArgumentOutOfRangeException(nameof(Shortlist), Shortlist, $"Shortlist ({Shortlist}) must be at least TopK ({k}): the top-K are chosen among the shortlist.");
    }
}
