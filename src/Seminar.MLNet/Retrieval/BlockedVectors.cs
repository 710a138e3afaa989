using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Seminar.MLNet.Retrieval;

/// <summary>
/// Behaviour vectors laid out for the exact GSU scan <c>r_hl = u_h · x_l</c>: blocks of <see cref="BlockSize"/>
/// behaviours, dimension-major within a block (block b holds <c>[D][16]</c>), lanes past <see cref="Count"/> zero.
/// </summary>
/// <remarks>
/// The layout lets one 512-bit load carry dimension d of 16 behaviours, so a head's scores for a block are D
/// broadcast-FMAs with no horizontal sums, and the data is streamed once, in order, whatever the number of heads. Storage is
/// 64-byte aligned (pinned) so no load straddles a cache line. Reused by <see cref="Load"/>, which only grows it.
/// Not thread-safe for <see cref="Load"/>; <see cref="Score(ReadOnlySpan{float}, int, Span{float})"/> only reads and may run concurrently.
/// </remarks>
internal sealed partial class BlockedVectors
{
    /// <summary>Behaviours per block: one 512-bit vector of floats per dimension.</summary>
    public const int BlockSize = 16;

    // Above 4 heads the accumulators no longer fit in registers, so heads go in groups of 4 over tiles of blocks
    // small enough to stay in L1 between groups: memory still sees each block once.
    const int TileBytes = 32 << 10;
    const int Alignment = 64;

    readonly int _dimension;
    float[] _storage = Array.Empty<float>();
    int _offset, _capacity, _count;

    /// <summary>Creates an empty set with room for <paramref name="capacity"/> vectors before it must grow.</summary>
    /// <param name="dimension">Floats per vector (D), at least 1.</param>
    /// <param name="capacity">Vectors to reserve room for (0 or more).</param>
    /// <exception cref="ArgumentOutOfRangeException">Dimension below 1, negative capacity, or a layout too large for one array.</exception>
    public BlockedVectors(int dimension, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _dimension = dimension;
        Reserve(capacity);
    }

    /// <summary>Vectors held.</summary>
    public int Count => _count;

    /// <summary>Floats per vector (D).</summary>
    public int Dimension => _dimension;

    /// <summary><see cref="Count"/> rounded up to a multiple of <see cref="BlockSize"/>: the row length <see cref="Score(ReadOnlySpan{float}, int, Span{float})"/> writes.</summary>
    public int PaddedCount => Pad(_count);

    /// <summary>Bytes one <see cref="Score(ReadOnlySpan{float}, int, Span{float})"/> call streams: <c>PaddedCount · D · 4</c>.</summary>
    public long Bytes => (long)PaddedCount * _dimension * sizeof(float);

    /// <summary>Replaces the contents with <paramref name="count"/> vectors, reusing storage (grows it when needed).</summary>
    /// <param name="rows">Row-major <c>[count, D]</c>; only the first <c>count · D</c> values are read.</param>
    /// <param name="count">Vectors to load.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative or the layout is too large for one array.</exception>
    /// <exception cref="ArgumentException"><paramref name="rows"/> holds fewer than <c>count · D</c> values.</exception>
    public void Load(ReadOnlySpan<float> rows, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int d = _dimension;
        if (rows.Length < (long)count * d)
            throw new ArgumentException($"The rows hold {rows.Length} values; {count} vectors of D = {d} need {(long)count * d}.", nameof(rows));
        Reserve(count);
        _count = count;
        var data = _storage.AsSpan(_offset, Pad(count) * d);
        int stride = d * BlockSize;
        for (int b = 0, first = 0; first < count; b++, first += BlockSize)
        {
            var block = data.Slice(b * stride, stride);
            int lanes = Math.Min(BlockSize, count - first);
            // The last block may hold an earlier load's vectors in its tail lanes; zero lanes keep padded scores 0.
            if (lanes < BlockSize) block.Clear();
            for (int i = 0; i < lanes; i++)
            {
                var row = rows.Slice((first + i) * d, d);
                for (int j = 0; j < d; j++) block[j * BlockSize + i] = row[j];
            }
        }
    }

