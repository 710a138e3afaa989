namespace Seminar.MLNet.Evaluation.Metrics;

/// <summary>Group AUC and how many groups it was computed over.</summary>
/// <param name="Gauc">Per-group AUC weighted by each group's sample count, or <see cref="double.NaN"/> if no group has both classes.</param>
/// <param name="GroupsUsed">Groups with both classes, which make up <paramref name="Gauc"/>.</param>
/// <param name="GroupsSkipped">Groups with only one class, left out.</param>
public sealed record GaucResult(double Gauc, int GroupsUsed, int GroupsSkipped);
