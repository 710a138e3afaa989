using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet;

/// <summary>
/// What a PSU scores with: the tables precomputed from its weights (fused item table, projected query tokens, folded
/// attention) and the weights after retrieval (W_V, W_O, the empty interest, the head, the side scaling). The same numbers
/// are the initializers of its ONNX graph, so a PSU loaded with <c>LoadModel</c> has exactly the fitted one's tables even
/// though its <see cref="PsuWeights"/> (raw embeddings, unfolded W_Q and W_K) are not in the zip. Read-only views.
/// </summary>
public sealed class PsuScoringTables
{
    internal PsuScoringTables(PsuScoringModel model)
    {
        var w = model.Weights;
        Dimension = model.Dimension;
        Heads = model.Heads;
        TopK = model.TopK;
        QueryTokens = model.QueryTokens;
        ModalityNames = model.ModalityNames;
        ItemTable = model.ItemTable;
        QueryTokenTable = model.QueryTokenTable;
        QueryWeight = model.QueryWeight;
        FoldedAttention = model.FoldedAttention;
        AttentionValue = w.AttentionValue;
        AttentionOutput = w.AttentionOutput;
        EmptyInterest = w.EmptyInterest;
        Head = w.Head;
        SideMean = w.SideMean;
        SideScale = w.SideScale;
    }

    /// <summary>Embedding dimension D.</summary>
    public int Dimension { get; }
    /// <summary>Attention heads H.</summary>
    public int Heads { get; }
    /// <summary>Behaviours kept per head (K).</summary>
    public int TopK { get; }
    /// <summary>Token slots per query (T).</summary>
    public int QueryTokens { get; }
    /// <summary>Item modality names in modality order: id, title, attributes, then the catalog's vector columns.</summary>
    public IReadOnlyList<string> ModalityNames { get; }
    /// <summary>Fused item embeddings <c>e = Σ g_m G_m e_m</c>, <c>[items, D]</c> row-major; row 0 (padding) zeros.</summary>
    public ReadOnlyMemory<float> ItemTable { get; }
    /// <summary>Query tokens with the query projection applied, <c>[tokens, D]</c>; row 0 zeros.</summary>
    public ReadOnlyMemory<float> QueryTokenTable { get; }
    /// <summary>Query weight a of the pair fusion.</summary>
    public float QueryWeight { get; }
    /// <summary>Per-head folded GSU matrices <c>A_h = W_K^hᵀ W_Q^h / sqrt(D)</c>, <c>[H, D, D]</c>.</summary>
    public ReadOnlyMemory<float> FoldedAttention { get; }
    /// <summary>ESU value projections W_V, <c>[H, D, D]</c>.</summary>
    public ReadOnlyMemory<float> AttentionValue { get; }
    /// <summary>ESU output projection W_O and bias (shared with the model: do not change its arrays).</summary>
    public DenseLayer AttentionOutput { get; }
    /// <summary>The interest of a history with no behaviour, <c>[D]</c>.</summary>
    public ReadOnlyMemory<float> EmptyInterest { get; }
    /// <summary>The MLP head's layers (shared with the model: do not change their arrays).</summary>
    public IReadOnlyList<DenseLayer> Head { get; }
    /// <summary>Per side feature, the mean of its compressed value; empty when the head reads no side features.</summary>
    public ReadOnlyMemory<float> SideMean { get; }
    /// <summary>Per side feature, the scale of its compressed value; empty when the head reads no side features.</summary>
    public ReadOnlyMemory<float> SideScale { get; }
}
