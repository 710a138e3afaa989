using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Seminar.MLNet.Retrieval;

/// <summary>
/// One vector width of floats for the width-generic kernels: each kernel is written once over
/// <typeparamref name="TSelf"/> and the JIT specialises it per width (<see cref="Lanes512"/>, <see cref="Lanes256"/>,
/// <see cref="Lanes1"/>), so the widths run the same operations in the same order per lane and agree bit for bit.
/// </summary>
/// <remarks>
/// <c>System.Runtime.Intrinsics.ISimdVector</c> would do this job but is not public in net10.0. Masks are floats with
/// every bit set or clear, as the vector comparisons give them.
/// </remarks>
interface IFloatLanes<TSelf> where TSelf : struct, IFloatLanes<TSelf>
{
    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }
    /// <summary>Lane i holds i.</summary>
    static abstract TSelf Indices { get; }
    /// <summary>Every lane <paramref name="value"/>.</summary>
    static abstract TSelf Create(float value);
    /// <summary>The <see cref="Count"/> floats from <c>source[offset]</c>.</summary>
    static abstract TSelf Load(ref float source, nuint offset);
    /// <summary>Writes the lanes to <c>destination[offset]</c> on.</summary>
    void Store(ref float destination, nuint offset);
    static abstract TSelf operator +(TSelf a, TSelf b);
    static abstract TSelf operator -(TSelf a, TSelf b);
    static abstract TSelf operator *(TSelf a, TSelf b);
    /// <summary><c>a · b + addend</c> rounded once.</summary>
    static abstract TSelf FusedMultiplyAdd(TSelf a, TSelf b, TSelf addend);
    /// <summary>The larger lane, always one of the operands (NaN included), as the hardware max gives it.</summary>
    static abstract TSelf MaxNative(TSelf a, TSelf b);
    /// <summary>A mask of the lanes where <c>a &lt; b</c> (false for NaN).</summary>
    static abstract TSelf LessThan(TSelf a, TSelf b);
    /// <summary>Lanes of <paramref name="whenTrue"/> where <paramref name="mask"/> is set, else of <paramref name="whenFalse"/>.</summary>
    static abstract TSelf ConditionalSelect(TSelf mask, TSelf whenTrue, TSelf whenFalse);
    /// <summary>Bit i set where lane i of <c>a ≥ b</c> (false for NaN).</summary>
    static abstract ulong GreaterThanOrEqualBits(TSelf a, TSelf b);
    /// <summary>The sum of the lanes. A reduction across lanes: its order, and so its rounding, differs between widths.</summary>
    static abstract float Sum(TSelf a);
}

