using Microsoft.ML;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.PsuScoring;

/// <summary>
/// Carries the trained PSU (<see cref="PsuScoringModel"/>) to later estimators in the same pipeline: the PSU's fast
/// path annotates its interest column with it, which is how <c>PqAttention</c> finds the network it quantizes.
/// </summary>
internal static class PsuModelAnnotation
{
    /// <summary>The annotation kind.</summary>
    public const string Kind = "SeminarPsuModel";

    /// <summary>The PSU annotated on <paramref name="column"/>, or null.</summary>
    public static PsuScoringModel? Find(DataViewSchema.Column column) => InProcessAnnotation<PsuScoringModel>.Find(column, Kind);

    internal static DataViewSchema.Annotations Create(PsuScoringModel model) => InProcessAnnotation<PsuScoringModel>.Create(Kind, model);
}
