using Seminar.MLNet.Retrieval.Strategies;
using static TorchSharp.torch;

namespace Seminar.MLNet.Training.PsuTraining.Retrieval;

/// <summary>ETA: the visible top-K by Hamming distance of SimHash signatures to the target's, equal distances to the earlier position.</summary>
sealed class SimHashTraining(SimHashRetrieval strategy, int dimension, int seed) : HashTraining(strategy, dimension, seed)
{
    protected override Tensor Visible(PsuNetwork network, Tensor targets, Tensor history, Tensor visible, Tensor? targetItems, Tensor? historyItems)
    {
        using var _ = no_grad();
        // With ±1 signs, the dot of two signatures is bits − 2·Hamming: exact in float, larger is nearer.
        var agreement = Signs(targets).bmm(Signs(history).transpose(1, 2));
        return KeepBestEarliest(agreement, visible, network.TopK);
    }

    Tensor Signs(Tensor vectors) => where(Bits(vectors), 1f, -1f);
}
