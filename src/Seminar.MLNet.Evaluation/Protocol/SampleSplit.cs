namespace Seminar.MLNet.Evaluation.Protocol;

/// <summary>Training and test samples of one global time split.</summary>
/// <param name="Train">Samples at or before <paramref name="SplitTime"/> (and at or after <paramref name="TrainFromTime"/>).</param>
/// <param name="Test">Samples after <paramref name="SplitTime"/>.</param>
/// <param name="SplitTime">The timestamp at the split quantile.</param>
/// <param name="TrainFromTime">The earliest time a training sample may have.</param>
/// <param name="TrainNegativesSampled">True when training negatives were sampled because the training period has no label-0 events.</param>
/// <param name="TestNegativesSampled">True when test negatives were sampled because the test period has no label-0 events.</param>
/// <param name="NegativesNotFound">Sampled negatives that could not be drawn because the user had engaged with nearly every item.</param>
public sealed record SampleSplit(SampleSet Train, SampleSet Test, long SplitTime, long TrainFromTime,
    bool TrainNegativesSampled, bool TestNegativesSampled, int NegativesNotFound);
