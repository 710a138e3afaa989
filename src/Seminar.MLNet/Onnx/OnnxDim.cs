namespace Seminar.MLNet.Onnx;

/// <summary>
/// One dimension of a graph input or output shape: either a fixed size or a symbolic name
/// (e.g. <c>"batch"</c>, <c>"L"</c>) that ONNX Runtime binds at run time.
/// Converts implicitly from <see cref="long"/>/<see cref="int"/> (fixed) and <see cref="string"/> (symbolic).
/// </summary>
internal readonly record struct OnnxDim
{
    private OnnxDim(long? size, string? symbol)
    {
        Size = size;
        Symbol = symbol;
    }

    /// <summary>The fixed size, or <see langword="null"/> for a symbolic dimension.</summary>
    public long? Size { get; }

    /// <summary>The symbolic name, or <see langword="null"/> for a fixed dimension.</summary>
    public string? Symbol { get; }

    /// <summary>True when the dimension has a fixed size.</summary>
    public bool IsFixed => Size.HasValue;

    /// <summary>A fixed-size dimension.</summary>
    /// <param name="size">The size; must be non-negative.</param>
    /// <returns>The dimension.</returns>
    public static OnnxDim Fixed(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        return new OnnxDim(size, null);
    }

    /// <summary>A symbolic dimension bound at run time.</summary>
    /// <param name="symbol">The symbol, e.g. <c>"L"</c>; must be non-empty.</param>
    /// <returns>The dimension.</returns>
    public static OnnxDim Symbolic(string symbol)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(symbol);
        return new OnnxDim(null, symbol);
    }

    /// <summary>Converts a size to a fixed dimension.</summary>
    /// <param name="size">The size.</param>
    public static implicit operator OnnxDim(long size) => Fixed(size);

    /// <summary>Converts a size to a fixed dimension.</summary>
    /// <param name="size">The size.</param>
    public static implicit operator OnnxDim(int size) => Fixed(size);

    /// <summary>Converts a name to a symbolic dimension.</summary>
    /// <param name="symbol">The symbol.</param>
    public static implicit operator OnnxDim(string symbol) => Symbolic(symbol);

    /// <inheritdoc />
    public override string ToString() => Symbol ?? Size?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?";
}
