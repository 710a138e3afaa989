using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Seminar.MLNet.Retrieval;

/// <summary>
/// The exact GSU's relevance of one row-major behaviour vector against every head: <c>scores[h · stride] = u_h · x</c>.
/// The row path of a single candidate scores each behaviour as it is fused, while it is still in L1; the blocked layout
/// (<see cref="BlockedVectors"/>) pays only when many request vectors share the history.
/// </summary>
/// <remarks>
/// The row is loaded once for up to four heads (four independent FMA chains), where one <c>TensorPrimitives.Dot</c> per
/// head reloads it and pays a call each (<c>bench --serving</c>'s <c>psu/row</c> rows measure the row path). Each head sums in lane order and then across the lanes, so the widths round differently (within
/// <c>D · 2⁻²⁴ · Σ_d |u_d x_d|</c> of the exact dot, as any float dot); a width is chosen per process, so a model scores
/// the same on every call.
/// </remarks>
internal static class RowDots
{
    /// <summary>Writes <c>u_h · x</c> for each of <paramref name="heads"/> request vectors to <c>scores[h · stride]</c>.</summary>
    /// <param name="u">Request vectors, row-major <c>[heads, D]</c> with D = <paramref name="x"/>'s length.</param>
    /// <param name="heads">Request vectors H, at least 1.</param>
    /// <param name="x">The behaviour vector (D).</param>
    /// <param name="scores">Receives head h's dot at <c>h · stride</c>.</param>
    /// <param name="stride">Distance between heads in <paramref name="scores"/>, at least 1.</param>
    /// <param name="path">The vector width (tests pin each).</param>
    /// <exception cref="ArgumentException">A span is too short for <paramref name="heads"/>, D and <paramref name="stride"/>.</exception>
    public static void Score(ReadOnlySpan<float> u, int heads, ReadOnlySpan<float> x, Span<float> scores, int stride, SimdPath path = SimdPath.Best)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        int d = x.Length;
        if (u.Length < (long)heads * d)
            throw new ArgumentException($"The request vectors hold {u.Length} values; {heads} heads of D = {d} need {(long)heads * d}.", nameof(u));
        if (scores.Length <= (long)(heads - 1) * stride)
            throw new ArgumentException($"The scores hold {scores.Length} values; {heads} heads {stride} apart need {(long)(heads - 1) * stride + 1}.", nameof(scores));
        ref float ur = ref MemoryMarshal.GetReference(u);
        ref float xr = ref MemoryMarshal.GetReference(x);
        ref float sr = ref MemoryMarshal.GetReference(scores);
        switch (SimdPaths.Resolve(path))
        {
            case SimdPath.Vector512: Heads<Lanes512>(ref ur, heads, ref xr, d, ref sr, stride); break;
            case SimdPath.Vector256: Heads<Lanes256>(ref ur, heads, ref xr, d, ref sr, stride); break;
            default: Heads<Lanes1>(ref ur, heads, ref xr, d, ref sr, stride); break;
        }
    }

    /// <summary>
    /// <c>u · x</c>, the same bits as <see cref="Score"/> with one head: one FMA chain in lane order, then across the
    /// lanes. For many short dots (a re-rank's rows): a <c>TensorPrimitives.Dot</c> call measured 13% of a PQ ranking
    /// request in a profile, most of it the call's own checks and tail handling.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ReadOnlySpan<float> u, ReadOnlySpan<float> x, SimdPath path = SimdPath.Best)
    {
        if (u.Length != x.Length) throw new ArgumentException($"The vectors hold {u.Length} and {x.Length} values.", nameof(x));
        ref float ur = ref MemoryMarshal.GetReference(u);
        ref float xr = ref MemoryMarshal.GetReference(x);
        return SimdPaths.Resolve(path) switch
        {
            SimdPath.Vector512 => One<Lanes512>(ref ur, ref xr, u.Length),
            SimdPath.Vector256 => One<Lanes256>(ref ur, ref xr, u.Length),
            _ => One<Lanes1>(ref ur, ref xr, u.Length),
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Heads<TLanes>(ref float u, int heads, ref float x, int d, ref float scores, int stride)
        where TLanes : struct, IFloatLanes<TLanes>
    {
        int h = 0;
        for (; h + 4 <= heads; h += 4) Four<TLanes>(ref Unsafe.Add(ref u, (nint)h * d), ref x, d, ref Unsafe.Add(ref scores, (nint)h * stride), stride);
        for (; h < heads; h++) Unsafe.Add(ref scores, (nint)h * stride) = One<TLanes>(ref Unsafe.Add(ref u, (nint)h * d), ref x, d);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Four<TLanes>(ref float u, ref float x, int d, ref float scores, int stride)
        where TLanes : struct, IFloatLanes<TLanes>
    {
        TLanes a0 = default, a1 = default, a2 = default, a3 = default;
        nuint n = (nuint)d, whole = n - n % (nuint)TLanes.Count, j = 0;
        for (; j < whole; j += (nuint)TLanes.Count)
        {
            var v = TLanes.Load(ref x, j);
            a0 = TLanes.FusedMultiplyAdd(TLanes.Load(ref u, j), v, a0);
            a1 = TLanes.FusedMultiplyAdd(TLanes.Load(ref u, n + j), v, a1);
            a2 = TLanes.FusedMultiplyAdd(TLanes.Load(ref u, 2 * n + j), v, a2);
            a3 = TLanes.FusedMultiplyAdd(TLanes.Load(ref u, 3 * n + j), v, a3);
        }
        float s0 = TLanes.Sum(a0), s1 = TLanes.Sum(a1), s2 = TLanes.Sum(a2), s3 = TLanes.Sum(a3);
        for (; j < n; j++)
        {
            float v = Unsafe.Add(ref x, j);
            s0 = MathF.FusedMultiplyAdd(Unsafe.Add(ref u, j), v, s0);
            s1 = MathF.FusedMultiplyAdd(Unsafe.Add(ref u, n + j), v, s1);
            s2 = MathF.FusedMultiplyAdd(Unsafe.Add(ref u, 2 * n + j), v, s2);
            s3 = MathF.FusedMultiplyAdd(Unsafe.Add(ref u, 3 * n + j), v, s3);
        }
        scores = s0;
        Unsafe.Add(ref scores, stride) = s1;
        Unsafe.Add(ref scores, 2 * stride) = s2;
        Unsafe.Add(ref scores, 3 * stride) = s3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float One<TLanes>(ref float u, ref float x, int d)
        where TLanes : struct, IFloatLanes<TLanes>
    {
        TLanes a = default;
        nuint n = (nuint)d, whole = n - n % (nuint)TLanes.Count, j = 0;
        for (; j < whole; j += (nuint)TLanes.Count) a = TLanes.FusedMultiplyAdd(TLanes.Load(ref u, j), TLanes.Load(ref x, j), a);
        float s = TLanes.Sum(a);
        for (; j < n; j++) s = MathF.FusedMultiplyAdd(Unsafe.Add(ref u, j), Unsafe.Add(ref x, j), s);
        return s;
    }
}