/// <summary>512-bit vectors: 16 floats.</summary>
readonly struct Lanes512(Vector512<float> value) : IFloatLanes<Lanes512>
{
    readonly Vector512<float> _v = value;

    public static int Count => Vector512<float>.Count;
    public static Lanes512 Indices => new(Vector512<float>.Indices);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Create(float value) => new(Vector512.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Load(ref float source, nuint offset) => new(Vector512.LoadUnsafe(ref source, offset));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(ref float destination, nuint offset) => _v.StoreUnsafe(ref destination, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator +(Lanes512 a, Lanes512 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator -(Lanes512 a, Lanes512 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator *(Lanes512 a, Lanes512 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 FusedMultiplyAdd(Lanes512 a, Lanes512 b, Lanes512 addend) => new(Vector512.FusedMultiplyAdd(a._v, b._v, addend._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 MaxNative(Lanes512 a, Lanes512 b) => new(Vector512.MaxNative(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 LessThan(Lanes512 a, Lanes512 b) => new(Vector512.LessThan(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 ConditionalSelect(Lanes512 mask, Lanes512 whenTrue, Lanes512 whenFalse) => new(Vector512.ConditionalSelect(mask._v, whenTrue._v, whenFalse._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong GreaterThanOrEqualBits(Lanes512 a, Lanes512 b) => Vector512.GreaterThanOrEqual(a._v, b._v).ExtractMostSignificantBits();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Lanes512 a) => Vector512.Sum(a._v);
}

/// <summary>256-bit vectors: 8 floats.</summary>
readonly struct Lanes256(Vector256<float> value) : IFloatLanes<Lanes256>
{
    readonly Vector256<float> _v = value;

    public static int Count => Vector256<float>.Count;
    public static Lanes256 Indices => new(Vector256<float>.Indices);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Create(float value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Load(ref float source, nuint offset) => new(Vector256.LoadUnsafe(ref source, offset));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(ref float destination, nuint offset) => _v.StoreUnsafe(ref destination, offset);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator +(Lanes256 a, Lanes256 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator -(Lanes256 a, Lanes256 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator *(Lanes256 a, Lanes256 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 FusedMultiplyAdd(Lanes256 a, Lanes256 b, Lanes256 addend) => new(Vector256.FusedMultiplyAdd(a._v, b._v, addend._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 MaxNative(Lanes256 a, Lanes256 b) => new(Vector256.MaxNative(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 LessThan(Lanes256 a, Lanes256 b) => new(Vector256.LessThan(a._v, b._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 ConditionalSelect(Lanes256 mask, Lanes256 whenTrue, Lanes256 whenFalse) => new(Vector256.ConditionalSelect(mask._v, whenTrue._v, whenFalse._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong GreaterThanOrEqualBits(Lanes256 a, Lanes256 b) => Vector256.GreaterThanOrEqual(a._v, b._v).ExtractMostSignificantBits();
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Lanes256 a) => Vector256.Sum(a._v);
}

/// <summary>The scalar fallback: one float per "vector", for machines without 256-bit SIMD.</summary>
readonly struct Lanes1(float value) : IFloatLanes<Lanes1>
{
    static readonly float AllBits = BitConverter.Int32BitsToSingle(-1);
    readonly float _v = value;

    /// <summary>The lane's value.</summary>
    public float Value => _v;

    public static int Count => 1;
    public static Lanes1 Indices => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes1 Create(float value) => new(value);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes1 Load(ref float source, nuint offset) => new(Unsafe.Add(ref source, offset));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(ref float destination, nuint offset) => Unsafe.Add(ref destination, offset) = _v;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes1 operator +(Lanes1 a, Lanes1 b) => new(a._v + b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes1 operator -(Lanes1 a, Lanes1 b) => new(a._v - b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes1 operator *(Lanes1 a, Lanes1 b) => new(a._v * b._v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes1 FusedMultiplyAdd(Lanes1 a, Lanes1 b, Lanes1 addend) => new(MathF.FusedMultiplyAdd(a._v, b._v, addend._v));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes1 MaxNative(Lanes1 a, Lanes1 b) => a._v > b._v ? a : b;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes1 LessThan(Lanes1 a, Lanes1 b) => new(a._v < b._v ? AllBits : 0f);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes1 ConditionalSelect(Lanes1 mask, Lanes1 whenTrue, Lanes1 whenFalse) => BitConverter.SingleToInt32Bits(mask._v) != 0 ? whenTrue : whenFalse;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong GreaterThanOrEqualBits(Lanes1 a, Lanes1 b) => a._v >= b._v ? 1UL : 0UL;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Lanes1 a) => a._v;
}

/// <summary>
/// The running per-lane minimum of a width-generic argmin: lanes are candidates, block after block. It starts at +∞
/// with index 0 and only moves on a strictly smaller value, so earlier blocks win ties and NaN (padding) never wins.
/// </summary>
struct LaneArgMin<TLanes> where TLanes : struct, IFloatLanes<TLanes>
{
    TLanes _best, _bestIndex, _index;

    /// <summary>An empty minimum, before the first block.</summary>
    public static LaneArgMin<TLanes> Start() => new() { _best = TLanes.Create(float.PositiveInfinity), _bestIndex = default, _index = TLanes.Indices };

    /// <summary>Takes the next block of <see cref="IFloatLanes{TSelf}.Count"/> candidates' values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Update(TLanes values)
    {
        var less = TLanes.LessThan(values, _best);
        _best = TLanes.ConditionalSelect(less, values, _best);
        // Indices ride as floats: exact up to 2^24, far beyond any centroid count.
        _bestIndex = TLanes.ConditionalSelect(less, _index, _bestIndex);
        _index += TLanes.Create(TLanes.Count);
    }

    /// <summary>
    /// The winner among the lanes' minima: the smallest value, the lowest index on ties. Each lane already holds the
    /// lowest index among its own ties, so this is the lowest index overall.
    /// </summary>
    public readonly int Result()
    {
        Span<float> values = stackalloc float[TLanes.Count];
        Span<float> indices = stackalloc float[TLanes.Count];
        _best.Store(ref MemoryMarshal.GetReference(values), 0);
        _bestIndex.Store(ref MemoryMarshal.GetReference(indices), 0);
        float best = values[0], bestIndex = indices[0];
        for (int l = 1; l < values.Length; l++)
        {
            if (values[l] < best || (values[l] == best && indices[l] < bestIndex))
            {
                best = values[l];
                bestIndex = indices[l];
            }
        }
        return (int)bestIndex;
    }
}

/// <summary>Picking the width a kernel runs at.</summary>
static class SimdPaths
{
    /// <summary>The widest width this machine accelerates, chosen once.</summary>
    public static readonly SimdPath Widest =
        Vector512.IsHardwareAccelerated ? SimdPath.Vector512 : Vector256.IsHardwareAccelerated ? SimdPath.Vector256 : SimdPath.Scalar;

    /// <summary><paramref name="path"/>, with <see cref="SimdPath.Best"/> replaced by <see cref="Widest"/>.</summary>
    public static SimdPath Resolve(SimdPath path) => path == SimdPath.Best ? Widest : path;
}

/// <summary>Which vector width a kernel runs at; <see cref="Best"/> picks the widest the hardware accelerates.</summary>
/// <remarks>Every path is correct on any machine (vectors the hardware lacks run in software, slowly), so tests pin each one.</remarks>
enum SimdPath
{
    /// <summary>Vector512 if accelerated, else Vector256 if accelerated, else scalar.</summary>
    Best,
    /// <summary>512-bit vectors.</summary>
    Vector512,
    /// <summary>256-bit vectors.</summary>
    Vector256,
    /// <summary>No vectors.</summary>
    Scalar,
}
