using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Seminar.MLNet.Retrieval;

/// <summary>
/// The indices of the k best scores, best first, exactly as ONNX TopK (largest, sorted) orders them: higher score
/// first, ties to the lower index, i.e. a stable sort by score descending. Each call allocates a scratch buffer;
/// hot paths hold a <see cref="TopKSelector"/> instead.
/// </summary>
public static class TopK
{
    /// <summary>Writes the indices of the <c>min(k, scores.Length)</c> best scores into <paramref name="indices"/>, best first.</summary>
    /// <param name="scores">Scores to select from. NaN ranks below every other value (−∞ included), ties among NaNs to the lower index.</param>
    /// <param name="k">How many to keep (0 or more).</param>
    /// <param name="indices">Receives the indices; at least <c>min(k, scores.Length)</c> long.</param>
    /// <returns>How many indices were written: <c>min(k, scores.Length)</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="indices"/> is too short.</exception>
    public static int Select(ReadOnlySpan<float> scores, int k, Span<int> indices) => new TopKSelector(k).Select(scores, indices);

    /// <summary>Writes the indices of the <c>min(k, scores.Length)</c> best scores into <paramref name="indices"/>, best first.</summary>
    /// <param name="scores">Scores to select from (e.g. quantized scores of an approximate scan).</param>
    /// <param name="k">How many to keep (0 or more).</param>
    /// <param name="indices">Receives the indices; at least <c>min(k, scores.Length)</c> long.</param>
    /// <returns>How many indices were written: <c>min(k, scores.Length)</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="indices"/> is too short.</exception>
    public static int Select(ReadOnlySpan<ushort> scores, int k, Span<int> indices) => new TopKSelector(k).Select(scores, indices);
}

/// <summary>
/// Top-k by threshold filtering, linear in the input and fast when k is much smaller than it (k = 50 of 100,000):
/// a SIMD compare against the current k-th best skips almost every score, survivors go to a candidate buffer, and
/// when that fills the buffer is cut back to its k best (quickselect), raising the threshold. Ordering as
/// <see cref="TopK"/>. Keeps its buffer between calls, so after the first call of a given size it allocates nothing.
/// Not thread-safe: one selector per thread.
/// </summary>
public sealed class TopKSelector
{
    // 4k candidates amortise each cut over 3k survivors; the floor keeps tiny k from cutting every few vectors.
    const int MinimumCandidates = 256;

    readonly int _k;
    long[] _candidates = Array.Empty<long>();

    /// <summary>Creates a selector keeping the <paramref name="k"/> best.</summary>
    /// <param name="k">How many to keep (0 or more).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is negative.</exception>
    public TopKSelector(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        _k = k;
    }

    /// <summary>How many indices a call keeps at most.</summary>
    public int K => _k;

    /// <summary>Writes the indices of the <c>min(K, scores.Length)</c> best scores into <paramref name="indices"/>, best first.</summary>
    /// <param name="scores">Scores to select from. NaN ranks below every other value (−∞ included), ties among NaNs to the
    /// lower index; −0 and +0 tie, as they compare equal.</param>
    /// <param name="indices">Receives the indices; at least <c>min(K, scores.Length)</c> long.</param>
    /// <returns>How many indices were written.</returns>
    /// <exception cref="ArgumentException"><paramref name="indices"/> is too short.</exception>
    public int Select(ReadOnlySpan<float> scores, Span<int> indices) => Select(scores, indices, SimdPath.Best);

    /// <summary>Writes the indices of the <c>min(K, scores.Length)</c> best scores into <paramref name="indices"/>, best first.</summary>
    /// <param name="scores">Scores to select from.</param>
    /// <param name="indices">Receives the indices; at least <c>min(K, scores.Length)</c> long.</param>
    /// <returns>How many indices were written.</returns>
    /// <exception cref="ArgumentException"><paramref name="indices"/> is too short.</exception>
    public int Select(ReadOnlySpan<ushort> scores, Span<int> indices) => Select(scores, indices, SimdPath.Best);

    /// <summary>The float selection on a chosen code path (tests cover every fallback on any machine).</summary>
    internal int Select(ReadOnlySpan<float> scores, Span<int> indices, SimdPath path)
    {
        int n = scores.Length, k = Math.Min(_k, n);
        CheckOutput(indices, k);
        if (k == 0) return 0;
        long capacity = Capacity(k);
        Span<long> candidates;
        int count;
        if (n <= capacity)
        {
            candidates = Reserve(n);
            for (int i = 0; i < n; i++) candidates[i] = Entry(scores[i], i);
            count = n;
        }
        else
        {
            candidates = Reserve((int)capacity);
            for (int i = 0; i < k; i++) candidates[i] = Entry(scores[i], i);
            count = Filter(scores, candidates, k, Resolve(path));
        }
        return Finish(candidates[..count], k, indices);
    }

