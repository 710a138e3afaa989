using System.Numerics.Tensors;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.PsuScoring;

/// <summary>
/// What scoring with a trained PSU needs, precomputed once from <see cref="PsuWeights"/> and the featurizer's
/// <see cref="SequenceVocabularies"/>: everything that does not depend on the request. Immutable and shared by
/// every <see cref="PsuRowScorer"/> (one per cursor or thread) and by the ONNX graph.
/// </summary>
/// <remarks>
/// Folding follows from linearity: <c>G_q · mean(tokens) = mean(G_q · token)</c>, so the query table holds projected
/// tokens; <c>(W_Q t)·(W_K x) / sqrt(D) = (A t)·x</c> with <c>A = W_Kᵀ W_Q / sqrt(D)</c>, so the GSU costs one
/// D-dot per head and behaviour instead of a D×D projection of every key.
/// </remarks>
internal sealed class PsuScoringModel
{
    // Null when the model was rebuilt from a saved graph, which holds the fused tables but not the per-modality parts.
    readonly ItemModalities? _modalities;
    readonly Lazy<float[]>[]? _modalityTables;
    readonly SequenceVocabularies? _vocabularies;

    /// <summary>Validates the weights against the vocabularies and precomputes the tables.</summary>
    /// <exception cref="ArgumentException">The weights do not fit the vocabularies (sizes or modalities differ).</exception>
    public PsuScoringModel(PsuWeights weights, SequenceVocabularies vocabularies)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(vocabularies);
        weights.Validate();
        if (!vocabularies.HasCatalogContent)
            throw new ArgumentException(
                "These vocabularies were loaded from a saved featurizer graph (LoadModel), which holds the id and token lookups but not the catalog's " +
                "titles, attributes and vectors per item: use the fitted featurizer's vocabularies to build a PSU from weights.", nameof(vocabularies));
        PsuVocabularyCheck.Check(weights, vocabularies);
        Weights = weights;
        _vocabularies = vocabularies;
        int d = weights.Dimension, h = weights.Heads;
        ItemCount = vocabularies.Content.ItemCount;
        QueryTokens = vocabularies.MaxQueryTokens;

