using System.Numerics.Tensors;

namespace Seminar.MLNet.PsuScoring;

/// <summary>Row-major matrix kernels over <see cref="TensorPrimitives"/> (no allocation).</summary>
static class DenseMath
{
    /// <summary><c>y = W x</c> for W row-major <c>[y.Length, x.Length]</c>.</summary>
    public static void MatVec(ReadOnlySpan<float> w, ReadOnlySpan<float> x, Span<float> y)
    {
        int n = x.Length;
        for (int r = 0; r < y.Length; r++) y[r] = TensorPrimitives.Dot(w.Slice(r * n, n), x);
    }

    /// <summary><c>y = W x + b</c>, optionally followed by ReLU.</summary>
    public static void Dense(DenseLayer layer, ReadOnlySpan<float> x, Span<float> y, bool relu)
    {
        MatVec(layer.Weight, x, y);
        TensorPrimitives.Add(y, layer.Bias, y);
        if (relu) TensorPrimitives.Max(y, 0f, y);
    }

    /// <summary>The transpose of a row-major <c>[rows, cols]</c> matrix.</summary>
    public static float[] Transpose(ReadOnlySpan<float> m, int rows, int cols)
    {
        var t = new float[m.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
        return t;
    }
}