    /// <summary>The ushort selection on a chosen code path (tests cover every fallback on any machine).</summary>
    internal int Select(ReadOnlySpan<ushort> scores, Span<int> indices, SimdPath path)
    {
        int n = scores.Length, k = Math.Min(_k, n);
        CheckOutput(indices, k);
        if (k == 0) return 0;
        long capacity = Capacity(k);
        Span<long> candidates;
        int count;
        if (n <= capacity)
        {
            candidates = Reserve(n);
            for (int i = 0; i < n; i++) candidates[i] = Entry(scores[i], i);
            count = n;
        }
        else
        {
            candidates = Reserve((int)capacity);
            for (int i = 0; i < k; i++) candidates[i] = Entry(scores[i], i);
            count = Filter(scores, candidates, k, Resolve(path));
        }
        return Finish(candidates[..count], k, indices);
    }

    static void CheckOutput(Span<int> indices, int k)
    {
        if (indices.Length < k)
            throw new ArgumentException($"The indices buffer holds {indices.Length} entries; {k} are selected.", nameof(indices));
    }

    static long Capacity(int k) => Math.Max(4L * k, MinimumCandidates);

    static SimdPath Resolve(SimdPath path) => path != SimdPath.Best ? path
        : Vector512.IsHardwareAccelerated ? SimdPath.Vector512 : Vector256.IsHardwareAccelerated ? SimdPath.Vector256 : SimdPath.Scalar;

    Span<long> Reserve(int length)
    {
        if (_candidates.Length < length) _candidates = new long[length];
        return _candidates.AsSpan(0, length);
    }

    // A candidate is one long ordered like the ranking: the score's order-preserving integer key above the complemented
    // index, so "greater" means "better" with ties to the lower index, and selection compares plain integers.
    static long Entry(float score, int index)
    {
        int bits = BitConverter.SingleToInt32Bits(score);
        if (bits == int.MinValue) bits = 0; // −0 ties with +0, as the float comparison (and a stable sort) has it
        int key = float.IsNaN(score) ? int.MinValue : bits ^ ((bits >> 31) & int.MaxValue);
        return ((long)key << 32) | (uint)~index;
    }

    static long Entry(ushort score, int index) => ((long)score << 32) | (uint)~index;

    static int IndexOf(long entry) => ~(int)entry;

    /// <summary>The lowest score that beats the k-th best kept so far, for an inclusive compare.</summary>
    /// <remarks>
    /// Ties lose to the kept k (they come later), so the test is strictly "greater", written as "at least the next
    /// float up" so NaN fails it too. A NaN k-th best (fewer than k non-NaN scores yet) is beaten by any non-NaN;
    /// nothing beats +∞, and nothing is at least NaN.
    /// </remarks>
    static float Floor(float kth) => float.IsNaN(kth) ? float.NegativeInfinity
        : float.IsPositiveInfinity(kth) ? float.NaN : MathF.BitIncrement(kth);

