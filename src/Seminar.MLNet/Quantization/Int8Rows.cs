using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// An item table as signed bytes with one scale per dimension, for re-ranking a shortlist on one cache line per item
/// (D = 64) where the float rows take four or five: <c>x[i, j] ≈ scale[j] · q[i, j]</c>, <c>q</c> in [−127, 127].
/// A request vector folds the scales in and is rounded to 16-bit integers once (<see cref="PrepareRequest"/>), so each
/// row's dot is an integer sum (<see cref="Dot"/>): exact, the same on every vector width.
/// </summary>
/// <remarks>
/// Rows start on 64-byte boundaries of a pinned array (a row of D = 64 is one line, never two). The integer dot cannot
/// overflow: the request's integers are capped so that D of them times 127 fits in 32 bits. Immutable after
/// construction; lookups may run concurrently.
/// </remarks>
internal sealed class Int8Rows
{
    const int Line = 64;

    readonly sbyte[] _rows;
    readonly int _offset;
    readonly float[] _scales;

    /// <summary>Quantizes every row of <paramref name="rows"/> (<c>[count, dimension]</c>).</summary>
    /// <exception cref="ArgumentException">The table is not whole rows, or holds a value that is not finite.</exception>
    public Int8Rows(ReadOnlySpan<float> rows, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (rows.Length % dimension != 0)
            throw new ArgumentException($"The table holds {rows.Length} values, not whole rows of {dimension}.", nameof(rows));
        Dimension = dimension;
        Count = rows.Length / dimension;
        Stride = (dimension + Line - 1) / Line * Line;
        _scales = new float[dimension];
        var largest = new float[dimension];
        for (long i = 0; i < Count; i++)
        {
            var row = rows.Slice((int)(i * dimension), dimension);
            for (int j = 0; j < dimension; j++)
            {
                if (!float.IsFinite(row[j])) throw new ArgumentException($"Row {i} holds {row[j].ToString(System.Globalization.CultureInfo.InvariantCulture)} at dimension {j}; values must be finite.", nameof(rows));
                largest[j] = Math.Max(largest[j], Math.Abs(row[j]));
            }
        }
        // A dimension that is zero everywhere keeps scale 1: its bytes are 0 whatever the scale.
        for (int j = 0; j < dimension; j++) _scales[j] = largest[j] > 0 ? largest[j] / 127f : 1f;
        _rows = GC.AllocateArray<sbyte>(checked((int)((long)Count * Stride + Line)), pinned: true);
        _offset = LineOffset(_rows);
        for (long i = 0; i < Count; i++)
        {
            var row = rows.Slice((int)(i * dimension), dimension);
            var q = _rows.AsSpan(_offset + (int)i * Stride, dimension);
            for (int j = 0; j < dimension; j++) q[j] = (sbyte)Math.Clamp(MathF.Round(row[j] / _scales[j]), -127f, 127f);
        }
    }

    // Elements from a pinned array's start to its first 64-byte boundary.
    static unsafe int LineOffset(sbyte[] pinned) => (int)((Line - (nint)Unsafe.AsPointer(ref pinned[0]) % Line) % Line);

    /// <summary>Rows.</summary>
    public int Count { get; }
    /// <summary>Dimension D.</summary>
    public int Dimension { get; }
    /// <summary>Bytes from one row's start to the next: D rounded up to a cache line.</summary>
    public int Stride { get; }
    /// <summary>Each dimension's scale.</summary>
    public ReadOnlySpan<float> Scales => _scales;

    /// <summary>The largest request integer: D of them times 127 stay within a 32-bit sum.</summary>
    public int RequestLimit => (int)Math.Min(short.MaxValue, int.MaxValue / (127L * Dimension));

    /// <summary>Row <paramref name="i"/>'s D bytes (the rest of its stride is zero).</summary>
    public ReadOnlySpan<sbyte> Row(int i) => _rows.AsSpan(_offset + i * Stride, Dimension);

    /// <summary>Row <paramref name="i"/>'s stride, padding included (what <see cref="Dot"/> reads).</summary>
    public ReadOnlySpan<sbyte> PaddedRow(int i) => _rows.AsSpan(_offset + i * Stride, Stride);

    /// <summary>
    /// Rounds <c>u ⊙ scale</c> to integers of at most <see cref="RequestLimit"/> in <paramref name="request"/> (zero
    /// past D), so that <c>u · x_i ≈ factor · Dot(request, row i)</c>; returns the factor (0 for a zero vector).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="u"/> is not D long, <paramref name="request"/> is shorter than <see cref="Stride"/>, or <paramref name="u"/> holds a value that is not finite.</exception>
    public float PrepareRequest(ReadOnlySpan<float> u, Span<short> request)
    {
        int d = Dimension;
        if (u.Length != d) throw new ArgumentException($"The request vector holds {u.Length} values; the rows have D = {d}.", nameof(u));
        if (request.Length < Stride) throw new ArgumentException($"The request buffer holds {request.Length} values; a row's stride is {Stride}.", nameof(request));
        float most = 0;
        for (int j = 0; j < d; j++)
        {
            if (!float.IsFinite(u[j])) throw new ArgumentException($"The request vector holds {u[j].ToString(System.Globalization.CultureInfo.InvariantCulture)} at dimension {j}; values must be finite.", nameof(u));
            most = Math.Max(most, Math.Abs(u[j] * _scales[j]));
        }
        request[..Stride].Clear();
        if (most == 0) return 0;
        int limit = RequestLimit;
        float factor = most / limit;
        for (int j = 0; j < d; j++) request[j] = (short)Math.Clamp(MathF.Round(u[j] * _scales[j] / factor), -limit, limit);
        return factor;
    }

