using Seminar.MLNet.Featurization;
using Seminar.MLNet.Retrieval.Strategies;
using Seminar.MLNet.Training.PsuTraining.Retrieval;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seminar.MLNet.Training.PsuTraining;

/// <summary>
/// The PSU as a TorchSharp module, computing exactly what <see cref="PsuWeights"/> specifies.
/// Every parameter is a registered field, so it trains, is listed by <c>parameters()</c> and round-trips
/// through <c>state_dict</c>. Targets come in groups (<c>[B, T', …]</c>) so pretraining scores many cut
/// points and negatives per sequence against one embedded history. The search stage is the strategy's
/// <see cref="RetrievalTraining"/> (SEMINAR's exact GSU or a predecessor's); everything after it is shared.
/// </summary>
sealed class PsuNetwork : nn.Module
{
    // Masked scores: far below any real score, yet finite so a softmax over only masked entries cannot give NaN.
    internal const float Masked = -1e9f;

    readonly Embedding itemIds;
    readonly Embedding tokens;
    readonly Embedding attributes;
    readonly ModuleList<Linear> projections;
    readonly Parameter gateLogits;
    readonly Parameter modalityTransforms;
    readonly Parameter queryWeightLogit;
    readonly Parameter attentionQuery;
    readonly Parameter attentionKey;
    readonly Parameter attentionValue;
    readonly Linear attentionOutput;
    readonly Parameter emptyInterest;
    readonly ModuleList<Linear> head;
    readonly Dropout headDropout;
    // The search stage's own layers (SIM's retrieval embeddings, the hashing strategies' fixed rotation): none for the exact GSU.
    readonly RetrievalTraining retrieval;

    readonly ItemContentTensors _content;
    bool _fineTuning;

    /// <param name="vocabularies">The featurizer's vocabularies.</param>
    /// <param name="content">Item content tensors.</param>
    /// <param name="dimension">D.</param>
    /// <param name="heads">H.</param>
    /// <param name="topK">K.</param>
    /// <param name="headLayers">Hidden layer sizes of the head.</param>
    /// <param name="retrieval">The search stage as configured (exact when null).</param>
    /// <param name="retrievalSeed">Seed of the hashing strategies' fixed rotations.</param>
    /// <param name="sideScaling">Mean and scale of the side features the head reads (their count is S); null = none.</param>
    /// <param name="headDropout">Dropout between the head's hidden layers while fine-tuning.</param>
    public PsuNetwork(SequenceVocabularies vocabularies, ItemContentTensors content, int dimension, int heads, int topK, int[] headLayers,
        PsuRetrieval? retrieval = null, int retrievalSeed = 0, (float[] Mean, float[] Scale)? sideScaling = null, double headDropout = 0) : base("psu")
    {
        SideScaling = sideScaling;
        Dimension = dimension;
        Heads = heads;
        TopK = topK;
        _content = content;
        long d = dimension;
        double std = 1 / Math.Sqrt(d);
        itemIds = nn.Embedding(vocabularies.Items.Size, d);
        tokens = nn.Embedding(vocabularies.Tokens.Size, d);
        attributes = nn.Embedding(vocabularies.Attributes.Size, d);
        projections = nn.ModuleList(vocabularies.Content.Modalities.Select(m => nn.Linear(m.Dimension, d)).ToArray());
        int modalities = 3 + vocabularies.Content.Modalities.Count;
        gateLogits = nn.Parameter(zeros(modalities));
        modalityTransforms = nn.Parameter(eye(d).unsqueeze(0).repeat(modalities + 1, 1, 1), requires_grad: false);
        queryWeightLogit = nn.Parameter(zeros(1));
        // Near-identity attention: at the start the GSU ranks behaviours by similarity to the target, a useful prior.
        attentionQuery = nn.Parameter(eye(d).unsqueeze(0).repeat(heads, 1, 1) + randn(heads, d, d).mul(0.1 * std));
        attentionKey = nn.Parameter(eye(d).unsqueeze(0).repeat(heads, 1, 1) + randn(heads, d, d).mul(0.1 * std));
        attentionValue = nn.Parameter(randn(heads, d, d).mul(std));
        attentionOutput = nn.Linear(heads * d, d);
        emptyInterest = nn.Parameter(zeros(d));
        var sizes = new[] { 3 * dimension + SideFeatures }.Concat(headLayers).Append(1).ToArray();
        head = nn.ModuleList(Enumerable.Range(0, sizes.Length - 1).Select(i => nn.Linear(sizes[i], sizes[i + 1])).ToArray());
        this.headDropout = nn.Dropout(headDropout);
        using (no_grad())
        {
            foreach (var e in new[] { itemIds, tokens, attributes }) e.weight!.normal_(0, std);
            ZeroSideColumns();
        }
        // Last, so a predecessor's own layers draw from libtorch's generator after the shared ones: those start the same under every strategy.
        this.retrieval = RetrievalTraining.For(retrieval ?? ExactRetrieval.Instance, vocabularies.Items.Size, dimension, retrievalSeed);
        RegisterComponents();
    }

