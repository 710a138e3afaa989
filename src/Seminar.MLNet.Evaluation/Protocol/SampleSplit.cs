namespace Seminar.MLNet.Evaluation.Protocol;

/// <summary>Training and test samples of one split.</summary>
/// <param name="Train">Samples at or before <paramref name="SplitTime"/> (and at or after <paramref name="TrainFromTime"/>); with the ordinal clock, each user's earlier events.</param>
/// <param name="Test">Samples after <paramref name="SplitTime"/>; with the ordinal clock, each user's last events.</param>
/// <param name="SplitTime">The timestamp at the split quantile; <see cref="long.MinValue"/> with the ordinal clock (the cut is per user).</param>
/// <param name="TrainFromTime">The earliest time a training sample may have; <see cref="long.MinValue"/> with the ordinal clock.</param>
/// <param name="TrainNegativesSampled">True when training negatives were sampled because the training period has no label-0 events.</param>
/// <param name="TestNegativesSampled">True when test negatives were sampled because the test period has no label-0 events.</param>
/// <param name="NegativesNotFound">Sampled negatives that could not be drawn because the positive's event group held nearly every item.</param>
public sealed record SampleSplit(SampleSet Train, SampleSet Test, long SplitTime, long TrainFromTime,
    bool TrainNegativesSampled, bool TestNegativesSampled, int NegativesNotFound)
{
    /// <summary>Training-period events that are no sample because their user has no earlier positive.</summary>
    public int DroppedEventsTrain { get; init; }

    /// <summary>Test-period events that are no sample because their user has no earlier positive.</summary>
    public int DroppedEventsTest { get; init; }
}
