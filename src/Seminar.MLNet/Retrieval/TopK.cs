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
internal static class TopK
{
    /// <summary>Writes the indices of the <c>min(k, scores.Length)</c> best scores into <paramref name="indices"/>, best first.</summary>
    /// <param name="scores">Scores to select from. NaN ranks below every other value (−∞ included), ties among NaNs to the lower index.</param>
    /// <param name="k">How many to keep (0 or more).</param>
    /// <param name="indices">Receives the indices; at least <c>min(k, scores.Length)</c> long.</param>
    /// <returns>How many indices were written: <c>min(k, scores.Length)</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="indices"/> is too short.</exception>
    public static int Select(ReadOnlySpan<float> scores, int k, Span<int> indices) => new TopKSelector(k).Select(scores, indices);

}

/// <summary>
/// Top-k by threshold filtering, linear in the input and fast when k is much smaller than it (k = 50 of 100,000):
/// a SIMD compare against a threshold skips almost every score, survivors go to a candidate buffer, and when that
/// fills it is cut back to its k best (quickselect), raising the threshold to the k-th best. Ordering as
/// <see cref="TopK"/>. Keeps its buffer between calls, so after the first call of a given size it allocates nothing.
/// Not thread-safe: one selector per thread.
/// </summary>
/// <remarks>
/// On long inputs the first threshold comes from a cheap pre-pass: the maxima of about 4k strided groups are scores of
/// distinct behaviours, so their k-th best is a lower bound on the k-th best score and can start the filter. With
/// random scores it is already within a few percent of the final threshold: few survivors, usually no cut before the
/// end. Without it the threshold starts at the k-th of the first k scores and needs several cuts to climb (each a
/// quickselect over the buffer), which measured several times slower.
/// </remarks>
internal sealed class TopKSelector
{
    // 4k candidates amortise each cut over 3k survivors; the floor keeps tiny k from cutting every few vectors.
    const int MinimumCandidates = 256;
    // Group maxima sampled per kept score: enough for a threshold near the final one, few enough to select quickly.
    const int SamplesPerK = 4;
    // Beyond this many vectors per group maximum, more reading tightens the first threshold too little to pay.
    const int MaximumVectorsPerGroup = 64;

    readonly int _k;
    long[] _candidates = Array.Empty<long>();
    ulong[] _rows = Array.Empty<ulong>();

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

    /// <summary>The float selection on a pinned code path (see <see cref="SimdPath"/>).</summary>
    internal int Select(ReadOnlySpan<float> scores, Span<int> indices, SimdPath path) => Select(scores, indices, path, rowOrder: false);

    /// <summary>
    /// The same indices as <see cref="Select(ReadOnlySpan{float}, Span{int})"/>, in increasing order instead of best first:
    /// what the ESU needs (it sums its kept rows in row order), without sorting them by score and then again by index.
    /// </summary>
    internal int SelectInRowOrder(ReadOnlySpan<float> scores, Span<int> indices, SimdPath path = SimdPath.Best) => Select(scores, indices, path, rowOrder: true);

    int Select(ReadOnlySpan<float> scores, Span<int> indices, SimdPath path, bool rowOrder)
    {
        int n = scores.Length, k = Math.Min(_k, n);
        CheckOutput(indices, k);
        if (k == 0) return 0;
        path = SimdPaths.Resolve(path);
        int capacity = Capacity(k);
        if (n <= capacity)
        {
            var all = Reserve(n);
            for (int i = 0; i < n; i++) all[i] = Entry(scores[i], i);
            return rowOrder ? FinishInRowOrder(all, k, indices, n) : Finish(all, k, indices);
        }
        var candidates = Reserve(capacity);
        int start = 0, count = 0;
        if (!TrySampleFloor(scores, candidates, k, path, out float floor))
        {
            // The first k are kept whatever they are (NaN included), so there are always k to return.
            for (; start < k; start++) candidates[start] = Entry(scores[start], start);
            count = k;
            floor = Above(ScoreOf(Cut(candidates, k, k)));
        }
        count = path switch
        {
            SimdPath.Vector512 => Filter<Lanes512>(scores, candidates, k, start, count, floor),
            SimdPath.Vector256 => Filter<Lanes256>(scores, candidates, k, start, count, floor),
            _ => Filter<Lanes1>(scores, candidates, k, start, count, floor),
        };
        return rowOrder ? FinishInRowOrder(candidates[..count], k, indices, n) : Finish(candidates[..count], k, indices);
    }

    static void CheckOutput(Span<int> indices, int k)
    {
        if (indices.Length < k)
            throw new ArgumentException($"The indices buffer holds {indices.Length} entries; {k} are selected.", nameof(indices));
    }