    /// <summary>
    /// Scores every vector against every query: <c>scores[h · PaddedCount + l] = queries[h] · x_l</c>, zero for
    /// <c>l ≥ Count</c>. One pass over the data for all heads; allocates nothing.
    /// </summary>
    /// <param name="queries">Row-major <c>[heads, D]</c>, exactly <c>heads · D</c> values.</param>
    /// <param name="heads">Queries (attention heads), at least 1.</param>
    /// <param name="scores">Receives row-major <c>[heads, PaddedCount]</c>; may be longer (the rest is untouched).</param>
    /// <remarks>Float accumulation in dimension order: the error is at most <c>D · 2⁻²⁴ · Σ_d |u_d x_d|</c>, typically far less.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="heads"/> is below 1.</exception>
    /// <exception cref="ArgumentException">A span's length does not fit <paramref name="heads"/> and the layout.</exception>
    public void Score(ReadOnlySpan<float> queries, int heads, Span<float> scores) => Score(queries, heads, scores, SimdPath.Best);

    /// <summary><see cref="Score(ReadOnlySpan{float}, int, Span{float})"/> on a pinned code path (see <see cref="SimdPath"/>).</summary>
    internal void Score(ReadOnlySpan<float> queries, int heads, Span<float> scores, SimdPath path)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        int d = _dimension, padded = PaddedCount;
        if (queries.Length != (long)heads * d)
            throw new ArgumentException($"The queries hold {queries.Length} values; {heads} heads of D = {d} need {(long)heads * d}.", nameof(queries));
        if (scores.Length < (long)heads * padded)
            throw new ArgumentException($"The scores buffer holds {scores.Length} values; {heads} heads of {padded} padded behaviours need {(long)heads * padded}.", nameof(scores));
        if (padded == 0) return;

