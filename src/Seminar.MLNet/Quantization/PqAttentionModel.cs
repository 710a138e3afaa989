using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization.FastScan;
using Seminar.MLNet.Retrieval.Strategies;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// A trained PSU with approximate target attention over the item/query decomposition (<see cref="PairDecomposition"/>):
/// a behaviour's relevance <c>&lt;u, x&gt; = w &lt;u, e_item&gt; + (a / n) Σ_t &lt;u, e_t&gt;</c> takes its item part from
/// 4-bit codes of the PSU's fused item table (<see cref="CatalogCodes"/>, encoded once at fit, 16 bytes per item) and its
/// query part exactly, once per distinct token of the history; the <see cref="Shortlist"/> best approximate scores are
/// re-ranked exactly on the float catalog rows and the top <see cref="TopK"/> go to the exact ESU. Nothing is encoded per
/// behaviour or per query–item pair. Immutable; shared by every <see cref="PqRowScorer"/>.
/// </summary>
internal sealed class PqAttentionModel
{
    /// <summary>Builds the model over codes of the PSU's item table.</summary>
    /// <param name="psu">The PSU whose exact GSU is approximated.</param>
    /// <param name="catalog">4-bit codes of <see cref="PsuScoringModel.ItemData"/>.</param>
    /// <param name="topK">Behaviours kept per head (the PSU's K when null).</param>
    /// <param name="shortlist">Behaviours per head re-ranked exactly (K', at least K).</param>
    /// <exception cref="ArgumentException">The PSU is not an exact-retrieval one, or the codes are not of its item table.</exception>
    public PqAttentionModel(PsuScoringModel psu, CatalogCodes catalog, int? topK = null, int shortlist = PqAttentionOptions.DefaultShortlist)
    {
        ArgumentNullException.ThrowIfNull(psu);
        ArgumentNullException.ThrowIfNull(catalog);
        if (psu.Weights.Retrieval is not ExactRetrieval)
            throw new ArgumentException(
                $"Approximate retrieval approximates the exact GSU, but this PSU was trained with the {psu.Weights.Retrieval.Name} retrieval strategy; use a PSU trained with the Exact strategy.", nameof(psu));
        if (catalog.Count != psu.ItemCount || catalog.Quantizer.Dimension != psu.Dimension)
            throw new ArgumentException($"The catalog codes hold {catalog.Count} items of D = {catalog.Quantizer.Dimension}; the PSU's item table {psu.ItemCount} of D = {psu.Dimension}.", nameof(catalog));
        int k = topK ?? psu.TopK;
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1, nameof(topK));
        if (shortlist < k)
            throw new ArgumentOutOfRangeException(nameof(shortlist), shortlist, $"The shortlist ({shortlist}) must be at least K ({k}): the top-K are chosen among it.");
        Psu = psu;
        Catalog = catalog;
        TopK = k;
        Shortlist = shortlist;
        Decomposition = PairDecomposition.Of(psu);
    }

    /// <summary>The PSU the codes approximate.</summary>
    public PsuScoringModel Psu { get; }
    /// <summary>4-bit codes of the PSU's fused item table, and their codebook.</summary>
    public CatalogCodes Catalog { get; }
    /// <summary>The PSU's pair vectors split into item and query parts.</summary>
    public PairDecomposition Decomposition { get; }
    /// <summary>Behaviours kept per head by the approximate GSU (K).</summary>
    public int TopK { get; }
    /// <summary>Behaviours per head re-ranked exactly (K').</summary>
    public int Shortlist { get; }
    /// <summary>Sub-spaces M of the catalog codes.</summary>
    public int SubSpaces => Catalog.SubSpaces;
    /// <summary>Bytes stored per catalog item (a fixed row of 4-bit codes).</summary>
    public int BytesPerItem => CatalogCodes.RowBytes;
    /// <summary>Bytes of code the scan reads per behaviour (two codes per byte), against <c>4·D</c> for its exact pair vector.</summary>
    public int BytesPerBehaviour => Catalog.BytesPerItem;

    /// <summary>Trains the 4-bit codebook by k-means on the PSU's fused item table and encodes the catalog.</summary>
    internal static PqAttentionModel Train(PsuScoringModel psu, ProductQuantizerOptions options, int? topK, int shortlist, int seed, Action<string>? log)
    {
        options.Validate(psu.Dimension);
        if (options.Centroids != FourBitCodes.Centroids || options.SubSpaces > CatalogCodes.MaxSubSpaces)
            throw new ArgumentException($"The catalog codes are 4-bit: {FourBitCodes.Centroids} centroids and at most {CatalogCodes.MaxSubSpaces} sub-spaces (got {options.Centroids} and {options.SubSpaces}).", nameof(options));
        log?.Invoke($"PQ: training the 4-bit catalog codebook ({options.SubSpaces} sub-spaces) on {psu.ItemCount:N0} item rows");
        var quantizer = ProductQuantizer.Train(psu.ItemData, psu.Dimension, options, seed);
        return new PqAttentionModel(psu, new CatalogCodes(quantizer, psu.ItemData), topK, shortlist);
    }
}
