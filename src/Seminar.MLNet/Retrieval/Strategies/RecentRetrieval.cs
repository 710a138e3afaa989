using Seminar.MLNet.Onnx;
using DataType = global::Onnx.TensorProto.Types.DataType;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Retrieval.Strategies;

/// <summary>
/// DIN: target attention over only the most recent real (non-padding) behaviours; per head, the top-K of those (all of them
/// when K is at least the window).
/// </summary>
internal sealed class RecentRetrieval : PsuRetrieval
{
    /// <summary>A recent window of <paramref name="recentWindow"/> behaviours.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The window is below 1.</exception>
    public RecentRetrieval(int recentWindow)
    {
        if (recentWindow < 1) throw new ArgumentOutOfRangeException(nameof(recentWindow), recentWindow, "RecentWindow must be at least 1.");
        Window = recentWindow;
    }

    /// <summary>Most recent real behaviours attended to (N).</summary>
    public int Window { get; }

    /// <inheritdoc/>
    public override string Name => "Recent";

    /// <inheritdoc/>
    public override RetrievalStep CreateStep(PsuScoringModel model) => new Step(Window);

    /// <inheritdoc/>
    public override string EmitAttention(StrategyGraph g)
    {
        var b = g.B;
        var real = g.Real();
        // Of the real behaviours, those with at most N real ones at or after them are the last N.
        var atOrAfter = b.AddNode("CumSum", new[] { real, b.Int64Scalar(0, "axis0") }, (string?)null, OnnxOpsets.DefaultDomain, OnnxAttribute.Int("reverse", 1));
        var inWindow = b.Cast(b.Less(atOrAfter, b.Int64Scalar(Window + 1L, "recent_window")), DataType.Int64);
        var (offsets, count) = g.Mask(b.Mul(real, inWindow));
        return g.PerHead(offsets, count);
    }

    sealed class Step(int window) : RetrievalStep
    {
        public override bool Attend(PsuRowScorer scorer, ReadOnlySpan<long> items, ReadOnlySpan<long> tokens, int targetItem, ReadOnlySpan<float> target)
        {
            scorer.CheckItems(items);
            var positions = scorer.Positions;
            int n = RecentWindow.LastReal(items, window, positions);
            return scorer.AttendPerHead(scorer.FuseAt(items, tokens, positions[..n]));
        }
    }
}