    /// <summary>The search stage's training side.</summary>
    public RetrievalTraining RetrievalStage => retrieval;
    public int Dimension { get; }
    public int Heads { get; }
    public int TopK { get; }
    public int ItemModalities => 3 + projections.Count;
    /// <summary>Mean and scale of the side features the head reads; null without.</summary>
    public (float[] Mean, float[] Scale)? SideScaling { get; }
    /// <summary>Side features the head reads after <c>[o; t; o ⊙ t]</c> (S).</summary>
    public int SideFeatures => SideScaling?.Mean.Length ?? 0;

    // Pretraining feeds the head zeros for the side features (its targets are history items, which have no row), so
    // weights starting at zero get no gradient there and stay zero: the pretrained network ignores side features
    // exactly, and fine-tuning trains those columns from zero.
    void ZeroSideColumns()
    {
        if (SideFeatures > 0) head[0].weight!.narrow(1, 3 * Dimension, SideFeatures).zero_();
    }

    /// <summary>Parameters besides the modality-aware projections (trained in both stages).</summary>
    public IEnumerable<Parameter> PretrainedParameters() => parameters().Where(p => !ReferenceEquals(p, modalityTransforms));

    /// <summary>
    /// Fine-tuning begins: the modality-aware projections G (frozen at identity while pretraining) train, and the head's
    /// dropout applies in training mode (pretraining runs without it).
    /// </summary>
    public void UnfreezeModalityTransforms()
    {
        modalityTransforms.requires_grad = true;
        _fineTuning = true;
    }

    /// <summary>Re-initialises the attention and the head (fine-tuning without restoring them).</summary>
    public void ResetAttentionAndHead()
    {
        double std = 1 / Math.Sqrt(Dimension);
        using var _ = no_grad();
        attentionQuery.copy_(eye(Dimension).unsqueeze(0).repeat(Heads, 1, 1) + randn(Heads, Dimension, Dimension).mul(0.1 * std));
        attentionKey.copy_(eye(Dimension).unsqueeze(0).repeat(Heads, 1, 1) + randn(Heads, Dimension, Dimension).mul(0.1 * std));
        attentionValue.copy_(randn(Heads, Dimension, Dimension).mul(std));
        ResetLinear(attentionOutput);
        emptyInterest.zero_();
        foreach (var layer in head) ResetLinear(layer);
        ZeroSideColumns();
    }

    // torch.nn.Linear's own initialisation: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
    static void ResetLinear(Linear layer)
    {
        double bound = 1 / Math.Sqrt(layer.weight!.shape[1]);
        layer.weight.uniform_(-bound, bound);
        layer.bias!.uniform_(-bound, bound);
    }

    /// <summary>Raw modality embeddings <c>[N, M, D]</c> (before G) and presence <c>[N, M]</c> of items <c>[N]</c>.</summary>
    public (Tensor Raw, Tensor Present) RawModalities(Tensor items)
    {
        var raw = new List<Tensor> { itemIds.forward(items) };
        var present = new List<Tensor> { items.ge(1) };
        foreach (var (table, embedding) in new[] { (_content.TitleTokens, tokens), (_content.Attributes, attributes) })
        {
            var (mean, any) = MeanOfNonZero(embedding, table.index_select(0, items));
            raw.Add(mean);
            present.Add(any);
        }
        for (int m = 0; m < projections.Count; m++)
        {
            raw.Add(projections[m].forward(_content.Vectors[m].index_select(0, items)));
            present.Add(_content.HasVector[m].index_select(0, items));
        }
        return (stack(raw, 1), stack(present, 1));
    }

    /// <summary>Fused item embeddings <c>[N, D]</c>: gated sum of the present modalities after G.</summary>
    public Tensor FuseItem(Tensor raw, Tensor present)
    {
        int m = ItemModalities;
        var projected = einsum("moi,nmi->nmo", modalityTransforms.narrow(0, 0, m), raw);
        var logits = gateLogits.unsqueeze(0).expand(present.shape[0], m).masked_fill(present.logical_not(), Masked);
        // Rows with no modality (padding) would get a uniform gate over absent ones; the presence product zeroes them.
        var gates = nn.functional.softmax(logits, 1) * present.to_type(ScalarType.Float32);
        return (gates.unsqueeze(2) * projected).sum(1);
    }

