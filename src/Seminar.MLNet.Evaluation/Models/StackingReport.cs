using Seminar.MLNet.Evaluation.Reporting;

namespace Seminar.MLNet.Evaluation.Models;

/// <summary>A compared model that adds fields of its own to its report entry (e.g. a choice it made on validation).</summary>
public interface IAnnotatesReport
{
    /// <summary>Adds this model's fields from its latest fit to <paramref name="report"/>.</summary>
    void Annotate(ModelReport report);
}

/// <summary>The stacking <c>fasttree_seminar</c> used, and with <see cref="SeminarStacking.Auto"/> what the choice rested on.</summary>
/// <param name="Used">The feature set the fitted trees use (never <see cref="SeminarStacking.Auto"/>).</param>
/// <param name="ValidationAuc">With Auto, the validation AUC of each candidate (report names), else null.</param>
public sealed record StackingOutcome(SeminarStacking Used, IReadOnlyDictionary<string, double>? ValidationAuc)
{
    /// <summary>The report name of a feature set: <c>in_sample_pretrained</c>, <c>cross_fitted</c>.</summary>
    public static string ReportName(SeminarStacking stacking) => stacking switch
    {
        SeminarStacking.InSamplePretrained => "in_sample_pretrained",
        SeminarStacking.CrossFitted => "cross_fitted",
        _ => "auto",
    };
}
