using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet;

/// <summary>
/// A column annotation holding an in-process object of type <typeparamref name="T"/> for later estimators of the same
/// pipeline (ML.NET copies annotations along with the column through later transforms). Never saved: saved models
/// carry what they need in their ONNX graphs.
/// </summary>
static class InProcessAnnotation<T> where T : class
{
    /// <summary>The value annotated on <paramref name="column"/> under <paramref name="kind"/>, or null.</summary>
    public static T? Find(DataViewSchema.Column column, string kind)
    {
        var annotation = column.Annotations.Schema.GetColumnOrNull(kind);
        if (annotation is not { Type: ObjectType }) return null;
        T? value = null;
        column.Annotations.GetValue(kind, ref value);
        return value;
    }

    /// <summary>Annotations holding <paramref name="value"/> under <paramref name="kind"/>.</summary>
    public static DataViewSchema.Annotations Create(string kind, T value)
    {
        var b = new DataViewSchema.Annotations.Builder();
        b.Add(kind, ObjectType.Instance, (ref T value1) => value1 = value);
        return b.ToAnnotations();
    }

    sealed class ObjectType : StructuredDataViewType
    {
        public static readonly ObjectType Instance = new();
        ObjectType() : base(typeof(T)) { }
        public override bool Equals(DataViewType? other) => other is ObjectType;
        public override int GetHashCode() => typeof(ObjectType).GetHashCode();
        public override string ToString() => typeof(T).Name;
    }
}