        path = SimdPaths.Resolve(path);
        ref float x = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_storage), _offset);
        ref float q = ref MemoryMarshal.GetReference(queries);
        ref float s = ref MemoryMarshal.GetReference(scores);
        int blocks = padded / BlockSize;
        if (heads <= 4)
        {
            ScoreGroup(path, heads, d, ref x, 0, blocks, ref q, ref s, padded);
            return;
        }
        int tile = Math.Max(1, TileBytes / sizeof(float) / (d * BlockSize));
        for (int first = 0; first < blocks; first += tile)
        {
            int n = Math.Min(tile, blocks - first);
            for (int h = 0; h < heads; h += 4)
            {
                int group = Math.Min(4, heads - h), pairs = group == 4 ? n / 2 : 0;
                ref float qh = ref Unsafe.Add(ref q, (nint)h * d);
                ref float sh = ref Unsafe.Add(ref s, (nint)h * padded);
                // The tile is in L1 after the first group: two blocks per pass load each query value once for both.
                if (pairs > 0) FourHeadsTwoBlocks(path, d, ref x, first, pairs, ref qh, ref sh, padded);
                if (2 * pairs < n) ScoreGroup(path, group, d, ref x, first + 2 * pairs, n - 2 * pairs, ref qh, ref sh, padded);
            }
        }
    }

    static int Pad(int count) => (int)(((long)count + BlockSize - 1) & ~(long)(BlockSize - 1));

    void Reserve(int count)
    {
        long padded = ((long)count + BlockSize - 1) & ~(long)(BlockSize - 1);
        if (_storage.Length != 0 && padded <= _capacity) return;
        // Grow by at least half again, so histories that lengthen a little per load do not reallocate every time.
        long target = Math.Max(padded, _capacity + (long)_capacity / 2);
        long limit = (Array.MaxLength - Alignment / sizeof(float)) / _dimension / BlockSize * BlockSize;
        if (padded > limit)
            throw new ArgumentOutOfRangeException(nameof(count), $"{count} vectors of D = {_dimension} do not fit one array.");
        target = Math.Min(target, limit);
        // Pinned so the 64-byte aligned offset stays aligned: a split load costs a second cache-line access.
        var storage = GC.AllocateUninitializedArray<float>((int)(target * _dimension) + Alignment / sizeof(float), pinned: true);
        long address = Marshal.UnsafeAddrOfPinnedArrayElement(storage, 0).ToInt64();
        _offset = (int)((Alignment - (address & (Alignment - 1))) & (Alignment - 1)) / sizeof(float);
        _storage = storage;
        _capacity = (int)target;
    }

    static void ScoreGroup(SimdPath path, int group, int d, ref float x, int first, int blocks, ref float q, ref float s, int padded)
    {
        switch (group)
        {
            case 4: Kernel<Four>(path, d, ref x, first, blocks, ref q, ref s, padded); break;
            case 3: Kernel<Three>(path, d, ref x, first, blocks, ref q, ref s, padded); break;
            case 2: Kernel<Two>(path, d, ref x, first, blocks, ref q, ref s, padded); break;
            default: Kernel<One>(path, d, ref x, first, blocks, ref q, ref s, padded); break;
        }
    }

    static void Kernel<THeads>(SimdPath path, int d, ref float x, int first, int blocks, ref float q, ref float s, int padded)
        where THeads : struct, IHeadCount
    {
        if (path == SimdPath.Vector512) Kernel<THeads, Lanes512>(d, ref x, first, blocks, ref q, ref s, padded);
        else if (path == SimdPath.Vector256) Kernel<THeads, Lanes256>(d, ref x, first, blocks, ref q, ref s, padded);
        else Kernel<THeads, Lanes1>(d, ref x, first, blocks, ref q, ref s, padded);
    }

    // One block at a time, so the data is a single sequential stream: interleaving two or more blocks (4 KB apart at
    // D = 64) measured twice as slow from DRAM, as the hardware prefetcher then tracks several short streams. A block's
    // 16 lanes are one 512-bit vector, or taken in slices of narrower vectors one after the other: the first slice
    // streams the block from memory and the others find it in L1. The FMA latency is hidden by splitting the
    // dimensions: 4 heads × 2 dimension phases (or 2 heads × 4) give 8 independent chains. The query values are
    // broadcast straight from memory into the FMA. THeads and TLanes are constants after specialization, so the code
    // of unused heads and phases disappears.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Kernel<THeads, TLanes>(int d, ref float x, int first, int blocks, ref float q, ref float s, int padded)
        where THeads : struct, IHeadCount
        where TLanes : struct, IFloatLanes<TLanes>
    {
        int n = THeads.Count;
        int phases = n <= 2 ? 4 : 2;
        nint stride = (nint)d * BlockSize;
        nuint p1 = (nuint)padded, p2 = 2 * p1, p3 = 3 * p1;
        ref float q0 = ref q;
        ref float q1 = ref Unsafe.Add(ref q, n > 1 ? d : 0);
        ref float q2 = ref Unsafe.Add(ref q, n > 2 ? 2 * d : 0);
        ref float q3 = ref Unsafe.Add(ref q, n > 3 ? 3 * d : 0);
        // b and the block's lane slice as one loop: a 512-bit vector is the whole block, narrower ones take slices in turn.
        for (int step = first * BlockSize, end = (first + blocks) * BlockSize; step < end; step += TLanes.Count)
        {
            int b = step / BlockSize;
            nuint slice = (nuint)(step % BlockSize);
            ref float xb = ref Unsafe.Add(ref Unsafe.Add(ref x, b * stride), slice);
            // Head h accumulates in a_h and c_h; with at most 2 heads, also in a_(h+2) and c_(h+2).
            TLanes a0 = default, a1 = default, a2 = default, a3 = default;
            TLanes c0 = default, c1 = default, c2 = default, c3 = default;
            int j = 0;
            nuint o = 0;
            for (; j + phases <= d; j += phases, o += (nuint)(phases * BlockSize))
            {
                var v0 = TLanes.Load(ref xb, o);
                var v1 = TLanes.Load(ref xb, o + BlockSize);
                a0 = TLanes.FusedMultiplyAdd(TLanes.Create(Unsafe.Add(ref q0, j)), v0, a0);
                c0 = TLanes.FusedMultiplyAdd(TLanes.Create(Unsafe.Add(ref q0, j + 1)), v1, c0);
                if (n > 1)
                {
                    a1 = TLanes.FusedMultiplyAdd(TLanes.Create(Unsafe.Add(ref q1, j)), v0, a1);
                    c1 = TLanes.FusedMultiplyAdd(TLanes.Create(Unsafe.Add(ref q1, j + 1)), v1, c1);
                }
                if (n > 2)
                {
                    a2 = TLanes.FusedMultiplyAdd(TLanes.Create(Unsafe.Add(ref q2, j)), v0, a2);
                    c2 = TLanes.FusedMultiplyAdd(TLanes.Create(Unsafe.Add(ref q2, j + 1)), v1, c2);
                }
                if (n > 3)
                {
                    a3 = TLanes.FusedMultiplyAdd(TLanes.Create(Unsafe.Add(ref q3, j)), v0, a3);
                    c3 = TLanes.FusedMultiplyAdd(TLanes.Create(Unsafe.Add(ref q3, j + 1)), v1, c3);
                }
                if (n <= 2)
                {
                    var v2 = TLanes.Load(ref xb, o + 2 * BlockSize);
                    var v3 = TLanes.Load(ref xb, o + 3 * BlockSize);
                    a2 = TLanes.FusedMultiplyAdd(TLanes.Create(Unsafe.Add(ref q0, j + 2)), v2, a2);
                    c2 = TLanes.FusedMultiplyAdd(TLanes.Create(Unsafe.Add(ref q0, j + 3)), v3, c2);
                    if (n > 1)
                    {
                        a3 = TLanes.FusedMultiplyAdd(TLanes.Create(Unsafe.Add(ref q1, j + 2)), v2, a3);
                        c3 = TLanes.FusedMultiplyAdd(TLanes.Create(Unsafe.Add(ref q1, j + 3)), v3, c3);
                    }
                }
            }
            for (; j < d; j++, o += BlockSize)
            {
                var v = TLanes.Load(ref xb, o);
                a0 = TLanes.FusedMultiplyAdd(TLanes.Create(Unsafe.Add(ref q0, j)), v, a0);
                if (n > 1) a1 = TLanes.FusedMultiplyAdd(TLanes.Create(Unsafe.Add(ref q1, j)), v, a1);
                if (n > 2) a2 = TLanes.FusedMultiplyAdd(TLanes.Create(Unsafe.Add(ref q2, j)), v, a2);
                if (n > 3) a3 = TLanes.FusedMultiplyAdd(TLanes.Create(Unsafe.Add(ref q3, j)), v, a3);
            }
            ref float row = ref Unsafe.Add(ref s, step);
            if (n <= 2)
            {
                ((a0 + c0) + (a2 + c2)).Store(ref row, 0);
                if (n > 1) ((a1 + c1) + (a3 + c3)).Store(ref row, p1);
            }
            else
            {
                (a0 + c0).Store(ref row, 0);
                (a1 + c1).Store(ref row, p1);
                (a2 + c2).Store(ref row, p2);
                if (n > 3) (a3 + c3).Store(ref row, p3);
            }
        }
    }

    interface IHeadCount { static abstract int Count { get; } }
    struct One : IHeadCount { public static int Count => 1; }
    struct Two : IHeadCount { public static int Count => 2; }
    struct Three : IHeadCount { public static int Count => 3; }
    struct Four : IHeadCount { public static int Count => 4; }
}
