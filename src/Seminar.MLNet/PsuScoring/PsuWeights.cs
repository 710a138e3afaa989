using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Retrieval.Strategies;

namespace Seminar.MLNet;

/// <summary>
/// The trained parameters of the Pretraining Search Unit, copied out of the training module, and the
/// specification every implementation (TorchSharp training, the C# scoring path, the ONNX graph) follows.
/// Matrices are row-major <c>[out, in]</c> as in <c>torch.nn.Linear</c>: <c>y = W x + b</c>.
/// <para>
/// <b>Item modalities</b>, in this order: 0 = id, 1 = title, 2 = attributes, then one per precomputed
/// vector (<see cref="Projections"/>, same order as the catalog's modality tables). For an item index i:
/// id = <c>ItemIds[i]</c> (always present for i ≥ 1; index 1 is the learned out-of-vocabulary id);
/// title = mean of <c>Tokens</c> over the item's non-zero title token indices (present when there is one);
/// attributes = mean of <c>Attributes</c> over non-zero attribute indices (present when there is one);
/// vector m = <c>W_m v + b_m</c> (present when the catalog gave a vector). Each present modality passes its
/// modality-aware projection <c>G_m</c> (<see cref="ModalityTransforms"/>); the item embedding is
/// <c>e = Σ g_m G_m e_m</c> with <c>g = softmax(GateLogits)</c> renormalised over the present modalities.
/// Item index 0 (padding) has no modality and a zero embedding.
/// </para>
/// <para>
/// <b>Query</b>: <c>e_q = G_q · mean(Tokens[k])</c> over the non-zero token indices k; a query whose tokens are
/// all 0 is empty. <b>Pair</b>: <c>x = a e_q + (1 − a) e_item</c> with <c>a = sigmoid(QueryWeightLogit)</c>, or
/// <c>x = e_item</c> when the query is empty. The target pair <c>t</c> fuses the same way.
/// </para>
/// <para>
/// <b>GSU</b>: per head h, <c>r_hl = (W_Q^h t) · (W_K^h x_l) / sqrt(D)</c> over the L behaviours; each head keeps
/// its own top <c>min(K, L)</c> positions (padding is never a candidate: a behaviour whose item index is 0 is padding,
/// does not count in L, and a history of padding only is empty); equal scores go to the earlier behaviour. <b>ESU</b>: <c>α_h = softmax(r_h)</c>
/// over the kept positions, <c>o_h = W_V^h Σ α_hk x_k</c>, <c>o = W_O [o_1; …; o_H] + b_O</c>. With no behaviour
/// (L = 0) the interest is the learned <see cref="EmptyInterest"/>. <b>Head</b>: <c>logit = MLP([o; t; o ⊙ t])</c>,
/// ReLU between layers, no activation after the last (a single output). With side features (<see cref="SideMean"/> set, S of them)
/// the head reads <c>[o; t; o ⊙ t; z]</c>, <c>z_j = (sign(s_j) · ln(1 + |s_j|) − SideMean[j]) / SideScale[j]</c> (<see cref="SideFeatureScaling"/>).
/// </para>
/// <para>
/// <b>Retrieval strategies</b> replace only the GSU. The product trains SEMINAR's exact GSU above; the evaluation harness trains the
/// predecessors (DIN, SIM, ETA, SDIM) as strategy objects (<c>Retrieval/Strategies</c>) that carry their own parameters and trained
/// data and state their search there.
/// </para>
/// </summary>
public sealed class PsuWeights
{
    /// <summary>Embedding dimension D.</summary>
    public required int Dimension { get; init; }
    /// <summary>Attention heads H.</summary>
    public required int Heads { get; init; }
    /// <summary>Behaviours kept per head by the GSU (K).</summary>
    public required int TopK { get; init; }

    /// <summary>Item id embeddings, [items, D] (items = the featurizer's item vocabulary size).</summary>
    public required float[] ItemIds { get; init; }
    /// <summary>Token embeddings shared by titles and queries, [tokens, D]; row 0 (padding) is never read.</summary>
    public required float[] Tokens { get; init; }
    /// <summary>Attribute embeddings, [attributes, D]; row 0 (padding) is never read.</summary>
    public required float[] Attributes { get; init; }
    /// <summary>Linear projections of the precomputed modality vectors, in the catalog's modality order.</summary>
    public required IReadOnlyList<DenseLayer> Projections { get; init; }
    /// <summary>Gate logits, one per item modality (3 + projections).</summary>
    public required float[] GateLogits { get; init; }
    /// <summary>Modality-aware projections G, [(3 + projections + 1), D, D]: one per item modality, then the query's. Identity until fine-tuned.</summary>
    public required float[] ModalityTransforms { get; init; }
    /// <summary>Logit of the query weight a of the pair fusion.</summary>
    public required float QueryWeightLogit { get; init; }

    /// <summary>GSU query projections W_Q, [H, D, D].</summary>
    public required float[] AttentionQuery { get; init; }
    /// <summary>GSU key projections W_K, [H, D, D].</summary>
    public required float[] AttentionKey { get; init; }
    /// <summary>ESU value projections W_V, [H, D, D].</summary>
    public required float[] AttentionValue { get; init; }
    /// <summary>ESU output projection W_O and bias b_O: [D, H·D] and [D].</summary>
    public required DenseLayer AttentionOutput { get; init; }
    /// <summary>The interest of a history with no behaviour, [D].</summary>
    public required float[] EmptyInterest { get; init; }
    /// <summary>The MLP head, first layer takes 3·D + <see cref="SideFeatures"/> inputs, last has one output.</summary>
    public required IReadOnlyList<DenseLayer> Head { get; init; }
    /// <summary>Per side feature, the mean of its compressed value on the training rows, [S]; null = the head takes no side features.</summary>
    public float[]? SideMean { get; init; }
    /// <summary>Per side feature, the standard deviation of its compressed value on the training rows (1 where constant), [S]; null with <see cref="SideMean"/>.</summary>
    public float[]? SideScale { get; init; }

