using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Quantization;

/// <summary>Which scan <see cref="PqRetriever"/> runs.</summary>
enum PqScanKernel
{
    /// <summary>The byte-table scan where the CPU has it (AVX-512 VBMI) and the history is longer than 2K; else the float scan.</summary>
    Auto,
    /// <summary>Always the float scan (the reference semantics).</summary>
    Float,
}

/// <summary>
/// Approximate GSU for one request at a time: builds the lookup tables from the per-head request vectors, scans
/// every behaviour's codes and keeps each head's top-K by approximate relevance <c>Σ_s LUT[h][s][code]</c> (float
/// sums in sub-space order), best first, ties to the earlier behaviour — the order ONNX TopK gives.
/// Long histories on AVX-512 VBMI run the byte scan first, over the low and the high bytes of 16-bit tables: its integer
/// sums are within S/2 units of the scaled float sums, so every behaviour of the float top-K scores at least θ − S
/// (θ the K-th best integer sum), and only those candidates are summed in float. The result equals the float scan's.
/// Not thread-safe: one per thread.
/// </summary>
sealed class PqRetriever
{
    readonly PqCodebooks _books;
    readonly PqLookupTables _tables;
    readonly TopKSelector _selector;
    readonly int[] _order;
    float[] _floatScores = Array.Empty<float>(), _candidateScores = Array.Empty<float>();
    ushort[] _lowScores = Array.Empty<ushort>(), _highScores = Array.Empty<ushort>();
    float[] _wideScores = Array.Empty<float>();
    int[] _candidates = Array.Empty<int>();

    public PqRetriever(PqCodebooks books, int heads, int topK)
    {
        _books = books ?? throw new ArgumentNullException(nameof(books));
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        TopK = topK;
        _tables = new PqLookupTables(books, heads);
        _selector = new TopKSelector(topK);
        _order = new int[topK];
    }

    /// <summary>Behaviours kept per head (K).</summary>
    public int TopK { get; }
    /// <summary>Heads H.</summary>
    public int Heads => _tables.Heads;
    /// <summary>The scan to run (tests and benchmarks pin it).</summary>
    public PqScanKernel Kernel { get; set; } = PqScanKernel.Auto;
    /// <summary>The lookup tables of the last request.</summary>
    public PqLookupTables Tables => _tables;

    /// <summary>
    /// Keeps each head's top min(K, n) behaviours of <paramref name="codes"/>' n. <paramref name="kept"/> is <c>[H][K]</c>:
    /// head h's kept behaviour indices, best first, from <c>kept[h·K]</c>. Returns min(K, n).
    /// </summary>
    /// <param name="u">Per-head request vectors <c>[H, D]</c>.</param>
    /// <param name="codes">The history's codes.</param>
    /// <param name="kept">Receives the kept indices.</param>
    public int Retrieve(ReadOnlySpan<float> u, PqCodeBlocks codes, Span<int> kept)
    {
        ArgumentNullException.ThrowIfNull(codes);
        if (codes.SubSpaces != _books.SubSpaces) throw new ArgumentException($"The codes have {codes.SubSpaces} sub-spaces; the codebooks {_books.SubSpaces}.", nameof(codes));
        if (kept.Length < Heads * TopK) throw new ArgumentException($"The kept buffer holds {kept.Length}; expected {Heads * TopK}.", nameof(kept));
        int n = codes.Count, k = Math.Min(TopK, n);
        _tables.Build(u);
        if (n == 0) return 0;
        bool bytes = Kernel == PqScanKernel.Auto && PqScan.BytesSupported && n > 2 * TopK && _books.SubSpaces <= PqLookupTables.MaxQuantizedSubSpaces;
        if (bytes) RetrieveBytes(codes, n, k, kept);
        else RetrieveFloat(codes, n, kept);
        return k;
    }

    void RetrieveFloat(PqCodeBlocks codes, int n, Span<int> kept)
    {
        if (_floatScores.Length < Heads * n) _floatScores = new float[Math.Max(Heads * n, 2 * _floatScores.Length)];
        PqScan.Float(codes, n, _tables, _floatScores, n);
        for (int h = 0; h < Heads; h++) _selector.Select(_floatScores.AsSpan(h * n, n), kept.Slice(h * TopK, TopK));
    }

    void RetrieveBytes(PqCodeBlocks codes, int n, int k, Span<int> kept)
    {
        _tables.Quantize();
        int padded = codes.PaddedCount;
        if (_lowScores.Length < Heads * padded)
        {
            int size = Math.Max(Heads * padded, 2 * _lowScores.Length);
            _lowScores = new ushort[size];
            _highScores = new ushort[size];
        }
        if (_wideScores.Length < n) _wideScores = new float[Math.Max(n, 2 * _wideScores.Length)];
        PqScan.Bytes(codes, _tables.QuantizedLow, Heads, _lowScores);
        PqScan.Bytes(codes, _tables.QuantizedHigh, Heads, _highScores);
        for (int h = 0; h < Heads; h++)
        {
            // 256·high + low < 2^24: exact in float, so the float selector ranks the 16-bit sums.
            var wide = _wideScores.AsSpan(0, n);
            PqScan.Combine(_lowScores.AsSpan(h * padded, n), _highScores.AsSpan(h * padded, n), wide);
            _selector.Select(wide, _order);
            float threshold = wide[_order[k - 1]] - _books.SubSpaces - 1;
            int count = Candidates(wide, threshold);
            for (int c = 0; c < count; c++) _candidateScores[c] = PqScan.FloatOne(codes, _candidates[c], _tables, h);
            // Candidates are in behaviour order, so the selector's lower-position tie rule is the lower-behaviour rule.
            var slot = kept.Slice(h * TopK, TopK);
            _selector.Select(_candidateScores.AsSpan(0, count), slot);
            for (int j = 0; j < k; j++) slot[j] = _candidates[slot[j]];
        }
    }

    /// <summary>Collects, in order, the behaviours whose integer sum is at least <paramref name="threshold"/>.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    int Candidates(ReadOnlySpan<float> q, float threshold)
    {
        if (_candidates.Length < q.Length)
        {
            _candidates = new int[Math.Max(q.Length, 2 * _candidates.Length)];
            _candidateScores = new float[_candidates.Length];
        }
        int count = 0, l = 0;
        ref float first = ref MemoryMarshal.GetReference(q);
        var bound = Vector512.Create(threshold);
        for (; l + Vector512<float>.Count <= q.Length; l += Vector512<float>.Count)
        {
            ulong mask = Vector512.GreaterThanOrEqual(Vector512.LoadUnsafe(ref first, (nuint)l), bound).ExtractMostSignificantBits();
            while (mask != 0)
            {
                _candidates[count++] = l + BitOperations.TrailingZeroCount(mask);
                mask &= mask - 1;
            }
        }
        for (; l < q.Length; l++)
            if (q[l] >= threshold) _candidates[count++] = l;
        return count;
    }
}
