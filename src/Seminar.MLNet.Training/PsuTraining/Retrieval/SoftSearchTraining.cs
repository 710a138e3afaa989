using Seminar.MLNet.Retrieval.Strategies;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seminar.MLNet.Training.PsuTraining.Retrieval;

/// <summary>
/// SIM soft search: retrieval item embeddings choose the visible top-K (no gradient through the hard choice), and the auxiliary
/// retrieval loss, a linear layer over the soft-attended retrieval embeddings, is what trains them.
/// </summary>
sealed class SoftSearchTraining : RetrievalTraining
{
    readonly SoftSearchRetrieval _strategy;
    readonly Embedding retrievalItems;
    readonly Linear retrievalAux;

    public SoftSearchTraining(SoftSearchRetrieval strategy, long items, int dimension)
    {
        _strategy = strategy;
        retrievalItems = nn.Embedding(items, dimension);
        using (no_grad()) retrievalItems.weight!.normal_(0, 1 / Math.Sqrt(dimension));
        retrievalAux = nn.Linear(3 * dimension, 1);
        RegisterComponents();
    }

    /// <summary>The visible top-K by retrieval-embedding inner product, equal scores to the earlier position.</summary>
    protected override Tensor Visible(PsuNetwork network, Tensor targets, Tensor history, Tensor visible, Tensor? targetItems, Tensor? historyItems)
    {
        using var _ = no_grad();
        var t = targetItems ?? throw new ArgumentNullException(nameof(targetItems), "SoftSearch retrieves by item.");
        var h = historyItems ?? throw new ArgumentNullException(nameof(historyItems), "SoftSearch retrieves by item.");
        var scores = retrievalItems.forward(t).bmm(retrievalItems.forward(h).transpose(1, 2));
        return KeepBestEarliest(scores, visible, network.TopK);
    }

    public override float AuxWeight => _strategy.AuxWeight;

    /// <summary><c>u = Σ_l softmax_l(r_t · r_l) r_l</c> over the visible behaviours (0 when none), then a linear layer on <c>[u; r_t; u ⊙ r_t]</c>.</summary>
    public override Tensor? AuxLogit(Tensor targetItems, Tensor historyItems, Tensor visible)
    {
        var rt = retrievalItems.forward(targetItems);                                          // [B, T', D]
        var rh = retrievalItems.forward(historyItems);                                         // [B, L, D]
        var alpha = nn.functional.softmax(rt.bmm(rh.transpose(1, 2)).masked_fill(visible.logical_not(), PsuNetwork.Masked), -1);
        var u = where(visible.any(2, keepdim: true), alpha.bmm(rh), zeros_like(rt));
        return retrievalAux.forward(cat(new[] { u, rt, u * rt }, -1)).squeeze(-1);
    }

    public override PsuRetrieval Export() => _strategy.Trained(PsuWeightsExport.Values(retrievalItems.weight!));
}