    /// <summary>Fused item embeddings of items of any shape: <c>[..., D]</c>.</summary>
    public Tensor Items(Tensor items)
    {
        var flat = items.reshape(-1);
        var (unique, inverse, _) = flat.unique(sorted: false, return_inverse: true);
        var (raw, present) = RawModalities(unique);
        var fused = FuseItem(raw, present).index_select(0, inverse!);
        return fused.reshape(items.shape.Append(Dimension).ToArray());
    }

    /// <summary>Query embeddings (after G_q) <c>[N, D]</c> and non-emptiness <c>[N]</c> of token rows <c>[N, T]</c>.</summary>
    public (Tensor Embedding, Tensor NonEmpty) Queries(Tensor tokenRows)
    {
        var (mean, any) = MeanOfNonZero(tokens, tokenRows);
        var g = modalityTransforms[ItemModalities];
        return (mean.matmul(g.t()), any);
    }

    /// <summary>Pair embeddings <c>[..., D]</c> of items <c>[...]</c> with query tokens <c>[..., T]</c>.</summary>
    public Tensor Pairs(Tensor items, Tensor queryTokens)
    {
        var shape = items.shape;
        var flatTokens = queryTokens.reshape(-1, queryTokens.shape[^1]);
        var item = Items(items).reshape(-1, Dimension);
        var nonEmpty = flatTokens.ne(0).any(1);
        // Most behaviours are browsing: embed only the rows that have a query.
        var rows = nonEmpty.nonzero().squeeze(1);
        var query = zeros_like(item);
        if (rows.shape[0] > 0)
        {
            var (embedded, _) = Queries(flatTokens.index_select(0, rows));
            query = query.index_copy(0, rows, embedded);
        }
        var a = sigmoid(queryWeightLogit);
        var fused = where(nonEmpty.unsqueeze(1), a * query + (1 - a) * item, item);
        return fused.reshape(shape.Append(Dimension).ToArray());
    }

    /// <summary>
    /// Search + ESU: interests <c>[B, T', D]</c> of targets <c>[B, T', D]</c> over histories <c>[B, L, D]</c>, each target
    /// seeing the positions where <paramref name="visible"/> <c>[B, T', L]</c> is true. A target that sees none gets the empty-history interest.
    /// The strategy's search narrows what each target sees before the exact GSU and ESU, or replaces both (SDIM); SIM reads the target
    /// items <c>[B, T']</c> and history items <c>[B, L]</c>.
    /// </summary>
    public Tensor Attend(Tensor targets, Tensor history, Tensor visible, Tensor? targetItems = null, Tensor? historyItems = null) =>
        retrieval.Attend(this, targets, history, visible, targetItems, historyItems);

    /// <summary>SEMINAR's GSU (per-head top-K by the attention score) and the ESU over the visible positions.</summary>
    internal Tensor AttendExact(Tensor targets, Tensor history, Tensor visible)
    {
        long b = targets.shape[0], tp = targets.shape[1], l = history.shape[1], d = Dimension, h = Heads;
        // Fold W_K into the query side: r = <W_K^T W_Q t, x> / sqrt(D), so no key is projected per behaviour.
        var queried = einsum("hoi,bti->btho", attentionQuery, targets);
        var folded = einsum("hoi,btho->bthi", attentionKey, queried).mul(1 / Math.Sqrt(d));
        var scores = folded.reshape(b, tp * h, d).bmm(history.transpose(1, 2)).view(b, tp, h, l)
            .masked_fill(visible.unsqueeze(2).logical_not(), Masked);
        int k = (int)Math.Min(TopK, l);
        var (top, index) = scores.topk(k, dim: -1);
        var alpha = nn.functional.softmax(top, -1);
        // Spread the kept weights back over all L positions and take one batched product with the history:
        // measured several times faster, forward and backward, than gathering the K behaviours per head and target.
        var spread = zeros(b, tp, h, l).scatter(-1, index, alpha);
        var summed = spread.view(b, tp * h, l).bmm(history).view(b, tp, h, d);
        return Readout(einsum("hoi,bthi->btho", attentionValue, summed).reshape(b, tp, h * d), visible);
    }