        _modalities = new ItemModalities(weights, vocabularies.Content);
        ItemData = _modalities.Fused();
        _modalityTables = Enumerable.Range(0, weights.ItemModalities).Select(m => new Lazy<float[]>(() => _modalities.Table(m))).ToArray();
        QueryTokenData = ProjectRows(weights.Tokens, weights.ModalityTransforms.AsSpan(weights.ItemModalities * d * d, d * d), d);
        QueryTokenData.AsSpan(0, d).Clear(); // padding: a sum over all T slots then equals the sum over real tokens
        QueryWeight = 1f / (1f + MathF.Exp(-weights.QueryWeightLogit));
        FoldedAttentionData = Fold(weights.AttentionQuery, weights.AttentionKey, h, d);
        ModalityNames = new[] { "id", "title", "attributes" }.Concat(vocabularies.Content.Modalities.Select(m => m.Name)).ToArray();
    }

    /// <summary>
    /// A model from the tables a saved graph holds (<see cref="PsuGraph"/>'s initializers): the fused item and query
    /// token tables, the query weight, the folded attention, and in <paramref name="readout"/> the weights after
    /// retrieval (W_V, W_O, the empty interest, the head, the side scaling). The raw per-modality embeddings and the
    /// unfolded W_Q, W_K are not in a graph, so <see cref="ItemModalityTable"/> and <see cref="HasModality"/> are not
    /// available and <paramref name="readout"/> leaves them empty.
    /// </summary>
    internal PsuScoringModel(PsuWeights readout, float[] itemTable, float[] queryTokenTable, float queryWeight, float[] foldedAttention,
        int queryTokens, IReadOnlyList<string> modalityNames, SequenceVocabularies? vocabularies)
    {
        int d = readout.Dimension;
        Weights = readout;
        ItemData = itemTable;
        QueryTokenData = queryTokenTable;
        QueryWeight = queryWeight;
        FoldedAttentionData = foldedAttention;
        ItemCount = itemTable.Length / d;
        QueryTokens = queryTokens;
        ModalityNames = modalityNames;
        _vocabularies = vocabularies;
        FromGraph = true;
    }

    /// <summary>Whether the model was rebuilt from a saved graph (tables only: no raw weights, no per-modality tables).</summary>
    internal bool FromGraph { get; }

    /// <summary>The trained weights.</summary>
    public PsuWeights Weights { get; }
    /// <summary>The featurizer vocabularies the weights were trained with.</summary>
    /// <exception cref="InvalidOperationException">The model was loaded from a graph with no featurizer before it in the chain.</exception>
    public SequenceVocabularies Vocabularies => _vocabularies ?? throw new InvalidOperationException(
        "This PSU was loaded from a saved model with no SEMINAR featurizer before it in the chain, so its vocabularies are unknown: a PSU graph holds only table sizes.");

    /// <summary>Embedding dimension D.</summary>
    public int Dimension => Weights.Dimension;
    /// <summary>Attention heads H.</summary>
    public int Heads => Weights.Heads;
    /// <summary>Behaviours kept per head (K).</summary>
    public int TopK => Weights.TopK;
    /// <summary>Item indices (rows of <see cref="ItemTable"/>).</summary>
    public int ItemCount { get; }
    /// <summary>Token indices (rows of <see cref="QueryTokenTable"/>).</summary>
    public int TokenCount => QueryTokenData.Length / Dimension;
    /// <summary>Token slots per query (T): the history query tokens hold T per behaviour.</summary>
    public int QueryTokens { get; }

    /// <summary>Fused item embeddings <c>e = Σ g_m G_m e_m</c>, <c>[items, D]</c> row-major; row 0 (padding) zeros.</summary>
    public ReadOnlyMemory<float> ItemTable => ItemData;
    /// <summary>Query tokens with the query projection applied, <c>G_q · Tokens[k]</c>, <c>[tokens, D]</c>; row 0 zeros.</summary>
    public ReadOnlyMemory<float> QueryTokenTable => QueryTokenData;
    /// <summary>Query weight of the pair fusion, <c>a = sigmoid(QueryWeightLogit)</c>.</summary>
    public float QueryWeight { get; }
    /// <summary>Per-head folded GSU matrices <c>A_h = W_K^hᵀ W_Q^h / sqrt(D)</c>, <c>[H, D, D]</c>: <c>r_hl = (A_h t)·x_l</c>.</summary>
    public ReadOnlyMemory<float> FoldedAttention => FoldedAttentionData;
    /// <summary>Each table's array, for this assembly's kernels and graph builders (never handed out writable).</summary>
    internal float[] ItemData { get; }
    internal float[] QueryTokenData { get; }
    internal float[] FoldedAttentionData { get; }
    /// <summary>Item modality names in modality order: id, title, attributes, then the catalog's vector columns.</summary>
    public IReadOnlyList<string> ModalityNames { get; }

    /// <summary>
    /// One modality's share of the fused item table, <c>[items, D]</c>: row i = <c>g_m G_m e_m</c> with the gate
    /// renormalised over item i's present modalities, zeros where the item lacks the modality. Summed over the
    /// modalities they give <see cref="ItemTable"/>. Computed on first request and kept.
    /// </summary>
    /// <param name="modality">Index into <see cref="ModalityNames"/>.</param>
    public ReadOnlyMemory<float> ItemModalityTable(int modality)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(modality);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(modality, ModalityNames.Count);
        return (_modalityTables ?? throw NoModalities())[modality].Value;
    }

    /// <summary>Whether item <paramref name="item"/> has modality <paramref name="modality"/> (padding has none).</summary>
    public bool HasModality(int item, int modality) => (_modalities ?? throw NoModalities()).Present(item, modality);

    static InvalidOperationException NoModalities() => new(
        "This PSU was loaded from a saved model (LoadModel): its graph holds the fused item table, not each modality's share of it " +
        "(the per-modality embeddings, gates and projections stay with the fitted PsuWeights). " +
        "Read the per-modality tables from the fitted PSU, or from a PSU created from its PsuWeights.");

    static float[] ProjectRows(float[] rows, ReadOnlySpan<float> g, int d)
    {
        var result = new float[rows.Length];
        for (int r = 0; r < rows.Length / d; r++) DenseMath.MatVec(g, rows.AsSpan(r * d, d), result.AsSpan(r * d, d));
        return result;
    }

    static float[] Fold(float[] query, float[] key, int heads, int d)
    {
        var folded = new float[heads * d * d];
        var column = new float[d];
        float scale = 1f / MathF.Sqrt(d);
        for (int h = 0; h < heads; h++)
        {
            var wq = query.AsSpan(h * d * d, d * d);
            var kT = DenseMath.Transpose(key.AsSpan(h * d * d, d * d), d, d);
            var a = folded.AsSpan(h * d * d, d * d);
            // A[i, j] = Σ_r W_K[r, i] W_Q[r, j]: row i of W_Kᵀ against column j of W_Q.
            for (int j = 0; j < d; j++)
            {
                for (int r = 0; r < d; r++) column[r] = wq[r * d + j];
                for (int i = 0; i < d; i++) a[i * d + j] = TensorPrimitives.Dot(kT.AsSpan(i * d, d), column) * scale;
            }
        }
        return folded;
    }
}