    /// <summary>Prefetches row <paramref name="i"/>'s line(s).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Prefetch(int i)
    {
        ref sbyte first = ref _rows[_offset + i * Stride];
        for (int line = 0; line < Stride; line += Line) CacheLines.Prefetch(ref Unsafe.Add(ref first, line));
    }

    /// <summary>
    /// <c>Σ_j request[j] · row[j]</c> over a padded row (<see cref="PaddedRow"/>) and a request of the same length
    /// (<see cref="PrepareRequest"/>): exact, the same on every path.
    /// </summary>
    /// <param name="request">The request's integers.</param>
    /// <param name="row">A padded row.</param>
    /// <param name="path">The vector width: 512 bits with AVX-512BW, 256 with AVX2 (sign-extend to 16 bits, then
    /// <c>vpmaddwd</c>: two instructions per 32 bytes), else portable vectors; scalar.</param>
    /// <param name="portable">Tests: the portable vectors whatever the hardware offers.</param>
    /// <exception cref="ArgumentException">The lengths differ or are not a multiple of 64.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Dot(ReadOnlySpan<short> request, ReadOnlySpan<sbyte> row, SimdPath path = SimdPath.Best, bool portable = false)
    {
        if (request.Length != row.Length || row.Length % Line != 0)
            throw new ArgumentException($"The request holds {request.Length} values and the row {row.Length}; both must be the same multiple of {Line}.", nameof(row));
        ref short q = ref MemoryMarshal.GetReference(request);
        ref sbyte x = ref MemoryMarshal.GetReference(row);
        var resolved = SimdPaths.Resolve(path);
        if (resolved == SimdPath.Scalar) return DotScalar(ref q, ref x, row.Length);
        if (!portable && resolved == SimdPath.Vector512 && Avx512BW.IsSupported) return Dot512(ref q, ref x, row.Length);
        if (!portable && Avx2.IsSupported) return Dot256(ref q, ref x, row.Length);
        return DotPortable(ref q, ref x, row.Length);
    }

    /// <summary>
    /// <c>dots[i] = factor · Dot(request, row first + i)</c> for <paramref name="dots"/>' length of consecutive rows:
    /// the same values as <see cref="Dot"/> row by row, without its per-call checks (a request's query parts take one
    /// per distinct query of the history).
    /// </summary>
    /// <exception cref="ArgumentException">The request is not one stride long, or the rows run past the table.</exception>
    public void DotEach(ReadOnlySpan<short> request, int first, float factor, Span<float> dots, SimdPath path = SimdPath.Best)
    {
        if (request.Length != Stride) throw new ArgumentException($"The request holds {request.Length} values; a row's stride is {Stride}.", nameof(request));
        if (first < 0 || (long)first + dots.Length > Count)
            throw new ArgumentException($"Rows {first} to {(long)first + dots.Length - 1} run past the table's {Count}.", nameof(dots));
        ref short q = ref MemoryMarshal.GetReference(request);
        ref sbyte x = ref _rows[_offset];
        int stride = Stride;
        var resolved = SimdPaths.Resolve(path);
        for (int i = 0; i < dots.Length; i++)
        {
            ref sbyte row = ref Unsafe.Add(ref x, (nint)(first + i) * stride);
            int dot = resolved == SimdPath.Scalar ? DotScalar(ref q, ref row, stride)
                : resolved == SimdPath.Vector512 && Avx512BW.IsSupported ? Dot512(ref q, ref row, stride)
                : Avx2.IsSupported ? Dot256(ref q, ref row, stride)
                : DotPortable(ref q, ref row, stride);
            dots[i] = factor * dot;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int Dot512(ref short q, ref sbyte x, int length)
    {
        var sum = Vector512<int>.Zero;
        for (int j = 0; j < length; j += Line)
        {
            var low = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref x, (nuint)j));
            var high = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref x, (nuint)j + 32));
            sum += Avx512BW.MultiplyAddAdjacent(low, Vector512.LoadUnsafe(ref q, (nuint)j)) + Avx512BW.MultiplyAddAdjacent(high, Vector512.LoadUnsafe(ref q, (nuint)j + 32));
        }
        return Vector512.Sum(sum);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int Dot256(ref short q, ref sbyte x, int length)
    {
        var sum = Vector256<int>.Zero;
        for (int j = 0; j < length; j += 32)
        {
            var low = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref x, (nuint)j));
            var high = Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref x, (nuint)j + 16));
            sum += Avx2.MultiplyAddAdjacent(low, Vector256.LoadUnsafe(ref q, (nuint)j)) + Avx2.MultiplyAddAdjacent(high, Vector256.LoadUnsafe(ref q, (nuint)j + 16));
        }
        return Vector256.Sum(sum);
    }

    // Any hardware: widen both sides to 32 bits and multiply-add (what the vpmaddwd paths do in two steps).
    static int DotPortable(ref short q, ref sbyte x, int length)
    {
        var sum = Vector128<int>.Zero;
        for (int j = 0; j < length; j += 16)
        {
            var (low, high) = Vector128.Widen(Vector128.LoadUnsafe(ref x, (nuint)j));
            var (a, b) = Vector128.Widen(low);
            var (c, e) = Vector128.Widen(high);
            var (qa, qb) = Vector128.Widen(Vector128.LoadUnsafe(ref q, (nuint)j));
            var (qc, qe) = Vector128.Widen(Vector128.LoadUnsafe(ref q, (nuint)j + 8));
            sum += a * qa + b * qb + c * qc + e * qe;
        }
        return Vector128.Sum(sum);
    }

    static int DotScalar(ref short q, ref sbyte x, int length)
    {
        int sum = 0;
        for (int j = 0; j < length; j++) sum += Unsafe.Add(ref q, j) * Unsafe.Add(ref x, j);
        return sum;
    }
}
