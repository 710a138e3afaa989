using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Seminar.MLNet.Quantization.FastScan;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// Approximate top-K retrieval over the item/query decomposition (<see cref="PairDecomposition"/>): the item part by
/// the 4-bit fast scan of the history's catalog codes, the query part exact per distinct token, the
/// <see cref="Shortlist"/> best approximate scores re-ranked exactly on the catalog's float rows (or a user's own rows,
/// as floats or as bytes: <see cref="Int8Rows"/>).
/// </summary>
/// <remarks>
/// Approximate score of behaviour j in slot s: <c>w_s (Scale · sum_j + Bias) + part_s</c>, one multiply-add per
/// behaviour with two constants per run of the grouped history, kept as a 16-bit key so the shortlist is the byte
/// histogram selection of <see cref="ShortlistReranker"/>. Holds its buffers between calls (they grow to the
/// longest history seen); not thread-safe: one per thread.
/// </remarks>
internal sealed class DecomposedRetriever
{
    readonly CatalogCodes _catalog;
    readonly PairDecomposition _pairs;
    readonly QuantizedLookupTables _tables;
    readonly TopKSelector _topSelector;
    readonly ShortlistReranker _reranker;
    readonly FourBitCodes _gathered;
    readonly int[] _positions, _everyone;
    readonly float[] _exact;
    short[] _request = Array.Empty<short>();
    ushort[] _sums = Array.Empty<ushort>(), _keys = Array.Empty<ushort>();
    float[] _tokenDots = Array.Empty<float>(), _parts = Array.Empty<float>(), _offsets = Array.Empty<float>();