    static int Filter(ReadOnlySpan<float> scores, Span<long> candidates, int k, SimdPath path)
    {
        int n = scores.Length, capacity = candidates.Length, count = k, i = k;
        ref float s = ref MemoryMarshal.GetReference(scores);
        float floor = Floor(scores[IndexOf(Cut(candidates, k, k))]);
        if (path == SimdPath.Vector512)
        {
            var threshold = Vector512.Create(floor);
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                ulong mask = Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref s, (nuint)i), threshold).ExtractMostSignificantBits();
                if (mask == 0) continue;
                do
                {
                    int j = i + BitOperations.TrailingZeroCount(mask);
                    candidates[count++] = Entry(Unsafe.Add(ref s, j), j);
                    mask &= mask - 1;
                } while (mask != 0);
                if (count > capacity - Vector512<float>.Count)
                {
                    floor = Floor(scores[IndexOf(Cut(candidates, count, k))]);
                    count = k;
                    threshold = Vector512.Create(floor);
                }
            }
        }
        else if (path == SimdPath.Vector256)
        {
            var threshold = Vector256.Create(floor);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                uint mask = Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref s, (nuint)i), threshold).ExtractMostSignificantBits();
                if (mask == 0) continue;
                do
                {
                    int j = i + BitOperations.TrailingZeroCount(mask);
                    candidates[count++] = Entry(Unsafe.Add(ref s, j), j);
                    mask &= mask - 1;
                } while (mask != 0);
                if (count > capacity - Vector256<float>.Count)
                {
                    floor = Floor(scores[IndexOf(Cut(candidates, count, k))]);
                    count = k;
                    threshold = Vector256.Create(floor);
                }
            }
        }
        for (; i < n; i++)
        {
            float score = Unsafe.Add(ref s, i);
            if (!(score >= floor)) continue;
            candidates[count++] = Entry(score, i);
            if (count == capacity)
            {
                floor = Floor(scores[IndexOf(Cut(candidates, count, k))]);
                count = k;
            }
        }
        return count;
    }

    // Integer scores have no NaN and the first k are kept unconditionally, so the filter is simply "greater".
    static int Filter(ReadOnlySpan<ushort> scores, Span<long> candidates, int k, SimdPath path)
    {
        int n = scores.Length, capacity = candidates.Length, count = k, i = k;
        ref ushort s = ref MemoryMarshal.GetReference(scores);
        ushort kth = scores[IndexOf(Cut(candidates, k, k))];
        if (path == SimdPath.Vector512)
        {
            var threshold = Vector512.Create(kth);
            for (; i <= n - Vector512<ushort>.Count; i += Vector512<ushort>.Count)
            {
                ulong mask = Vector512.GreaterThan(Vector512.LoadUnsafe(ref s, (nuint)i), threshold).ExtractMostSignificantBits();
                if (mask == 0) continue;
                do
                {
                    int j = i + BitOperations.TrailingZeroCount(mask);
                    candidates[count++] = Entry(Unsafe.Add(ref s, j), j);
                    mask &= mask - 1;
                } while (mask != 0);
                if (count > capacity - Vector512<ushort>.Count)
                {
                    kth = scores[IndexOf(Cut(candidates, count, k))];
                    count = k;
                    threshold = Vector512.Create(kth);
                }
            }
        }
        else if (path == SimdPath.Vector256)
        {
            var threshold = Vector256.Create(kth);
            for (; i <= n - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
            {
                uint mask = Vector256.GreaterThan(Vector256.LoadUnsafe(ref s, (nuint)i), threshold).ExtractMostSignificantBits();
                if (mask == 0) continue;
                do
                {
                    int j = i + BitOperations.TrailingZeroCount(mask);
                    candidates[count++] = Entry(Unsafe.Add(ref s, j), j);
                    mask &= mask - 1;
                } while (mask != 0);
                if (count > capacity - Vector256<ushort>.Count)
                {
                    kth = scores[IndexOf(Cut(candidates, count, k))];
                    count = k;
                    threshold = Vector256.Create(kth);
                }
            }
        }
        for (; i < n; i++)
        {
            ushort score = Unsafe.Add(ref s, i);
            if (score <= kth) continue;
            candidates[count++] = Entry(score, i);
            if (count == capacity)
            {
                kth = scores[IndexOf(Cut(candidates, count, k))];
                count = k;
            }
        }
        return count;
    }

    /// <summary>Moves the k best of the first <paramref name="count"/> candidates to the front; returns the k-th best.</summary>
    static long Cut(Span<long> candidates, int count, int k)
    {
        var live = candidates[..count];
        SelectLargest(live, k);
        return live[k - 1];
    }

    static int Finish(Span<long> candidates, int k, Span<int> indices)
    {
        if (candidates.Length > k) SelectLargest(candidates, k);
        var best = candidates[..k];
        best.Sort();
        for (int r = 0; r < k; r++) indices[r] = IndexOf(best[k - 1 - r]);
        return k;
    }

    /// <summary>
    /// Quickselect (C++'s nth_element, descending): afterwards <c>a[k - 1]</c> is the k-th largest, everything before
    /// it larger and everything after smaller (with k = a.Length it moves the smallest last). Entries are distinct
    /// (indices are), so partitions always shrink.
    /// </summary>
    static void SelectLargest(Span<long> a, int k)
    {
        int nth = k - 1, lo = 0, hi = a.Length - 1;
        while (hi - lo > 16)
        {
            long x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi];
            long pivot = Math.Max(Math.Min(x, y), Math.Min(Math.Max(x, y), z));
            int i = lo, j = hi;
            while (i <= j)
            {
                while (a[i] > pivot) i++;
                while (a[j] < pivot) j--;
                if (i <= j)
                {
                    (a[i], a[j]) = (a[j], a[i]);
                    i++;
                    j--;
                }
            }
            // Now a[lo..j] ≥ pivot ≥ a[i..hi]; anything between equals the pivot and is in place.
            if (nth <= j) hi = j;
            else if (nth >= i) lo = i;
            else return;
        }
        for (int i = lo + 1; i <= hi; i++)
        {
            long v = a[i];
            int j = i - 1;
            for (; j >= lo && a[j] < v; j--) a[j + 1] = a[j];
            a[j + 1] = v;
        }
    }
}
