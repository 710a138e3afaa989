using Seminar.MLNet.Retrieval.Strategies;
using TorchSharp;
using static TorchSharp.torch;

namespace Seminar.MLNet.Training.PsuTraining.Retrieval;

/// <summary>
/// The TorchSharp side of a <see cref="PsuRetrieval"/>: what the strategy narrows or replaces in <see cref="PsuNetwork.Attend"/>,
/// the layers it trains (registered as a submodule of the network, so they train, are in <c>state_dict</c> and are restored with the
/// best epoch), its auxiliary loss and its export back to a scoring object with the trained data. The exact GSU has no layers, so its
/// network's parameters are exactly SEMINAR's.
/// </summary>
abstract class RetrievalTraining : nn.Module
{
    protected RetrievalTraining() : base("retrieval") { }

    /// <summary>The training side of <paramref name="retrieval"/>: the one place a scoring strategy finds its TorchSharp companion.</summary>
    /// <param name="retrieval">The strategy as configured (no trained data yet).</param>
    /// <param name="items">Item vocabulary size.</param>
    /// <param name="dimension">D.</param>
    /// <param name="seed">Seed of the hashing strategies' fixed rotations (the training seed).</param>
    public static RetrievalTraining For(PsuRetrieval retrieval, long items, int dimension, int seed) => retrieval switch
    {
        ExactRetrieval => new ExactTraining(),
        RecentRetrieval recent => new RecentTraining(recent),
        SoftSearchRetrieval soft => new SoftSearchTraining(soft, items, dimension),
        SimHashRetrieval simHash => new SimHashTraining(simHash, dimension, seed),
        HashCollisionRetrieval collision => new HashCollisionTraining(collision, dimension, seed),
        _ => throw new NotSupportedException($"The {retrieval.Name} retrieval strategy has no TorchSharp form."),
    };

    /// <summary>
    /// Search + ESU: interests <c>[B, T', D]</c> of targets <c>[B, T', D]</c> over histories <c>[B, L, D]</c>, each target seeing the
    /// positions where <paramref name="visible"/> <c>[B, T', L]</c> is true. By default the strategy narrows what each target sees
    /// (<see cref="Visible"/>) before the network's exact GSU and ESU.
    /// </summary>
    public virtual Tensor Attend(PsuNetwork network, Tensor targets, Tensor history, Tensor visible, Tensor? targetItems, Tensor? historyItems) =>
        network.AttendExact(targets, history, Visible(network, targets, history, visible, targetItems, historyItems));

    /// <summary>The positions the strategy lets each target see, a subset of <paramref name="visible"/>.</summary>
    protected virtual Tensor Visible(PsuNetwork network, Tensor targets, Tensor history, Tensor visible, Tensor? targetItems, Tensor? historyItems) => visible;

    /// <summary>Weight of the strategy's auxiliary loss; 0 = none.</summary>
    public virtual float AuxWeight => 0;

    /// <summary>The auxiliary loss's logits <c>[B, T']</c> of target items <c>[B, T']</c> over history items <c>[B, L]</c>; null without one.</summary>
    public virtual Tensor? AuxLogit(Tensor targetItems, Tensor historyItems, Tensor visible) => null;

    /// <summary>The scoring strategy with its trained data, for <see cref="PsuWeights"/>.</summary>
    public abstract PsuRetrieval Export();

    /// <summary>The visible positions among the top <c>min(K, L)</c> of <paramref name="scores"/> <c>[B, T', L]</c>; a stable sort breaks ties towards the earlier position.</summary>
    protected static Tensor KeepBestEarliest(Tensor scores, Tensor visible, int topK)
    {
        int k = (int)Math.Min(topK, scores.shape[2]);
        var order = scores.masked_fill(visible.logical_not(), PsuNetwork.Masked).sort(-1, descending: true, stable: true).Indices.narrow(-1, 0, k);
        return zeros_like(visible).scatter(-1, order, ones_like(order, dtype: ScalarType.Bool)).logical_and(visible);
    }
}
