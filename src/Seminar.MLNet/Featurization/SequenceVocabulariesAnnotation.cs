using Microsoft.ML;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet;

/// <summary>
/// Carries the fitted <see cref="SequenceVocabularies"/> to later estimators in the same pipeline: the
/// featurizer's fast path annotates its history items column with them, and ML.NET copies annotations
/// along with the column through later transforms. Estimators inside an <c>EstimatorChain</c> only see
/// the data, so this is how the PSU finds the item, token and attribute tables it embeds.
/// </summary>
public static class SequenceVocabulariesAnnotation
{
    /// <summary>The annotation kind.</summary>
    public const string Kind = "SeminarSequenceVocabularies";

    /// <summary>The vocabularies annotated on <paramref name="column"/>, or null.</summary>
    public static SequenceVocabularies? Find(DataViewSchema.Column column) => InProcessAnnotation<SequenceVocabularies>.Find(column, Kind);

    internal static DataViewSchema.Annotations Create(SequenceVocabularies vocabularies) => InProcessAnnotation<SequenceVocabularies>.Create(Kind, vocabularies);
}
