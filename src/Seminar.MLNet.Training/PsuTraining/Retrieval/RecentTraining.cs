using Seminar.MLNet.Retrieval.Strategies;
using static TorchSharp.torch;

namespace Seminar.MLNet.Training.PsuTraining.Retrieval;

/// <summary>DIN: of the visible positions, the last N (those with at most N visible positions at or after them).</summary>
sealed class RecentTraining : RetrievalTraining
{
    readonly RecentRetrieval _strategy;

    public RecentTraining(RecentRetrieval strategy)
    {
        _strategy = strategy;
        RegisterComponents();
    }

    protected override Tensor Visible(PsuNetwork network, Tensor targets, Tensor history, Tensor visible, Tensor? targetItems, Tensor? historyItems) =>
        visible.logical_and(visible.flip(-1).cumsum(-1).flip(-1).le(_strategy.Window));

    public override PsuRetrieval Export() => _strategy;
}