    /// <summary>Side features the head reads after <c>[o; t; o ⊙ t]</c> (S); 0 without.</summary>
    public int SideFeatures => SideMean?.Length ?? 0;

    /// <summary>
    /// How the behaviours the ESU attends to are chosen, with the strategy's own parameters and trained data. SEMINAR's exact GSU
    /// unless the evaluation harness trained a predecessor.
    /// </summary>
    internal PsuRetrieval Retrieval { get; init; } = ExactRetrieval.Instance;

    /// <summary>Item modalities: id, title, attributes and one per precomputed vector.</summary>
    public int ItemModalities => 3 + Projections.Count;

    /// <summary>Throws when the arrays disagree with the dimensions or hold non-finite values.</summary>
    public void Validate()
    {
        int d = Dimension, h = Heads;
        if (d < 1) throw new ArgumentOutOfRangeException(nameof(Dimension), d, "Dimension must be at least 1.");
        if (h < 1) throw new ArgumentOutOfRangeException(nameof(Heads), h, "Heads must be at least 1.");
        if (TopK < 1) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "TopK must be at least 1.");
        Rows(ItemIds, d, nameof(ItemIds));
        Rows(Tokens, d, nameof(Tokens));
        Rows(Attributes, d, nameof(Attributes));
        foreach (var p in Projections)
            if (p.Outputs != d) throw new ArgumentException($"A modality projection has {p.Outputs} outputs; expected {d}.", nameof(Projections));
        Exact(GateLogits, ItemModalities, nameof(GateLogits));
        Exact(ModalityTransforms, (ItemModalities + 1) * d * d, nameof(ModalityTransforms));
        Exact(AttentionQuery, h * d * d, nameof(AttentionQuery));
        Exact(AttentionKey, h * d * d, nameof(AttentionKey));
        Exact(AttentionValue, h * d * d, nameof(AttentionValue));
        if (AttentionOutput.Inputs != h * d || AttentionOutput.Outputs != d)
            throw new ArgumentException($"The attention output layer is [{AttentionOutput.Outputs}, {AttentionOutput.Inputs}]; expected [{d}, {h * d}].", nameof(AttentionOutput));
        Exact(EmptyInterest, d, nameof(EmptyInterest));
        ValidateSide();
        if (Head.Count == 0 || Head[0].Inputs != 3 * d + SideFeatures || Head[^1].Outputs != 1)
            throw new ArgumentException($"The head must take {3 * d + SideFeatures} inputs (3·D + {SideFeatures} side features) and end in one output.", nameof(Head));
        for (int i = 1; i < Head.Count; i++)
            if (Head[i].Inputs != Head[i - 1].Outputs) throw new ArgumentException($"Head layer {i} takes {Head[i].Inputs} inputs but layer {i - 1} gives {Head[i - 1].Outputs}.", nameof(Head));
        if (!float.IsFinite(QueryWeightLogit)) throw new ArgumentException("The query weight logit is not finite.", nameof(QueryWeightLogit));
        (Retrieval ?? throw new ArgumentNullException(nameof(Retrieval))).Validate(d, ItemIds.Length);
    }

    void ValidateSide()
    {
        if (SideMean is null && SideScale is null) return;
        if (SideMean is null || SideScale is null || SideMean.Length == 0 || SideMean.Length != SideScale.Length)
            throw new ArgumentException($"SideMean and SideScale must both be null or hold the same number (at least 1) of values; they hold {SideMean?.Length} and {SideScale?.Length}.", nameof(SideMean));
        Finite(SideMean, nameof(SideMean));
        for (int j = 0; j < SideScale.Length; j++)
            if (!(SideScale[j] > 0) || !float.IsFinite(SideScale[j])) throw new ArgumentException($"SideScale[{j}] is {SideScale[j]}: scales must be positive and finite.", nameof(SideScale));
    }

    static void Rows(float[] a, int d, string name)
    {
        if (a.Length == 0 || a.Length % d != 0) throw new ArgumentException($"{name} holds {a.Length} values: not a whole number of {d}-wide rows.", name);
        Finite(a, name);
    }

    /// <summary>Throws unless <paramref name="a"/> holds exactly <paramref name="n"/> finite values.</summary>
    internal static void Exact(float[] a, int n, string name)
    {
        if (a.Length != n) throw new ArgumentException($"{name} holds {a.Length} values; expected {n}.", name);
        Finite(a, name);
    }

    static void Finite(float[] a, string name)
    {
        for (int i = 0; i < a.Length; i++)
            if (!float.IsFinite(a[i])) throw new ArgumentException($"{name}[{i}] is {a[i]}: weights must be finite.", name);
    }
}

/// <summary>A dense layer <c>y = W x + b</c> with W row-major [outputs, inputs].</summary>
/// <param name="Weight">Weights, [outputs, inputs].</param>
/// <param name="Bias">Bias, [outputs].</param>
public sealed record DenseLayer(float[] Weight, float[] Bias)
{
    /// <summary>Output size.</summary>
    public int Outputs => Bias.Length;
    /// <summary>Input size.</summary>
    public int Inputs => Bias.Length == 0 ? 0 : Weight.Length / Bias.Length;
}
