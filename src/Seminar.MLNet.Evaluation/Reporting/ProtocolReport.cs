using System.Text.Json.Serialization;

namespace Seminar.MLNet.Evaluation.Reporting;

/// <summary>
/// The report's <c>protocol</c> section: how the samples were made and what the metrics left out, so a reader can judge
/// whether a result could come from the protocol rather than the model.
/// </summary>
public sealed class ProtocolReport
{
    /// <summary>What the timestamps mean: <c>time</c> (one global split) or <c>ordinal</c> (each user's last events test).</summary>
    [JsonPropertyName("clock")] public string Clock { get; set; } = "";
    /// <summary>How sampled negatives were drawn: <c>popularity</c> or <c>uniform</c>; <c>none</c> when both periods have real label-0 events.</summary>
    [JsonPropertyName("negative_sampling")] public string NegativeSampling { get; set; } = "";
    /// <summary>Training-period events dropped because their user had no earlier positive.</summary>
    [JsonPropertyName("dropped_events_train")] public int DroppedEventsTrain { get; set; }
    /// <summary>Test-period events dropped because their user had no earlier positive.</summary>
    [JsonPropertyName("dropped_events_test")] public int DroppedEventsTest { get; set; }
    /// <summary>Share of positive samples whose target item is already among the user's earlier positives.</summary>
    [JsonPropertyName("positives_target_in_history")] public SplitShares PositivesTargetInHistory { get; set; } = new();
    /// <summary>Share of negative samples whose target item is already among the user's earlier positives.</summary>
    [JsonPropertyName("negatives_target_in_history")] public SplitShares NegativesTargetInHistory { get; set; } = new();
    /// <summary>Training samples marked <c>IsValidation</c> (the latest share of the training period).</summary>
    [JsonPropertyName("validation_samples")] public int ValidationSamples { get; set; }
    /// <summary>
    /// What a test ranking group is: <c>positive</c> (with its sampled negatives), <c>search</c> (user, time and query) or
    /// <c>user</c> (real labels not shown together, where most positives would have no negative in their search).
    /// </summary>
    [JsonPropertyName("ranking_group")] public string RankingGroup { get; set; } = "";
    /// <summary>Ranking groups of the test set (a positive and its sampled negatives, or one search).</summary>
    [JsonPropertyName("ranking_groups")] public int RankingGroups { get; set; }
    /// <summary>Test ranking groups without both classes, which the ranking metrics leave out.</summary>
    [JsonPropertyName("skipped_groups")] public int SkippedGroups { get; set; }
    /// <summary>Test positives without a negative in their group, which the ranking metrics leave out.</summary>
    [JsonPropertyName("skipped_positives")] public int SkippedPositives { get; set; }
    /// <summary>Sampled negatives that could not be drawn (the positive's event group held nearly every item).</summary>
    [JsonPropertyName("negatives_not_found")] public int NegativesNotFound { get; set; }
}

/// <summary>A share per split; NaN where the split has no sample to take it over.</summary>
public sealed class SplitShares
{
    /// <summary>Share over the training samples.</summary>
    [JsonPropertyName("train")] public double Train { get; set; }
    /// <summary>Share over the test samples.</summary>
    [JsonPropertyName("test")] public double Test { get; set; }
}
