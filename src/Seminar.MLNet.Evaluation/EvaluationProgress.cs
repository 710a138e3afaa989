namespace Seminar.MLNet.Evaluation;

/// <summary>Progress of a long evaluation step.</summary>
/// <param name="Stage">What is running, e.g. "reading events" or "fitting fasttree_baseline".</param>
/// <param name="Fraction">Done fraction of the stage, 0..1; NaN when the stage cannot tell.</param>
public readonly record struct EvaluationProgress(string Stage, double Fraction);
