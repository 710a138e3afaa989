using System.Numerics.Tensors;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Retrieval.Strategies;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// A trained PSU with multi-modal product quantization for approximate target attention. A behaviour's pair
/// embedding splits exactly into per-modality parts, <c>x = Σ_m g_m G_m e_m + d</c> with
/// <c>d = a (e_q − e_item)</c> for a behaviour with a query and 0 for browsing
/// (see <see cref="PsuScoringModel.ItemModalityTable"/>), so each part has its own product quantizer: one per item
/// modality (codes stored once per catalog item) and one for the query part (codes per query–item pair).
/// Relevance against the request is then a sum of table lookups over the codes (asymmetric distance: the target
/// stays exact). Immutable; shared by every <see cref="PqRowScorer"/>.
/// </summary>
internal sealed class PqAttentionModel
{
    readonly byte[] _itemCodes;

    /// <summary>Builds the model from trained quantizers and encodes the catalog.</summary>
    /// <param name="psu">The PSU the codes approximate.</param>
    /// <param name="itemQuantizers">One quantizer per item modality, in <see cref="PsuScoringModel.ModalityNames"/> order.</param>
    /// <param name="queryQuantizer">The quantizer of the query part <c>d</c> of pairs.</param>
    /// <param name="topK">Behaviours kept per head by the approximate GSU (the PSU's K when null).</param>
    /// <exception cref="ArgumentException">The quantizers do not match the PSU or each other.</exception>
    public PqAttentionModel(PsuScoringModel psu, IReadOnlyList<ProductQuantizer> itemQuantizers, ProductQuantizer queryQuantizer, int? topK = null)
        : this(psu, itemQuantizers, queryQuantizer, topK, pairs: null)
    {
    }

