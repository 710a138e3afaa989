using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Quantization.FastScan;

/// <summary>
/// The second stage of fast-scan retrieval: the <see cref="Shortlist"/> vectors with the largest byte sums (ties to
/// the lower index) are rescored exactly against the original float vectors, and the <see cref="K"/> best of those
/// are returned, best first, ordered as <see cref="TopK"/> orders exact scores.
/// </summary>
/// <remarks>
/// The byte sums only have to bring the true top-K into the shortlist: the quantization error
/// (<see cref="QuantizedLookupTables.ErrorBound"/>) and the codes' own error blur the order near the cut, and the
/// exact pass removes both. With a shortlist of every vector the result is the exact top-K. Holds its buffers between
/// calls (they grow to the largest input seen and are then reused); not thread-safe: one per thread.
/// </remarks>
internal sealed class ShortlistReranker
{
    // A histogram of at most 2^11 bins: fine enough that the cut bin holds few vectors, small enough to clear per call.
    const int HistogramBits = 11;

    readonly TopKSelector _selector;
    readonly int[] _histogram = new int[1 << HistogramBits];
    readonly float[] _exact;
    readonly int[] _positions;
    int[] _candidates = Array.Empty<int>(), _candidateSums = Array.Empty<int>();

    /// <summary>A reranker keeping <paramref name="shortlist"/> vectors for the exact pass and returning <paramref name="k"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1 or above <paramref name="shortlist"/>.</exception>
    public ShortlistReranker(int shortlist, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shortlist, k);
        Shortlist = shortlist;
        K = k;
        _selector = new TopKSelector(k);
        _exact = new float[shortlist];
        _positions = new int[k];
    }

    /// <summary>Vectors the exact pass rescores (K').</summary>
    public int Shortlist { get; }
    /// <summary>Vectors returned.</summary>
    public int K { get; }

    /// <summary>
    /// The exact top-<c>min(K, count)</c> among the shortlist of the <paramref name="count"/> vectors whose byte sums
    /// are <paramref name="sums"/>: indices into the vectors, best first.
    /// </summary>
    /// <param name="sums">The fast scan's sums; the first <paramref name="count"/> are read.</param>
    /// <param name="count">Vectors N.</param>
    /// <param name="vectors">The original vectors, row-major <c>[N, D]</c> with D = <paramref name="query"/>'s length.</param>
    /// <param name="query">The query u.</param>
    /// <param name="indices">Receives the indices; at least <c>min(K, count)</c> long.</param>
    /// <returns>How many indices were written.</returns>
    /// <exception cref="ArgumentException">A buffer is too short.</exception>
    public int Rerank(ReadOnlySpan<ushort> sums, int count, ReadOnlySpan<float> vectors, ReadOnlySpan<float> query, Span<int> indices)
    {
        int d = query.Length;
        if (vectors.Length < (long)count * d)
            throw new ArgumentException($"The vectors hold {vectors.Length} values; {count} of D = {d} need {(long)count * d}.", nameof(vectors));
        if (indices.Length < Math.Min(K, count))
            throw new ArgumentException($"The indices buffer holds {indices.Length} entries; {Math.Min(K, count)} are returned.", nameof(indices));
        var shortlist = SelectShortlist(sums, count);
        var exact = _exact.AsSpan(0, shortlist.Length);
        for (int i = 0; i < shortlist.Length; i++) exact[i] = TensorPrimitives.Dot(query, vectors.Slice(shortlist[i] * d, d));
        // The shortlist is in index order, so the selector's ties to the lower position are ties to the lower index.
        int kept = _selector.Select(exact, _positions);
        for (int r = 0; r < kept; r++) indices[r] = shortlist[_positions[r]];
        return kept;
    }

    /// <summary>
    /// The indices of the <c>min(Shortlist, count)</c> largest sums (ties to the lower index), in increasing index
    /// order. The span is the reranker's buffer, valid until the next call.
    /// </summary>
    /// <remarks>
    /// A histogram of every <see cref="SampleStride"/>-th sum gives a floor that about 1.5 K' sums reach; one vector pass
    /// collects every index at or above it (all of them when the sample misjudged and fewer than K' did), and a
    /// histogram of the collected sums alone finds the exact cut and, among equal sums, the lowest indices.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="sums"/> holds fewer than <paramref name="count"/> values.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal ReadOnlySpan<int> SelectShortlist(ReadOnlySpan<ushort> sums, int count, SimdPath path = SimdPath.Best)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (sums.Length < count)
            throw new ArgumentException($"The sums hold {sums.Length} values; {count} are read.", nameof(sums));
        sums = sums[..count];
        int keep = Math.Min(Shortlist, count);
        if (keep == 0) return ReadOnlySpan<int>.Empty;
        if (_candidates.Length < count)
        {
            _candidates = new int[count];
            _candidateSums = new int[count];
        }
        int max = TensorPrimitives.Max(sums);
        int collected = count > 2 * keep ? Collect(sums, SampleFloor(sums, keep, max), _candidates, path) : 0;
        if (collected < keep) collected = Collect(sums, 0, _candidates, path);
        return Cut(sums, _candidates.AsSpan(0, collected), _candidateSums.AsSpan(0, collected), keep, max, path);
    }

    /// <summary>
    /// Sums per sampled one for <paramref name="count"/> sums and a shortlist of <paramref name="keep"/>: a sparser
    /// sample makes its histogram cheaper, a denser one its floor tighter. Every 8th up to 64·K' sums, then about 8·K'
    /// sums in all (at most every 32nd), whose floor still lets through about 1.5 K' plus eight strides: at 100,000 sums
    /// and K' = 400 the histogram reads 3,226 sums instead of 12,500.
    /// </summary>
    internal static int SampleStride(int count, int keep) => Math.Clamp(count / (8 * keep), 8, 32);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    int SampleFloor(ReadOnlySpan<ushort> sums, int keep, int max)
    {
        int shift = Shift(max), stride = SampleStride(sums.Length, keep);
        // No sum is above max: the bins past max's are neither cleared nor walked (they may hold an earlier call's counts).
        var histogram = _histogram.AsSpan(0, (max >> shift) + 1);
        histogram.Clear();
        ref int h = ref MemoryMarshal.GetReference(histogram);
        for (int i = 0; i < sums.Length; i += stride) Unsafe.Add(ref h, sums[i] >> shift)++;
        // Half again K' in expectation, so the sample's scatter rarely leaves fewer than K' (then all sums are collected).
        int target = (3 * keep / 2 + stride - 1) / stride + 8, bin = histogram.Length - 1;
        for (int seen = 0; bin > 0 && (seen += histogram[bin]) < target; bin--) { }
        return bin << shift;
    }

    // Keeps the top HistogramBits bits of sums up to max.
    static int Shift(int max) => Math.Max(0, 32 - BitOperations.LeadingZeroCount((uint)max) - HistogramBits);

    // Keeps, in order, the keep listed indices with the largest sums (ties to the lower index): a histogram of their
    // top bits finds the bin of the cut, a count of that bin's values the cut value and how many equal to it stay. The
    // histogram's pass copies each listed sum beside its index (into listed), so the later passes read them in order;
    // the last, which keeps the indices above the cut and the first ties, runs 16 or 8 lanes at a time as Collect does.
    // Walking both histograms from max's bin rather than the table's last was most of what took the selection from 5.4
    // to 3.0 us (FastScanBenchmarks, N = 10,000, M = 32); the in-order passes and the vector Keep the rest.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    ReadOnlySpan<int> Cut(ReadOnlySpan<ushort> sums, Span<int> list, Span<int> listed, int keep, int max, SimdPath path)
    {
        if (list.Length == keep) return list;
        int shift = Shift(max);
        var histogram = _histogram.AsSpan(0, (max >> shift) + 1);
        histogram.Clear();
        ref int h = ref MemoryMarshal.GetReference(histogram);
        ref int sum = ref MemoryMarshal.GetReference(listed);
        for (int p = 0; p < list.Length; p++)
        {
            int value = sums[list[p]];
            Unsafe.Add(ref sum, p) = value;
            Unsafe.Add(ref h, value >> shift)++;
        }
        int bin = histogram.Length - 1, above = 0;
        while (above + histogram[bin] < keep) above += histogram[bin--];
        Span<int> values = stackalloc int[1 << (16 - HistogramBits)];
        values = values[..(1 << shift)];
        values.Clear();
        int mask = (1 << shift) - 1;
        for (int p = 0; p < listed.Length; p++)
        {
            int value = Unsafe.Add(ref sum, p);
            if (value >> shift == bin) values[value & mask]++;
        }
        int cut = values.Length - 1, need = keep - above;
        while (need > values[cut]) need -= values[cut--];
        // need: how many of the sums equal to the threshold make it, the lowest indices first.
        return list[..Keep(list, listed, (bin << shift) | cut, need, path)];
    }

    /// <summary>
    /// Compacts <paramref name="list"/> in place to the entries whose sum (<paramref name="listed"/>, same positions)
    /// is above <paramref name="threshold"/>, plus the first <paramref name="ties"/> equal to it; returns how many stay.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int Keep(Span<int> list, ReadOnlySpan<int> listed, int threshold, int ties, SimdPath path = SimdPath.Best)
    {
        ref int l = ref MemoryMarshal.GetReference(list);
        ref int s = ref MemoryMarshal.GetReference(listed);
        int n = list.Length, p = 0, kept = 0;
        var resolved = SimdPaths.Resolve(path);
        // A vector step writes all its lanes at the count so far, which never passes the step's own first entry.
        if (resolved == SimdPath.Vector512 && Avx512F.IsSupported)
        {
            var bound = Vector512.Create(threshold);
            for (; p <= n - 16; p += 16)
            {
                var values = Vector512.LoadUnsafe(ref s, (nuint)p);
                uint take = (uint)Vector512.GreaterThan(values, bound).ExtractMostSignificantBits();
                uint equal = (uint)Vector512.Equals(values, bound).ExtractMostSignificantBits();
                if (equal != 0) take |= FirstTies(equal, ref ties);
                var lanes = (Vector512.Create((int)take) & LaneBits512).AsInt32();
                Avx512F.Compress(Vector512<int>.Zero, Vector512.Equals(lanes, LaneBits512), Vector512.LoadUnsafe(ref l, (nuint)p)).StoreUnsafe(ref l, (nuint)kept);
                kept += BitOperations.PopCount(take);
            }
        }
        if (resolved != SimdPath.Scalar)
        {
            var bound = Vector256.Create(threshold);
            for (; p <= n - 8; p += 8)
            {
                var values = Vector256.LoadUnsafe(ref s, (nuint)p);
                uint take = Vector256.GreaterThan(values, bound).ExtractMostSignificantBits();
                uint equal = Vector256.Equals(values, bound).ExtractMostSignificantBits();
                if (equal != 0) take |= FirstTies(equal, ref ties);
                var order = PositionsOf(take);
                var entries = Vector256.LoadUnsafe(ref l, (nuint)p);
                (Avx2.IsSupported ? Avx2.PermuteVar8x32(entries, order) : Vector256.Shuffle(entries, order)).StoreUnsafe(ref l, (nuint)kept);
                kept += BitOperations.PopCount(take);
            }
        }
        for (; p < n; p++)
        {
            int value = Unsafe.Add(ref s, p);
            int tie = value == threshold ? 1 : 0;
            int take = (value > threshold ? 1 : 0) | (tie & (ties > 0 ? 1 : 0));
            ties -= tie & take;
            Unsafe.Add(ref l, kept) = Unsafe.Add(ref l, p);
            kept += take;
        }
        return kept;
    }

    // The lanes of equal that stay: the lowest ones while ties remain.
    static uint FirstTies(uint equal, ref int ties)
    {
        int count = BitOperations.PopCount(equal);
        if (count <= ties)
        {
            ties -= count;
            return equal;
        }
        uint first = 0;
        for (; ties > 0; ties--)
        {
            first |= equal & (0u - equal);
            equal &= equal - 1;
        }
        return first;
    }

    static readonly Vector512<int> LaneBits512 = Vector512.Create(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1 << 10, 1 << 11, 1 << 12, 1 << 13, 1 << 14, 1 << 15);

    // Writes, in increasing order, the index of every sum at least floor; returns how many. List has room for all sums
    // (a step writes its 8 or 16 positions at the count so far, which never passes the step's own first index).
    // Branch-free: which sums pass is data a branch predictor cannot learn across real requests; eight sums at a time
    // write the positions of the passing ones from a table of the 256 masks (sixteen at a time by a register compress
    // on AVX-512) and advance by their count. FastScanBenchmarks' shortlist alone at N = 100,000, K' = 400: 22.2 us
    // with the table and every 8th sum sampled, 14.2 us with the compress and the sparser sample. In the bench's
    // ranking setting (100 different request vectors per history) the branch-free table took the shortlist stage from
    // 9.6 to 4.6 us per request vector at L = 10,000; its gather and stored settings, which then repeated 8 requests,
    // lost about 1 us, the branches having learnt those 8 patterns.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int Collect(ReadOnlySpan<ushort> sums, int floor, Span<int> list, SimdPath path = SimdPath.Best)
    {
        if (list.Length < sums.Length)
            throw new ArgumentException($"The list holds {list.Length} entries; {sums.Length} sums need as many.", nameof(list));
        ref ushort s = ref MemoryMarshal.GetReference(sums);
        ref int l = ref MemoryMarshal.GetReference(list);
        int n = sums.Length, i = 0, written = 0;
        var resolved = SimdPaths.Resolve(path);
        if (resolved == SimdPath.Vector512 && Avx512F.IsSupported)
        {
            // AVX-512 packs the passing indices of sixteen sums in one register compress (vpcompressd, register form:
            // its memory form is microcoded on AMD), so a step needs no table and covers twice the sums.
            var bound = Vector256.Create((ushort)floor);
            var indices = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            var step = Vector512.Create(16);
            for (; i <= n - 16; i += 16)
            {
                var pass = Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref s, (nuint)i), bound);
                Avx512F.Compress(Vector512<int>.Zero, Avx512F.ConvertToVector512Int32(pass.AsInt16()), indices).StoreUnsafe(ref l, (nuint)written);
                written += BitOperations.PopCount(pass.ExtractMostSignificantBits());
                indices += step;
            }
        }
        if (resolved != SimdPath.Scalar)
        {
            var bound = Vector128.Create((ushort)floor);
            for (; i <= n - 8; i += 8)
            {
                uint mask = Vector128.GreaterThanOrEqual(Vector128.LoadUnsafe(ref s, (nuint)i), bound).ExtractMostSignificantBits();
                (PositionsOf(mask) + Vector256.Create(i)).StoreUnsafe(ref l, (nuint)written);
                written += BitOperations.PopCount(mask);
            }
        }
        for (; i < n; i++)
        {
            Unsafe.Add(ref l, written) = i;
            written += Unsafe.Add(ref s, i) >= floor ? 1 : 0;
        }
        return written;
    }

    // The lanes of an 8-bit mask's set bits, lowest first, as ints (the lanes past them 0): Positions' row of the mask.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> PositionsOf(uint mask)
    {
        var words = Vector128.WidenLower(Vector128.LoadUnsafe(ref MemoryMarshal.GetArrayDataReference(Positions), (nuint)(mask * 8)));
        return Vector256.Create(Vector128.WidenLower(words), Vector128.WidenUpper(words)).AsInt32();
    }

    // Positions[8 m + k]: the k-th set bit of mask m (the rest 0), plus 8 bytes so a 16-byte load of the last row stays inside.
    static readonly byte[] Positions = BuildPositions();

    static byte[] BuildPositions()
    {
        var table = new byte[256 * 8 + 8];
        for (int mask = 0; mask < 256; mask++)
            for (int bit = 0, k = 0; bit < 8; bit++)
                if ((mask >> bit & 1) != 0) table[mask * 8 + k++] = (byte)bit;
        return table;
    }
}