    /// <summary>W_O over the concatenated heads <c>[B, T', H·D]</c>; the empty-history interest where a target sees nothing.</summary>
    Tensor Readout(Tensor values, Tensor visible)
    {
        long b = values.shape[0], tp = values.shape[1], d = Dimension;
        var interest = attentionOutput.forward(values);
        var empty = visible.any(2, keepdim: true).logical_not();
        return where(empty, emptyInterest.view(1, 1, d).expand(b, tp, d), interest);
    }

    /// <summary>
    /// Given weights <c>[B, T', L]</c> of the behaviours replace the GSU and softmax for every head, then W_V and W_O; the
    /// empty-history interest where <paramref name="attended"/> <c>[B, T', 1]</c> is false.
    /// </summary>
    internal Tensor AttendWeighted(Tensor weights, Tensor history, Tensor attended)
    {
        long b = weights.shape[0], tp = weights.shape[1], d = Dimension, h = Heads;
        var summed = weights.bmm(history);                                                     // [B, T', D]
        var values = einsum("hoi,bti->btho", attentionValue, summed).reshape(b, tp, h * d);
        return Readout(values, attended);
    }

    /// <summary>The strategy's auxiliary retrieval logits <c>[B, T']</c> (SIM's); null for the strategies without one.</summary>
    public Tensor? RetrievalAuxLogit(Tensor targetItems, Tensor historyItems, Tensor visible) => retrieval.AuxLogit(targetItems, historyItems, visible);

    /// <summary>
    /// The head's logits <c>[B, T']</c> from interests and targets <c>[B, T', D]</c> and standardised side features <c>[B, S]</c>
    /// (shared by a row's T' targets; zeros when null, as in pretraining).
    /// </summary>
    public Tensor Head(Tensor interest, Tensor targets, Tensor? side = null)
    {
        var parts = new List<Tensor> { interest, targets, interest * targets };
        if (SideFeatures > 0)
            parts.Add(side is null
                ? zeros(interest.shape[0], interest.shape[1], SideFeatures)
                : side.unsqueeze(1).expand(interest.shape[0], interest.shape[1], SideFeatures));
        var z = cat(parts, -1);
        for (int i = 0; i < head.Count; i++)
        {
            z = head[i].forward(z);
            if (i == head.Count - 1) break;
            z = nn.functional.relu(z);
            if (_fineTuning) z = headDropout.forward(z);
        }
        return z.squeeze(-1);
    }

    /// <summary>Target <c>[B, D]</c>, interest <c>[B, D]</c> and logit <c>[B]</c> of each row's own target over its whole (training-window) history.</summary>
    public (Tensor Target, Tensor Interest, Tensor Logit) Score(PsuBatch batch)
    {
        var history = Pairs(batch.Items, batch.QueryTokens);
        var target = Pairs(batch.Targets.unsqueeze(1), batch.TargetQueries.unsqueeze(1));
        var interest = Attend(target, history, batch.Visible(), batch.Targets.unsqueeze(1), batch.Items);
        var logit = Head(interest, target, batch.Side);
        return (target.squeeze(1), interest.squeeze(1), logit.squeeze(1));
    }

    static (Tensor Mean, Tensor Any) MeanOfNonZero(Embedding embedding, Tensor indices)
    {
        var mask = indices.ne(0);
        var count = mask.sum(1, type: ScalarType.Float32);
        var sum = (embedding.forward(indices) * mask.unsqueeze(2).to_type(ScalarType.Float32)).sum(1);
        return (sum / count.clamp_min(1).unsqueeze(1), count.gt(0));
    }

    /// <summary>SIM's auxiliary retrieval logit <c>[B]</c> of each row's own target (null for the strategies without one).</summary>
    public Tensor? RetrievalAuxLogit(PsuBatch batch) =>
        RetrievalAuxLogit(batch.Targets.unsqueeze(1), batch.Items, batch.Visible())?.squeeze(1);

    /// <summary>Named views of every parameter, for copying out (<see cref="PsuWeightsExport"/>).</summary>
    internal (Embedding ItemIds, Embedding Tokens, Embedding Attributes, IReadOnlyList<Linear> Projections, Parameter GateLogits,
        Parameter ModalityTransforms, Parameter QueryWeightLogit, Parameter AttentionQuery, Parameter AttentionKey, Parameter AttentionValue,
        Linear AttentionOutput, Parameter EmptyInterest, IReadOnlyList<Linear> Head) Layers =>
        (itemIds, tokens, attributes, projections.ToList(), gateLogits, modalityTransforms, queryWeightLogit, attentionQuery, attentionKey,
         attentionValue, attentionOutput, emptyInterest, head.ToList());
}
