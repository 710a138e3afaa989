namespace Seminar.MLNet.Evaluation.Metrics;

/// <summary>How much of a test set the ranking metrics can rank (<see cref="RankingMetrics.Coverage"/>).</summary>
/// <param name="Groups">Ranking groups.</param>
/// <param name="GroupsSkipped">Groups without both classes, which the ranking metrics leave out.</param>
/// <param name="PositivesSkipped">Positives in groups without a negative, which the ranking metrics leave out.</param>
public sealed record RankingCoverage(int Groups, int GroupsSkipped, int PositivesSkipped);
