using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Seminar.MLNet.Quantization.FastScan;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// Approximate top-K retrieval over the item/query decomposition (<see cref="PairDecomposition"/>): the item part by
/// the 4-bit fast scan of the history's catalog codes, the query part exact per distinct token, the
/// <see cref="Shortlist"/> best approximate scores re-ranked exactly on the catalog's float rows.
/// </summary>
/// <remarks>
/// Approximate score of behaviour j in slot s: <c>w_s (Scale · sum_j + Bias) + part_s</c>, one multiply-add per
/// behaviour with two constants per run of the grouped history. Holds its buffers between calls (they grow to the
/// longest history seen); not thread-safe: one per thread.
/// </remarks>
internal sealed class DecomposedRetriever
{
    readonly CatalogCodes _catalog;
    readonly PairDecomposition _pairs;
    readonly QuantizedLookupTables _tables;
    readonly TopKSelector _shortlistSelector, _topSelector;
    readonly FourBitCodes _gathered;
    readonly int[] _listed, _positions;
    readonly float[] _exact;
    ushort[] _sums = Array.Empty<ushort>();
    float[] _approximate = Array.Empty<float>(), _tokenDots = Array.Empty<float>(), _parts = Array.Empty<float>();

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
        _shortlistSelector = new TopKSelector(shortlist);
        _topSelector = new TopKSelector(k);
        _gathered = new FourBitCodes(catalog.SubSpaces);
        _listed = new int[shortlist];
        _positions = new int[k];
        _exact = new float[shortlist];
    }

    /// <summary>Behaviours returned.</summary>
    public int K { get; }
    /// <summary>Behaviours re-ranked exactly (K').</summary>
    public int Shortlist { get; }

    /// <summary>Gathers the history's codes from the catalog, then <see cref="Retrieve(ReadOnlySpan{float}, FourBitCodes, DecomposedHistory, Span{int})"/>.</summary>
    public int RetrieveGathered(ReadOnlySpan<float> u, DecomposedHistory history, Span<int> top)
    {
        ArgumentNullException.ThrowIfNull(history);
        _catalog.Gather(history.Items, _gathered);
        return Retrieve(u, _gathered, history, top);
    }

    /// <summary>
    /// The approximate top-<c>min(K, Count)</c> of <paramref name="history"/> for request vector <paramref name="u"/>:
    /// grouped behaviour indices, best first by exact score.
    /// </summary>
    /// <param name="u">The request vector (D).</param>
    /// <param name="codes">The history's codes in grouped order (<see cref="CatalogCodes.Gather(ReadOnlySpan{int}, FourBitCodes)"/> of its items).</param>
    /// <param name="history">The history.</param>
    /// <param name="top">Receives the indices.</param>
    /// <returns>How many were written.</returns>
    /// <exception cref="ArgumentException">The codes are not the history's length or <paramref name="top"/> is short.</exception>
    public int Retrieve(ReadOnlySpan<float> u, FourBitCodes codes, DecomposedHistory history, Span<int> top)
    {
        ArgumentNullException.ThrowIfNull(codes);
        ArgumentNullException.ThrowIfNull(history);
        int n = history.Count;
        if (codes.Count != n) throw new ArgumentException($"The codes hold {codes.Count} behaviours; the history {n}.", nameof(codes));
        if (top.Length < Math.Min(K, n)) throw new ArgumentException($"The output holds {top.Length} indices; {Math.Min(K, n)} are returned.", nameof(top));
        if (n == 0) return 0;
        if (_sums.Length < codes.PaddedCount) _sums = new ushort[codes.PaddedCount];
        if (_approximate.Length < n) _approximate = new float[n];
        if (_tokenDots.Length < history.DistinctTokens.Length) _tokenDots = new float[history.DistinctTokens.Length];
        if (_parts.Length < history.Slots) _parts = new float[history.Slots];
        var parts = _parts.AsSpan(0, history.Slots);

        _pairs.QueryParts(u, history, _tokenDots, parts);
        _tables.Build(u);
        FastScan.FastScan.Scan(codes, _tables, _sums);
        Combine(_sums, history, _tables.Scale, _tables.Bias, parts, _approximate, SimdPath.Best);

        int listed = _shortlistSelector.Select(_approximate.AsSpan(0, n), _listed);
        var items = history.Items;
        for (int i = 0; i < listed; i++)
        {
            int j = _listed[i];
            _exact[i] = _pairs.Score(u, items[j], history.SlotOf(j), parts);
        }
        int kept = _topSelector.Select(_exact.AsSpan(0, listed), _positions);
        for (int r = 0; r < kept; r++) top[r] = _listed[_positions[r]];
        return kept;
    }

    /// <summary>
    /// The approximate scores of a grouped history: <c>approximate[j] = (w_s · scale) · sums[j] + (w_s · bias + parts[s])</c>,
    /// fused, on every path to the same bits.
    /// </summary>
    internal void Combine(ReadOnlySpan<ushort> sums, DecomposedHistory history, float scale, float bias, ReadOnlySpan<float> parts, Span<float> approximate, SimdPath path)
    {
        var runs = history.RunStart;
        bool vector = SimdPaths.Resolve(path) != SimdPath.Scalar;
        for (int s = 0; s + 1 < runs.Length; s++)
        {
            float w = _pairs.ItemWeight(s);
            float alpha = w * scale, beta = MathF.FusedMultiplyAdd(w, bias, parts[s]);
            int from = runs[s], to = runs[s + 1];
            if (vector) CombineVector(sums[from..to], alpha, beta, approximate[from..to]);
            else CombineScalar(sums[from..to], alpha, beta, approximate[from..to]);
        }
    }

    // The pass streams L floats out and half as many bytes in: 256 bits keep it far below the scan's cost.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void CombineVector(ReadOnlySpan<ushort> sums, float alpha, float beta, Span<float> approximate)
    {
        ref ushort s = ref MemoryMarshal.GetReference(sums);
        ref float a = ref MemoryMarshal.GetReference(approximate);
        var va = Vector256.Create(alpha);
        var vb = Vector256.Create(beta);
        int n = sums.Length, i = 0;
        for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
        {
            var (lower, upper) = Vector128.Widen(Vector128.LoadUnsafe(ref s, (nuint)i));
            var values = Vector256.ConvertToSingle(Vector256.Create(lower, upper).AsInt32());
            Vector256.FusedMultiplyAdd(va, values, vb).StoreUnsafe(ref a, (nuint)i);
        }
        CombineScalar(sums[i..], alpha, beta, approximate[i..]);
    }

    static void CombineScalar(ReadOnlySpan<ushort> sums, float alpha, float beta, Span<float> approximate)
    {
        for (int i = 0; i < sums.Length; i++) approximate[i] = MathF.FusedMultiplyAdd(alpha, sums[i], beta);
    }
}