    /// <summary>
    /// Builds the model; the catalog codes are <paramref name="itemCodes"/> when given (a saved graph's, whose PSU holds no
    /// per-modality tables to encode from), else encoded from the PSU.
    /// </summary>
    internal PqAttentionModel(PsuScoringModel psu, IReadOnlyList<ProductQuantizer> itemQuantizers, ProductQuantizer queryQuantizer, int? topK, PairCodeTable? pairs,
        byte[]? itemCodes = null)
    {
        ArgumentNullException.ThrowIfNull(psu);
        ArgumentNullException.ThrowIfNull(itemQuantizers);
        ArgumentNullException.ThrowIfNull(queryQuantizer);
        if (psu.Weights.Retrieval is not ExactRetrieval)
            throw new ArgumentException(
                $"Approximate retrieval approximates the exact GSU, but this PSU was trained with the {psu.Weights.Retrieval.Name} retrieval strategy; use a PSU trained with the Exact strategy.", nameof(psu));
        int modalities = psu.ModalityNames.Count;
        if (itemQuantizers.Count != modalities)
            throw new ArgumentException($"The PSU has {modalities} item modalities ({string.Join(", ", psu.ModalityNames)}); got {itemQuantizers.Count} quantizers.", nameof(itemQuantizers));
        var sets = itemQuantizers.Append(queryQuantizer).ToArray();
        foreach (var q in sets)
        {
            if (q.Dimension != psu.Dimension) throw new ArgumentException($"A quantizer has dimension {q.Dimension}; the PSU's is {psu.Dimension}.", nameof(itemQuantizers));
            if (q.SubSpaces != queryQuantizer.SubSpaces)
                throw new ArgumentException($"Every quantizer must have the same sub-spaces ({q.SubSpaces} and {queryQuantizer.SubSpaces} differ).", nameof(itemQuantizers));
        }
        int k = topK ?? psu.TopK;
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1, nameof(topK));
        Psu = psu;
        ItemQuantizers = itemQuantizers;
        QueryQuantizer = queryQuantizer;
        TopK = k;
        Codebooks = new PqCodebooks(sets);
        ItemSubSpaces = modalities * queryQuantizer.SubSpaces;
        if (itemCodes != null && itemCodes.Length != (long)psu.ItemCount * ItemSubSpaces)
            throw new ArgumentException($"The catalog codes hold {itemCodes.Length} bytes; {psu.ItemCount} items of {ItemSubSpaces} codes need {(long)psu.ItemCount * ItemSubSpaces}.", nameof(itemCodes));
        _itemCodes = itemCodes ?? EncodeCatalog(psu, itemQuantizers, ItemSubSpaces);
        Pairs = pairs;
        if (pairs != null) EncodePairs(pairs);
    }

    /// <summary>The PSU the codes approximate.</summary>
    public PsuScoringModel Psu { get; }
    /// <summary>One quantizer per item modality, in <see cref="PsuScoringModel.ModalityNames"/> order.</summary>
    public IReadOnlyList<ProductQuantizer> ItemQuantizers { get; }
    /// <summary>The quantizer of the query part of pairs.</summary>
    public ProductQuantizer QueryQuantizer { get; }
    /// <summary>Behaviours kept per head by the approximate GSU (K).</summary>
    public int TopK { get; }
    /// <summary>Codes per behaviour: sub-spaces over every item modality and the query part.</summary>
    public int SubSpaces => Codebooks.SubSpaces;
    /// <summary>Bytes one behaviour's codes take (one byte per sub-space), against <c>4·D</c> for its exact pair vector.</summary>
    public int BytesPerBehaviour => SubSpaces;
    /// <summary>Query–item pairs whose codes were computed when the model was built (others are encoded when met).</summary>
    public int KnownPairs => Pairs?.Count ?? 0;

    internal PqCodebooks Codebooks { get; }
    /// <summary>Item-modality codes per behaviour (the first sub-spaces); the query part's follow.</summary>
    internal int ItemSubSpaces { get; }
    internal PairCodeTable? Pairs { get; }
    /// <summary>Catalog codes <c>[items, ItemSubSpaces]</c>; item 0 (padding) all zero.</summary>
    internal ReadOnlySpan<byte> ItemCodes => _itemCodes;
    internal byte[] ItemCodeArray => _itemCodes;

    /// <summary>An item's codes over every item modality.</summary>
    internal ReadOnlySpan<byte> ItemCodesOf(int item) => _itemCodes.AsSpan(item * ItemSubSpaces, ItemSubSpaces);

    /// <summary>The query part <c>d = x − e_item</c> of a pair with a query (x fused by <paramref name="fusion"/>).</summary>
    internal static void QueryPart(PsuScoringModel psu, PairFusion fusion, int item, ReadOnlySpan<long> tokens, string column, int position, Span<float> d)
    {
        fusion.Fuse(item, tokens, column, "history query token", position, d);
        TensorPrimitives.Subtract(d, psu.ItemData.AsSpan(item * psu.Dimension, psu.Dimension), d);
    }

    static byte[] EncodeCatalog(PsuScoringModel psu, IReadOnlyList<ProductQuantizer> quantizers, int itemSubSpaces)
    {
        int items = psu.ItemCount, c = quantizers[0].SubSpaces;
        var codes = new byte[(long)items * itemSubSpaces];
        var scratch = new byte[(long)items * c];
        for (int m = 0; m < quantizers.Count; m++)
        {
            quantizers[m].Encode(psu.ItemModalityTable(m).Span, items, scratch);
            for (int i = 0; i < items; i++) scratch.AsSpan(i * c, c).CopyTo(codes.AsSpan(i * itemSubSpaces + m * c, c));
        }
        return codes;
    }

    void EncodePairs(PairCodeTable pairs)
    {
        var fusion = new PairFusion(Psu);
        int d = Psu.Dimension;
        var tokens = new long[Psu.QueryTokens];
        var part = new float[d];
        for (int slot = 0; slot < pairs.Slots; slot++)
        {
            if (!pairs.Occupied(slot)) continue;
            pairs.TokensAt(slot, tokens);
            QueryPart(Psu, fusion, pairs.ItemAt(slot), tokens, "pairs", -1, part);
            QueryQuantizer.Encode(part, pairs.CodesAt(slot));
        }
    }

    /// <summary>
    /// Trains the quantizers: each item modality's on the catalog's rows of that modality, the query part's on a
    /// seeded sample of the known pairs, then encodes the catalog and the pairs.
    /// </summary>
    internal static PqAttentionModel Train(PsuScoringModel psu, PairCodeTable pairs, ProductQuantizerOptions options, int? topK, int seed, Action<string>? log)
    {
        options.Validate(psu.Dimension);
        int modalities = psu.ModalityNames.Count;
        var items = new ProductQuantizer[modalities];
        for (int m = 0; m < modalities; m++)
        {
            log?.Invoke($"PQ: training the {psu.ModalityNames[m]} codebook on {psu.ItemCount:N0} catalog rows");
            items[m] = ProductQuantizer.Train(psu.ItemModalityTable(m).Span, psu.Dimension, options, unchecked(seed + 7919 * m));
        }
        log?.Invoke($"PQ: training the query codebook on {Math.Min(pairs.Count, (long)options.Centroids * options.MaxPointsPerCentroid):N0} of {pairs.Count:N0} query–item pairs");
        var query = ProductQuantizer.Train(QueryParts(psu, pairs, options.Centroids * options.MaxPointsPerCentroid, seed), psu.Dimension, options, unchecked(seed + 7919 * modalities));
        return new PqAttentionModel(psu, items, query, topK, pairs);
    }

    /// <summary>The query parts of a seeded sample of at most <paramref name="limit"/> pairs, <c>[n, D]</c>.</summary>
    static float[] QueryParts(PsuScoringModel psu, PairCodeTable pairs, long limit, int seed)
    {
        var slots = Enumerable.Range(0, pairs.Slots).Where(pairs.Occupied).ToArray();
        if (slots.Length > limit)
        {
            new Random(seed).Shuffle(slots);
            slots = slots[..(int)limit];
            Array.Sort(slots);
        }
        int d = psu.Dimension;
        var parts = new float[(long)slots.Length * d];
        var fusion = new PairFusion(psu);
        var tokens = new long[psu.QueryTokens];
        for (int i = 0; i < slots.Length; i++)
        {
            pairs.TokensAt(slots[i], tokens);
            QueryPart(psu, fusion, pairs.ItemAt(slots[i]), tokens, "pairs", -1, parts.AsSpan(i * d, d));
        }
        return parts;
    }
}
