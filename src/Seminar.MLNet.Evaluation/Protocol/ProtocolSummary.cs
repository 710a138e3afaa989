using Seminar.MLNet.Evaluation.Metrics;
using Seminar.MLNet.Evaluation.Reporting;

namespace Seminar.MLNet.Evaluation.Protocol;

/// <summary>Fills the report's <c>protocol</c> section from a split.</summary>
public static class ProtocolSummary
{
    /// <summary>Describes how <paramref name="split"/> was made under <paramref name="options"/> and what the ranking metrics skip.</summary>
    public static ProtocolReport Describe(SampleSplit split, EvaluationOptions options)
    {
        var coverage = RankingMetrics.Coverage(split.Test.Labels(), split.Test.RankGroups());
        bool sampled = split.TrainNegativesSampled || split.TestNegativesSampled;
        return new ProtocolReport
        {
            Clock = split.Train.Log.Clock,
            NegativeSampling = sampled ? options.NegativeSampling.ToString().ToLowerInvariant() : "none",
            DroppedEventsTrain = split.DroppedEventsTrain,
            DroppedEventsTest = split.DroppedEventsTest,
            PositivesTargetInHistory = new SplitShares { Train = TargetInHistoryShare(split.Train, true), Test = TargetInHistoryShare(split.Test, true) },
            NegativesTargetInHistory = new SplitShares { Train = TargetInHistoryShare(split.Train, false), Test = TargetInHistoryShare(split.Test, false) },
            ValidationSamples = Enumerable.Range(0, split.Train.Count).Count(split.Train.IsValidation),
            RankingGroup = split.Test.GroupKind.ToString().ToLowerInvariant(),
            RankingGroups = coverage.Groups,
            SkippedGroups = coverage.GroupsSkipped,
            SkippedPositives = coverage.PositivesSkipped,
            NegativesNotFound = split.NegativesNotFound,
        };
    }

    /// <summary>
    /// Share of the samples labelled <paramref name="label"/> whose target is among the user's earlier positives (lifelong,
    /// as the <see cref="BaselineFeatures.TargetInHistory"/> count); NaN when there are none. If this differs much between
    /// positives and negatives, "target in history" alone predicts the label.
    /// </summary>
    public static double TargetInHistoryShare(SampleSet samples, bool label)
    {
        int feature = Array.IndexOf(BaselineFeatures.Names, BaselineFeatures.TargetInHistory);
        int n = 0, inHistory = 0;
        for (int s = 0; s < samples.Count; s++)
        {
            if (samples.Label(s) != label) continue;
            n++;
            if (samples.Feature(s, feature) > 0) inHistory++;
        }
        return n == 0 ? double.NaN : (double)inHistory / n;
    }
}