    /// <summary>A retriever returning <paramref name="k"/> behaviours from a shortlist of <paramref name="shortlist"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1 or above <paramref name="shortlist"/>.</exception>
    /// <exception cref="ArgumentException">The codes and the decomposition disagree on the catalog.</exception>
    public DecomposedRetriever(CatalogCodes catalog, PairDecomposition pairs, int k, int shortlist)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shortlist, k);
        if (catalog.Count != pairs.ItemCount || catalog.Quantizer.Dimension != pairs.Dimension)
            throw new ArgumentException($"The catalog codes hold {catalog.Count} items of D = {catalog.Quantizer.Dimension}; the item table {pairs.ItemCount} of D = {pairs.Dimension}.", nameof(pairs));
        _catalog = catalog;
        _pairs = pairs;
        K = k;
        Shortlist = shortlist;
        _tables = new QuantizedLookupTables(catalog.Quantizer);
        _reranker = new ShortlistReranker(shortlist, k);
        _topSelector = new TopKSelector(k);
        _gathered = new FourBitCodes(catalog.SubSpaces);
        _positions = new int[k];
        _exact = new float[shortlist];
        _everyone = Enumerable.Range(0, shortlist).ToArray();
    }

    /// <summary>Names of the stages <see cref="StageTicks"/> accumulates, in order.</summary>
    internal static readonly string[] StageNames = { "gather", "query_parts", "lookup_tables", "scan", "combine", "shortlist", "rerank" };

    /// <summary>When set, each call adds its stages' <see cref="System.Diagnostics.Stopwatch"/> ticks here (for the bench's breakdown).</summary>
    internal long[]? StageTicks { get; set; }

    /// <summary>Behaviours returned.</summary>
    public int K { get; }
    /// <summary>Behaviours re-ranked exactly (K').</summary>
    public int Shortlist { get; }

    /// <summary>Gathers the history's codes from the catalog, then <see cref="Retrieve(ReadOnlySpan{float}, FourBitCodes, DecomposedHistory, Span{int})"/>.</summary>
    public int RetrieveGathered(ReadOnlySpan<float> u, DecomposedHistory history, Span<int> top)
    {
        Gather(history);
        return Retrieve(u, _gathered, history, top);
    }

    /// <summary>Gathers the history's codes from the catalog, then <see cref="Retrieve(ReadOnlySpan{float}, FourBitCodes, DecomposedHistory, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{int})"/> on the catalog's rows.</summary>
    public int RetrieveGathered(ReadOnlySpan<float> u, DecomposedHistory history, ReadOnlySpan<float> parts, Span<int> top)
    {
        Gather(history);
        return Retrieve(u, _gathered, history, parts, ReadOnlySpan<float>.Empty, top);
    }

    void Gather(DecomposedHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        long clock = StageTicks == null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        _catalog.Gather(history.Items, _gathered);
        Lap(StageTicks, 0, ref clock);
    }

    /// <summary>
    /// The approximate top-<c>min(K, Count)</c> of <paramref name="history"/> for request vector <paramref name="u"/>:
    /// grouped behaviour indices, best first by exact score. The query parts are computed per distinct token and the
    /// re-rank reads the catalog's float rows.
    /// </summary>
    /// <param name="u">The request vector (D).</param>
    /// <param name="codes">The history's codes in grouped order (<see cref="CatalogCodes.Gather(ReadOnlySpan{int}, FourBitCodes)"/> of its items).</param>
    /// <param name="history">The history.</param>
    /// <param name="top">Receives the indices.</param>
    /// <returns>How many were written.</returns>
    /// <exception cref="ArgumentException">The codes are not the history's length or <paramref name="top"/> is short.</exception>
    public int Retrieve(ReadOnlySpan<float> u, FourBitCodes codes, DecomposedHistory history, Span<int> top)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (_tokenDots.Length <= history.DistinctTokens.Length) _tokenDots = new float[history.DistinctTokens.Length + 1];
        if (_parts.Length < history.Slots) _parts = new float[history.Slots];
        var parts = _parts.AsSpan(0, history.Slots);
        long clock = StageTicks == null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        _pairs.QueryParts(u, history, _tokenDots, parts);
        Lap(StageTicks, 1, ref clock);
        return Retrieve(u, codes, history, parts, ReadOnlySpan<float>.Empty, top);
    }

    /// <summary>
    /// <see cref="Retrieve(ReadOnlySpan{float}, FourBitCodes, DecomposedHistory, Span{int})"/> with the query parts
    /// given (e.g. from one blocked product for many request vectors) and, optionally, the history's own item rows to
    /// re-rank on: <c>[Count, D]</c> in grouped order, or empty for the catalog's rows.
    /// </summary>
    public int Retrieve(ReadOnlySpan<float> u, FourBitCodes codes, DecomposedHistory history, ReadOnlySpan<float> parts, ReadOnlySpan<float> rerankRows, Span<int> top)
    {
        Check(codes, history, parts, top);
        int n = history.Count, d = _pairs.Dimension;
        if (!rerankRows.IsEmpty && rerankRows.Length < (long)n * d)
            throw new ArgumentException($"The re-rank rows hold {rerankRows.Length} values; {n} rows of D = {d} need {(long)n * d}.", nameof(rerankRows));
        if (n == 0) return 0;
        long clock = StageTicks == null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        var listed = List(u, codes, history, parts, ref clock);
        var items = history.Items;
        var catalog = _pairs.Items;
        var slots = history.SlotOfEach;
        // Every listed row's cache lines (and its slot's) requested first: the misses overlap instead of queueing behind the dots.
        foreach (int j in listed)
        {
            CacheLines.Prefetch(rerankRows.IsEmpty ? catalog.Slice(items[j] * d, d) : rerankRows.Slice(j * d, d));
            CacheLines.Prefetch(ref Unsafe.AsRef(in slots[j]));
        }
        for (int i = 0; i < listed.Length; i++)
        {
            int j = listed[i];
            int slot = slots[j];
            var row = rerankRows.IsEmpty ? catalog.Slice(items[j] * d, d) : rerankRows.Slice(j * d, d);
            _exact[i] = MathF.FusedMultiplyAdd(_pairs.ItemWeight(slot), RowDots.Dot(u, row), parts[slot]);
        }
        return Finish(listed, top, ref clock);
    }

    /// <summary>
    /// <see cref="Retrieve(ReadOnlySpan{float}, FourBitCodes, DecomposedHistory, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{int})"/>
    /// re-ranking on the history's own item rows as bytes (<paramref name="rows"/>: row j the item of behaviour j in
    /// grouped order), one cache line per behaviour at D = 64: the shortlist's scores are then within the bytes'
    /// rounding of exact.
    /// </summary>
    /// <exception cref="ArgumentException">As the float overload, or the rows are not one per behaviour of D.</exception>
    public int Retrieve(ReadOnlySpan<float> u, FourBitCodes codes, DecomposedHistory history, ReadOnlySpan<float> parts, Int8Rows rows, Span<int> top)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Check(codes, history, parts, top);
        int n = history.Count;
        if (rows.Count != n || rows.Dimension != _pairs.Dimension)
            throw new ArgumentException($"The byte rows hold {rows.Count} rows of D = {rows.Dimension}; the history {n} behaviours of D = {_pairs.Dimension}.", nameof(rows));
        if (n == 0) return 0;
        long clock = StageTicks == null ? 0 : System.Diagnostics.Stopwatch.GetTimestamp();
        var listed = List(u, codes, history, parts, ref clock);
        if (_request.Length < rows.Stride) _request = new short[rows.Stride];
        float factor = rows.PrepareRequest(u, _request);
        var request = _request.AsSpan(0, rows.Stride);
        var slots = history.SlotOfEach;
        foreach (int j in listed)
        {
            rows.Prefetch(j);
            CacheLines.Prefetch(ref Unsafe.AsRef(in slots[j]));
        }
        for (int i = 0; i < listed.Length; i++)
        {
            int j = listed[i], slot = slots[j];
            _exact[i] = MathF.FusedMultiplyAdd(_pairs.ItemWeight(slot), factor * Int8Rows.Dot(request, rows.PaddedRow(j)), parts[slot]);
        }
        return Finish(listed, top, ref clock);
    }

    void Check(FourBitCodes codes, DecomposedHistory history, ReadOnlySpan<float> parts, Span<int> top)
    {
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(history);
        int n = history.Count;
        if (codes.Count != n) throw new ArgumentException($"The codes hold {codes.Count} behaviours; the history {n}.", nameof(codes));
        if (top.Length < Math.Min(K, n)) throw new ArgumentException($"The output holds {top.Length} indices; {Math.Min(K, n)} are returned.", nameof(top));
        if (parts.Length < history.Slots) throw new ArgumentException($"The query parts hold {parts.Length} values; the history has {history.Slots} slots.", nameof(parts));
    }

    // The shortlist: lookup tables, scan, keys and selection; a history no longer than the shortlist is listed whole.
    ReadOnlySpan<int> List(ReadOnlySpan<float> u, FourBitCodes codes, DecomposedHistory history, ReadOnlySpan<float> parts, ref long clock)
    {
        int n = history.Count;
        // Vector passes may run a few lanes past a run's end (see Combine): slack keeps them inside the buffers.
        if (_sums.Length < codes.PaddedCount + Slack) _sums = new ushort[codes.PaddedCount + Slack];
        if (_keys.Length < n + Slack) _keys = new ushort[n + Slack];
        // A history no longer than the shortlist is listed whole, in index order, whatever the keys say: skip them.
        if (n <= Shortlist) return _everyone.AsSpan(0, n);
        var ticks = StageTicks;
        _tables.Build(u);
        Lap(ticks, 2, ref clock);
        // The combine reads every behaviour's slot next: the scan brings those lines in as it goes.
        FastScan.FastScan.Scan(codes, _tables, _sums, history.SlotOfEachPadded);
        Lap(ticks, 3, ref clock);
        Combine(_sums, history, _tables.Scale, _tables.Bias, parts, _keys, SimdPath.Best);
        Lap(ticks, 4, ref clock);
        var listed = _reranker.SelectShortlist(_keys, n);
        Lap(ticks, 5, ref clock);
        return listed;
    }

    // The K best of the listed behaviours' re-ranked scores (in _exact), best first, as behaviour indices.
    int Finish(ReadOnlySpan<int> listed, Span<int> top, ref long clock)
    {
        int kept = _topSelector.Select(_exact.AsSpan(0, listed.Length), _positions);
        for (int r = 0; r < kept; r++) top[r] = listed[_positions[r]];
        Lap(StageTicks, 6, ref clock);
        return kept;
    }

    /// <summary>Values the sums and keys buffers of <see cref="Combine"/> must hold past the history: one vector of the widest path.</summary>
    internal const int Slack = 16;

    static void Lap(long[]? ticks, int stage, ref long clock)
    {
        if (ticks == null) return;
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        ticks[stage] += now - clock;
        clock = now;
    }

    /// <summary>
    /// The approximate scores of a grouped history as 16-bit keys for the shortlist: score
    /// <c>(w_s · scale) · sums[j] + (w_s · bias + parts[s])</c> mapped linearly from [lo, hi] (the least and most any
    /// behaviour can score) onto [0, 65535], so the keys order as the scores do to within one key step, a fraction of
    /// the lookup tables' own step. Every path gives the same keys (the same fused operations per lane).
    /// </summary>
    /// <param name="sums">The scan's sums, readable <see cref="Slack"/> values past the history.</param>
    /// <param name="history">The history.</param>
    /// <param name="scale">The lookup tables' step.</param>
    /// <param name="bias">The lookup tables' bias.</param>
    /// <param name="parts">Each slot's query part.</param>
    /// <param name="keys">Receives one key per behaviour; writable <see cref="Slack"/> values past the history.</param>
    /// <param name="path">Vector or scalar.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void Combine(ReadOnlySpan<ushort> sums, DecomposedHistory history, float scale, float bias, ReadOnlySpan<float> parts, Span<ushort> keys, SimdPath path)
    {
        var runs = history.RunStart;
        int slots = runs.Length - 1;
        float most = 255f * _catalog.SubSpaces, w = _pairs.ItemWeight(1);
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        if (runs[1] > 0)
        {
            lo = bias + parts[0];
            hi = MathF.FusedMultiplyAdd(scale, most, lo);
        }
        // Query slots are never empty and share their weight, so their extremes are those of the parts.
        if (slots > 1)
        {
            var queryParts = parts[1..slots];
            float least = MathF.FusedMultiplyAdd(w, bias, TensorPrimitives.Min(queryParts));
            float largest = MathF.FusedMultiplyAdd(w, bias, TensorPrimitives.Max(queryParts));
            lo = MathF.Min(lo, least);
            hi = MathF.Max(hi, MathF.FusedMultiplyAdd(w * scale, most, largest));
        }
        float step = hi > lo ? 65535f / (hi - lo) : 0;
        // Per slot the key is a · sum + b_s: a shared by all query slots, b_s its own. The offsets go first in one
        // tight pass over the slots, so the pass over behaviours only looks its slot's up.
        // Slack: a vector pass loads a whole vector of offsets from a lane's slot on.
        if (_offsets.Length < slots + Slack) _offsets = new float[slots + Slack];
        var offsets = _offsets.AsSpan(0, slots);
        offsets[0] = (bias + parts[0] - lo) * step;
        for (int s = 1; s < slots; s++) offsets[s] = (MathF.FusedMultiplyAdd(w, bias, parts[s]) - lo) * step;
        float browse = scale * step, query = w * scale * step;
        int browses = runs[1], n = history.Count;
        var slotOf = history.SlotOfEachPadded;
        var resolved = SimdPaths.Resolve(path);
        if (resolved == SimdPath.Scalar || !Avx2.IsSupported || (resolved == SimdPath.Vector512 && !Avx512F.IsSupported))
        {
            KeysScalar(sums, keys, 0, browses, browse, offsets, slotOf);
            KeysScalar(sums, keys, browses, n, query, offsets, slotOf);
            return;
        }
        ref ushort source = ref MemoryMarshal.GetReference(sums);
        ref ushort target = ref MemoryMarshal.GetReference(keys);
        ref int slot = ref MemoryMarshal.GetReference(slotOf);
        ref float offset = ref MemoryMarshal.GetReference(_offsets.AsSpan());
        if (resolved == SimdPath.Vector512) Keys<Keys512>(ref source, ref target, browses, n, ref offset, ref slot, browse, query);
        else Keys<Keys256>(ref source, ref target, browses, n, ref offset, ref slot, browse, query);
    }

    // Browses first, one constant offset; then the query behaviours. Query runs are short (a few behaviours per distinct
    // query), so a pass run by run did a whole vector per run, most of it wasted (2,000 runs in 10,000 behaviours: 4x the
    // vectors). Slots are consecutive along the grouped order and query slots are never empty, so the lanes of one vector
    // span at most as many slots as lanes: one load of the offsets from the first lane's slot on and a permute by
    // (slot - first) give every lane its offset, where a hardware gather measured three times slower than the runs.
    // Whole vectors from each range's start: the browses' last may run into the query range, which is written after and
    // overwrites it; past the end it lands in the slack, whose slots read as 0.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Keys<TKeys>(ref ushort source, ref ushort target, int browses, int n, ref float offsets, ref int slot, float browse, float query)
        where TKeys : struct, IKeyLanes
    {
        for (int i = 0; i < browses; i += TKeys.Count) TKeys.Keys(ref source, ref target, (nuint)i, browse, offsets);
        for (int i = browses; i < n; i += TKeys.Count) TKeys.KeysPermuted(ref source, ref target, (nuint)i, query, ref offsets, ref slot);
    }

    /// <summary>One vector of keys: <c>clamp(a · sum + b, 0, 65535)</c> truncated, per lane as <see cref="KeysScalar"/>.</summary>
    interface IKeyLanes
    {
        static abstract int Count { get; }
        /// <summary>Keys of the lanes from <paramref name="i"/> with one offset <paramref name="b"/>.</summary>
        static abstract void Keys(ref ushort source, ref ushort target, nuint i, float a, float b);
        /// <summary>
        /// Keys of the lanes from <paramref name="i"/>, each lane's offset <c>offsets[slot[i + lane]]</c>, where the lanes'
        /// slots lie within <see cref="Count"/> of the first lane's and <paramref name="offsets"/> is readable that far.
        /// </summary>
        static abstract void KeysPermuted(ref ushort source, ref ushort target, nuint i, float a, ref float offsets, ref int slot);
    }

    readonly struct Keys256 : IKeyLanes
    {
        public static int Count => Vector256<float>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Keys(ref ushort source, ref ushort target, nuint i, float a, float b) => Store(ref source, ref target, i, a, Vector256.Create(b));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void KeysPermuted(ref ushort source, ref ushort target, nuint i, float a, ref float offsets, ref int slot)
        {
            int first = Unsafe.Add(ref slot, i);
            var lanes = Vector256.LoadUnsafe(ref slot, i) - Vector256.Create(first);
            Store(ref source, ref target, i, a, Avx2.PermuteVar8x32(Vector256.LoadUnsafe(ref offsets, (nuint)first), lanes));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Store(ref ushort source, ref ushort target, nuint i, float a, Vector256<float> b)
        {
            var (lower, upper) = Vector128.Widen(Vector128.LoadUnsafe(ref source, i));
            var values = Vector256.ConvertToSingle(Vector256.Create(lower, upper).AsInt32());
            var key = Vector256.ConvertToInt32Native(Vector256.MinNative(Vector256.MaxNative(Vector256.FusedMultiplyAdd(Vector256.Create(a), values, b), Vector256<float>.Zero), Vector256.Create(65535f)));
            Vector128.Narrow(key.GetLower().AsUInt32(), key.GetUpper().AsUInt32()).StoreUnsafe(ref target, i);
        }
    }

    readonly struct Keys512 : IKeyLanes
    {
        public static int Count => Vector512<float>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Keys(ref ushort source, ref ushort target, nuint i, float a, float b) => Store(ref source, ref target, i, a, Vector512.Create(b));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void KeysPermuted(ref ushort source, ref ushort target, nuint i, float a, ref float offsets, ref int slot)
        {
            int first = Unsafe.Add(ref slot, i);
            var lanes = Vector512.LoadUnsafe(ref slot, i) - Vector512.Create(first);
            Store(ref source, ref target, i, a, Avx512F.PermuteVar16x32(Vector512.LoadUnsafe(ref offsets, (nuint)first), lanes));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        static void Store(ref ushort source, ref ushort target, nuint i, float a, Vector512<float> b)
        {
            var (lower, upper) = Vector256.Widen(Vector256.LoadUnsafe(ref source, i));
            var values = Vector512.ConvertToSingle(Vector512.Create(lower, upper).AsInt32());
            var key = Vector512.ConvertToInt32Native(Vector512.MinNative(Vector512.MaxNative(Vector512.FusedMultiplyAdd(Vector512.Create(a), values, b), Vector512<float>.Zero), Vector512.Create(65535f)));
            Vector256.Narrow(key.GetLower().AsUInt32(), key.GetUpper().AsUInt32()).StoreUnsafe(ref target, i);
        }
    }

    static void KeysScalar(ReadOnlySpan<ushort> sums, Span<ushort> keys, int from, int to, float a, ReadOnlySpan<float> offsets, ReadOnlySpan<int> slotOf)
    {
        for (int i = from; i < to; i++) keys[i] = (ushort)(int)Math.Clamp(MathF.FusedMultiplyAdd(a, sums[i], offsets[slotOf[i]]), 0f, 65535f);
    }
}
