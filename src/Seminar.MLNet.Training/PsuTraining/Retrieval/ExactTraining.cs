using Seminar.MLNet.Retrieval.Strategies;

namespace Seminar.MLNet.Training.PsuTraining.Retrieval;

/// <summary>SEMINAR's exact GSU: every visible position is a candidate of the network's own per-head top-K; nothing to train or export.</summary>
sealed class ExactTraining : RetrievalTraining
{
    public ExactTraining() => RegisterComponents();

    public override PsuRetrieval Export() => ExactRetrieval.Instance;
}
