using Seminar.MLNet.Onnx;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Retrieval.Strategies;

/// <summary>
/// SEMINAR's exact GSU: per head, the top-K behaviours by the attention score itself, then softmax over them. This is also TWIN
/// (the same score for search and for the exact stage). The product's only strategy; the others are the evaluation's predecessors.
/// </summary>
internal sealed class ExactRetrieval : PsuRetrieval
{
    ExactRetrieval() { }

    /// <summary>The one instance: the exact GSU has no parameters.</summary>
    public static ExactRetrieval Instance { get; } = new();

    /// <inheritdoc/>
    public override string Name => "Exact";

    /// <inheritdoc/>
    public override RetrievalStep CreateStep(PsuScoringModel model) => Step.Instance;

    /// <inheritdoc/>
    public override string EmitAttention(StrategyGraph g)
    {
        var (offsets, count) = g.Padding();
        return g.PerHead(offsets, count);
    }

    sealed class Step : RetrievalStep
    {
        public static Step Instance { get; } = new();

        public override bool Attend(PsuRowScorer scorer, ReadOnlySpan<long> items, ReadOnlySpan<long> tokens, int targetItem, ReadOnlySpan<float> target) =>
            scorer.AttendExact(items, tokens);
    }
}
