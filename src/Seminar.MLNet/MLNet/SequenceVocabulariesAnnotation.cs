using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.MLNet;

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
    public static SequenceVocabularies? Find(DataViewSchema.Column column)
    {
        var annotation = column.Annotations.Schema.GetColumnOrNull(Kind);
        if (annotation is not { Type: VocabulariesType }) return null;
        SequenceVocabularies? value = null;
        column.Annotations.GetValue(Kind, ref value);
        return value;
    }

    internal static DataViewSchema.Annotations Create(SequenceVocabularies vocabularies)
    {
        var b = new DataViewSchema.Annotations.Builder();
        b.Add(Kind, VocabulariesType.Instance, (ref SequenceVocabularies value) => value = vocabularies);
        return b.ToAnnotations();
    }

    /// <summary>The annotation's type: an in-process object, never saved (the saved model carries the vocabularies in its ONNX graph).</summary>
    sealed class VocabulariesType : StructuredDataViewType
    {
        public static readonly VocabulariesType Instance = new();
        VocabulariesType() : base(typeof(SequenceVocabularies)) { }
        public override bool Equals(DataViewType? other) => other is VocabulariesType;
        public override int GetHashCode() => typeof(VocabulariesType).GetHashCode();
        public override string ToString() => nameof(SequenceVocabularies);
    }
}