    // Also holds the SamplesPerK·k group maxima, rounded up to whole vectors (32 lanes at most).
    static int Capacity(int k) => (int)Math.Min(Math.Max((SamplesPerK * (long)k + 31) & ~31L, MinimumCandidates), Array.MaxLength);

    Span<long> Reserve(int length)
    {
        if (_candidates.Length < length) _candidates = new long[length];
        return _candidates.AsSpan(0, length);
    }

    // A candidate is one long ordered like the ranking: the score's order-preserving integer key above the complemented
    // index, so "greater" means "better" with ties to the lower index, and selection compares plain integers.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static long Entry(float score, int index)
    {
        int bits = BitConverter.SingleToInt32Bits(score);
        if (bits == int.MinValue) bits = 0; // −0 ties with +0, as the float comparison (and a stable sort) has it
        int key = float.IsNaN(score) ? int.MinValue : bits ^ ((bits >> 31) & int.MaxValue);
        return ((long)key << 32) | (uint)~index;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int IndexOf(long entry) => ~(int)entry;

    /// <summary>The score of a float entry (NaN for NaN; −0 reads back as +0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float ScoreOf(long entry)
    {
        int key = (int)(entry >> 32);
        return key == int.MinValue ? float.NaN : BitConverter.Int32BitsToSingle(key >= 0 ? key : key ^ int.MaxValue);
    }

    /// <summary>The lowest score that beats a kept k-th best <paramref name="kth"/>, for an inclusive compare.</summary>
    /// <remarks>
    /// Ties lose to the kept k (they come later), so the test is strictly "greater", written as "at least the next
    /// float up" so NaN fails it too. A NaN k-th best (fewer than k non-NaN scores yet) is beaten by any non-NaN;
    /// nothing beats +∞, and nothing is at least NaN.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static float Above(float kth) => float.IsNaN(kth) ? float.NegativeInfinity
        : float.IsPositiveInfinity(kth) ? float.NaN : MathF.BitIncrement(kth);

    /// <summary>
    /// The vector stride of the pre-pass: every vector up to 64 per group, then spread thinner, so on long inputs the
    /// pre-pass reads a sample (every one of them strided over the whole input) instead of a second full pass.
    /// </summary>
    static int SampleStep(int groups, int vectors) => groups * Math.Max(1, vectors / (groups * MaximumVectorsPerGroup));

    /// <summary>
    /// The pre-pass: the k-th best of the maxima of strided groups (vector slots g, g + S, g + 2S, … for a stride S
    /// that is a multiple of the group count G) as an inclusive floor. False when the input is too short for it to pay,
    /// on the scalar path, or when that k-th best is NaN (the plain path then keeps NaNs if it must).
    /// </summary>
    static bool TrySampleFloor(ReadOnlySpan<float> scores, Span<long> candidates, int k, SimdPath path, out float floor)
    {
        floor = 0;
        return path switch
        {
            SimdPath.Vector512 => TrySampleFloor<Lanes512>(scores, candidates, k, out floor),
            SimdPath.Vector256 => TrySampleFloor<Lanes256>(scores, candidates, k, out floor),
            _ => false,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static bool TrySampleFloor<TLanes>(ReadOnlySpan<float> scores, Span<long> candidates, int k, out float floor)
        where TLanes : struct, IFloatLanes<TLanes>
    {
        floor = 0;
        int width = TLanes.Count;
        int groups = (int)((SamplesPerK * (long)k + width - 1) / width), vectors = scores.Length / width;
        if (vectors < 4 * groups) return false;
        int step = SampleStep(groups, vectors);
        ref float s = ref MemoryMarshal.GetReference(scores);
        Span<float> lanes = stackalloc float[Vector512<float>.Count];
        ref float lane = ref MemoryMarshal.GetReference(lanes);
        int e = 0;
        for (int g = 0; g < groups; g++)
        {
            // Two chains per group halve the max latency the loop waits on. MaxNative returns one of its operands,
            // even with NaN, so every maximum is the score of a distinct behaviour: all the bound needs.
            int v = g;
            var a = TLanes.Load(ref s, (nuint)(v * width));
            var b = TLanes.Load(ref s, (nuint)((v + step) * width));
            for (v += 2 * step; v + step < vectors; v += 2 * step)
            {
                a = TLanes.MaxNative(a, TLanes.Load(ref s, (nuint)(v * width)));
                b = TLanes.MaxNative(b, TLanes.Load(ref s, (nuint)((v + step) * width)));
            }
            if (v < vectors) a = TLanes.MaxNative(a, TLanes.Load(ref s, (nuint)(v * width)));
            TLanes.MaxNative(a, b).Store(ref lane, 0);
            for (int l = 0; l < width; l++, e++) candidates[e] = Entry(Unsafe.Add(ref lane, l), e);
        }
        float kth = ScoreOf(Cut(candidates, e, k));
        if (float.IsNaN(kth)) return false;
        floor = kth;
        return true;
    }

    /// <summary>
    /// Appends every score from <paramref name="i"/> on that is at least <paramref name="floor"/> (an inclusive lower
    /// bound on the k-th best: no score below it can be selected), cutting the buffer back to k and raising the floor
    /// whenever it fills. Returns the candidates left.
    /// </summary>
    // Kept out of line: inlined into Select (as profile-guided tiering chose) the scan loop ran almost twice as slow.
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static int Filter<TLanes>(ReadOnlySpan<float> scores, Span<long> candidates, int k, int i, int count, float floor)
        where TLanes : struct, IFloatLanes<TLanes>
    {
        int n = scores.Length, capacity = candidates.Length, width = TLanes.Count;
        ref float s = ref MemoryMarshal.GetReference(scores);
        var threshold = TLanes.Create(floor);
        for (; i <= n - width; i += width)
        {
            ulong mask = TLanes.GreaterThanOrEqualBits(TLanes.Load(ref s, (nuint)i), threshold);
            if (mask == 0) continue;
            do
            {
                int j = i + BitOperations.TrailingZeroCount(mask);
                candidates[count++] = Entry(Unsafe.Add(ref s, j), j);
                mask &= mask - 1;
            } while (mask != 0);
            if (count > capacity - width)
            {
                floor = Above(ScoreOf(Cut(candidates, count, k)));
                count = k;
                threshold = TLanes.Create(floor);
            }
        }
        for (; i < n; i++)
        {
            float score = Unsafe.Add(ref s, i);
            if (!(score >= floor)) continue;
            candidates[count++] = Entry(score, i);
            if (count == capacity)
            {
                floor = Above(ScoreOf(Cut(candidates, count, k)));
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

    /// <summary>
    /// The k best of <paramref name="candidates"/> (indices below <paramref name="n"/>) in increasing index order: marked in a
    /// bitmap and read back word by word, which for k = 50 of 10,000 costs a fraction of a sort of 50; a bitmap many words
    /// per kept index long costs more than the sort, which then serves.
    /// </summary>
    int FinishInRowOrder(Span<long> candidates, int k, Span<int> indices, int n)
    {
        if (candidates.Length > k) SelectLargest(candidates, k);
        int words = (n + 63) >> 6;
        if (words > 16 * k)
        {
            for (int r = 0; r < k; r++) indices[r] = IndexOf(candidates[r]);
            indices[..k].Sort();
            return k;
        }
        if (_rows.Length < words) _rows = new ulong[words];
        // All zero between calls: the read-back clears every word it finds set.
        var bits = _rows.AsSpan(0, words);
        for (int r = 0; r < k; r++)
        {
            int i = IndexOf(candidates[r]);
            bits[i >> 6] |= 1UL << i;
        }
        int written = 0;
        for (int w = 0; w < words && written < k; w++)
        {
            ulong b = bits[w];
            if (b == 0) continue;
            bits[w] = 0;
            do
            {
                indices[written++] = (w << 6) + BitOperations.TrailingZeroCount(b);
                b &= b - 1;
            } while (b != 0);
        }
        return k;
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
    /// <remarks>
    /// The partition is branch-free (Lomuto with an unconditional swap and a conditional increment): on the random
    /// data a cut sees, a branchy partition mispredicts about every other compare.
    /// </remarks>
    static void SelectLargest(Span<long> a, int k)
    {
        int nth = k - 1, lo = 0, hi = a.Length - 1;
        ref long r = ref MemoryMarshal.GetReference(a);
        while (hi - lo > 16)
        {
            int mid = lo + (hi - lo) / 2;
            long x = a[lo], y = a[mid], z = a[hi];
            long median = Math.Max(Math.Min(x, y), Math.Min(Math.Max(x, y), z));
            if (median == x) (a[lo], a[hi]) = (z, x);
            else if (median == y) (a[mid], a[hi]) = (z, y);
            long pivot = a[hi];
            int store = lo;
            for (int i = lo; i < hi; i++)
            {
                // Everything in [store, i) is below the pivot, so parking a[store] at i keeps that true.
                long v = Unsafe.Add(ref r, i);
                Unsafe.Add(ref r, i) = Unsafe.Add(ref r, store);
                Unsafe.Add(ref r, store) = v;
                store += v > pivot ? 1 : 0;
            }
            (a[store], a[hi]) = (pivot, a[store]);
            if (nth < store) hi = store - 1;
            else if (nth > store) lo = store + 1;
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
