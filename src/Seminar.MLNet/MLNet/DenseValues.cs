using Microsoft.ML.Data;

namespace Seminar.MLNet;

/// <summary>A vector column's values as a dense span: ML.NET may hand over sparse vectors, which the scorers cannot index.</summary>
static class DenseValues
{
    /// <summary>The values of <paramref name="values"/>, densified into <paramref name="dense"/> (reused) when they are sparse.</summary>
    public static ReadOnlySpan<T> Of<T>(ref VBuffer<T> values, ref VBuffer<T> dense)
    {
        if (values.IsDense) return values.GetValues();
        values.CopyToDense(ref dense);
        return dense.GetValues();
    }
}
