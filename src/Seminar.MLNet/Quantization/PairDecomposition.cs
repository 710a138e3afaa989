using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// The PSU's pair vector split into its catalog-level parts: <c>x = e_item</c> for a browse and
/// <c>x = (1 − a) e_item + a e_query</c> with a query, <c>e_query</c> the mean of its tokens' rows. So
/// <c>&lt;u, x&gt; = w &lt;u, e_item&gt; + (a / n) Σ_t &lt;u, e_t&gt;</c> with <c>w = 1</c> or <c>1 − a</c>: the item part
/// needs one code set per catalog item (<see cref="CatalogCodes"/>) and the query part one dot per distinct token of
/// the history, never one per behaviour. Reads the tables it is given; the per-request buffers are the caller's.
/// </summary>
internal sealed class PairDecomposition
{
    readonly float[] _items, _tokens;

    /// <summary>A decomposition over an item table and a token table (both <c>[rows, dimension]</c>, not copied).</summary>
    /// <exception cref="ArgumentException">A table is not a whole number of rows, or the weight is outside [0, 1].</exception>
    public PairDecomposition(float[] items, float[] tokens, int dimension, float queryWeight)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (items.Length % dimension != 0 || tokens.Length % dimension != 0)
            throw new ArgumentException($"The tables hold {items.Length} and {tokens.Length} values, not whole rows of {dimension}.", nameof(items));
        if (!(queryWeight >= 0 && queryWeight <= 1)) throw new ArgumentException($"The query weight is {queryWeight}; it must lie in [0, 1].", nameof(queryWeight));
        _items = items;
        _tokens = tokens;
        Dimension = dimension;
        QueryWeight = queryWeight;
    }

    /// <summary>The decomposition of a PSU's pair fusion: its fused item table, projected token table and weight a.</summary>
    public static PairDecomposition Of(PsuScoringModel psu)
    {
        ArgumentNullException.ThrowIfNull(psu);
        return new PairDecomposition(psu.ItemData, psu.QueryTokenData, psu.Dimension, psu.QueryWeight);
    }

    /// <summary>Dimension D.</summary>
    public int Dimension { get; }
    /// <summary>The query weight a.</summary>
    public float QueryWeight { get; }
    /// <summary>Rows of the item table.</summary>
    public int ItemCount => _items.Length / Dimension;
    /// <summary>Rows of the token table.</summary>
    public int TokenCount => _tokens.Length / Dimension;
    /// <summary>The item table <c>[ItemCount, D]</c>.</summary>
    public ReadOnlySpan<float> Items => _items;

    /// <summary>Weight of the item part in slot <paramref name="slot"/>: 1 for browses, <c>1 − a</c> with a query.</summary>
    public float ItemWeight(int slot) => slot == 0 ? 1 : 1 - QueryWeight;

    /// <summary>
    /// The pair vector of grouped behaviour <paramref name="j"/> rebuilt from its parts, in the operation order of
    /// <see cref="PairFusion"/> (tokens summed in query order, the item scaled, then the sum added at <c>a / n</c>).
    /// </summary>
    public void Reconstruct(DecomposedHistory history, int j, Span<float> x)
    {
        ArgumentNullException.ThrowIfNull(history);
        int d = Dimension, slot = history.SlotOf(j);
        var item = _items.AsSpan(history.Items[j] * d, d);
        if (slot == 0)
        {
            item.CopyTo(x);
            return;
        }
        int from = history.QueryStart[slot - 1], to = history.QueryStart[slot];
        Span<float> sum = stackalloc float[d];
        _tokens.AsSpan(history.DistinctTokens[history.QueryTokens[from]] * d, d).CopyTo(sum);
        for (int t = from + 1; t < to; t++) TensorPrimitives.Add(sum, _tokens.AsSpan(history.DistinctTokens[history.QueryTokens[t]] * d, d), sum);
        TensorPrimitives.Multiply(item, 1f - QueryWeight, x);
        TensorPrimitives.MultiplyAdd(sum, QueryWeight / (to - from), x, x);
    }

    /// <summary>
    /// The query part of every slot for a request vector u: <c>parts[0] = 0</c> (browses) and
    /// <c>parts[q + 1] = (a / n_q) Σ_t &lt;u, e_t&gt;</c>, each distinct token's dot taken once.
    /// </summary>
    /// <param name="u">The request vector (D).</param>
    /// <param name="history">The history.</param>
    /// <param name="tokenDots">Scratch of at least the history's distinct tokens plus one (the padding's).</param>
    /// <param name="parts">Receives <see cref="DecomposedHistory.Slots"/> values.</param>
    /// <param name="path">Vector (eight queries per step, each token's dot gathered) or scalar; both give the same bits.</param>
    /// <exception cref="ArgumentException"><paramref name="tokenDots"/> is too short.</exception>
    public unsafe void QueryParts(ReadOnlySpan<float> u, DecomposedHistory history, Span<float> tokenDots, Span<float> parts, SimdPath path = SimdPath.Best)
    {
        ArgumentNullException.ThrowIfNull(history);
        int d = Dimension;
        var tokens = history.DistinctTokens;
        if (tokenDots.Length <= tokens.Length)
            throw new ArgumentException($"The token scratch holds {tokenDots.Length} values; {tokens.Length} distinct tokens and the padding need {tokens.Length + 1}.", nameof(tokenDots));
        // Checked here: the vector pass stores without bounds checks.
        if (parts.Length < history.Slots) throw new ArgumentException($"The parts hold {parts.Length} values; the history has {history.Slots} slots.", nameof(parts));
        for (int t = 0; t < tokens.Length; t++) tokenDots[t] = RowDots.Dot(u, _tokens.AsSpan(tokens[t] * d, d));
        tokenDots[tokens.Length] = 0;
        parts[0] = 0;
        // Every query takes QueryWidth tokens, the padding adding 0 (the same sum): no branch on each query's length, which
        // for queries of 1 to 3 tokens was mispredicted often enough to make this loop the PQ chain's largest stage.
        var padded = history.PaddedQueryTokens;
        var start = history.QueryStart;
        int width = history.QueryWidth, queries = history.Slots - 1, q = 0;
        if (queries >= Vector256<float>.Count && Avx2.IsSupported && SimdPaths.Resolve(path) != SimdPath.Scalar)
        {
            // Each lane adds its query's dots in the scalar loop's order and scales by the same quotient: the same bits.
            ref int index = ref MemoryMarshal.GetReference(padded);
            ref int starts = ref MemoryMarshal.GetReference(start);
            ref float target = ref MemoryMarshal.GetReference(parts);
            var weight = Vector256.Create(QueryWeight);
            fixed (float* dots = tokenDots)
            {
                for (; q + Vector256<float>.Count <= queries; q += Vector256<float>.Count)
                {
                    var sum = Vector256<float>.Zero;
                    for (int i = 0; i < width; i++) sum += Avx2.GatherVector256(dots, Vector256.LoadUnsafe(ref index, (nuint)(i * queries + q)), sizeof(float));
                    var lengths = Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref starts, (nuint)q + 1) - Vector256.LoadUnsafe(ref starts, (nuint)q));
                    (weight / lengths * sum).StoreUnsafe(ref target, (nuint)q + 1);
                }
            }
        }
        for (; q < queries; q++)
        {
            float sum = 0;
            for (int i = 0; i < width; i++) sum += tokenDots[padded[i * queries + q]];
            parts[q + 1] = QueryWeight / (start[q + 1] - start[q]) * sum;
        }
    }

    /// <summary>
    /// <see cref="QueryParts(ReadOnlySpan{float}, DecomposedHistory, Span{float}, Span{float}, SimdPath)"/> for
    /// <paramref name="heads"/> request vectors at once, each head's parts the same bits as that call gives for it alone:
    /// each token row is read once for all heads, and each query's tokens are looked up once for all heads (four at a
    /// time, one vector per token) instead of once per head.
    /// </summary>
    /// <param name="u">Request vectors, row-major <c>[heads, D]</c>.</param>
    /// <param name="heads">Request vectors H.</param>
    /// <param name="history">The history.</param>
    /// <param name="tokenDots">Scratch of at least <c>(distinct tokens + 1) · heads</c> values.</param>
    /// <param name="parts">Receives head h's <see cref="DecomposedHistory.Slots"/> parts at <c>h · Slots</c>.</param>
    /// <exception cref="ArgumentException">A span is too short.</exception>
    public void QueryPartsOfHeads(ReadOnlySpan<float> u, int heads, DecomposedHistory history, Span<float> tokenDots, Span<float> parts)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        int d = Dimension, slots = history.Slots;
        var tokens = history.DistinctTokens;
        if (u.Length < heads * d) throw new ArgumentException($"The request vectors hold {u.Length} values; {heads} heads of D = {d} need {heads * d}.", nameof(u));
        if (tokenDots.Length < (tokens.Length + 1) * heads)
            throw new ArgumentException($"The token scratch holds {tokenDots.Length} values; {tokens.Length} distinct tokens and the padding for {heads} heads need {(tokens.Length + 1) * heads}.", nameof(tokenDots));
        if (parts.Length < heads * slots) throw new ArgumentException($"The parts hold {parts.Length} values; {heads} heads of {slots} slots need {heads * slots}.", nameof(parts));
        if (slots == 0) return;
        // Groups of four heads share each query's token lookups; a head left over takes the one-head pass.
        int h4 = Vector128.IsHardwareAccelerated ? heads - heads % 4 : 0;
        if (h4 > 0)
        {
            // Token-major, the grouped heads adjacent: [token][h4].
            for (int t = 0; t < tokens.Length; t++) RowDots.Score(u, h4, _tokens.AsSpan(tokens[t] * d, d), tokenDots.Slice(t * h4, h4), 1);
            tokenDots.Slice(tokens.Length * h4, h4).Clear();
            for (int h = 0; h < h4; h++) parts[h * slots] = 0;
            var padded = history.PaddedQueryTokens;
            var start = history.QueryStart;
            int width = history.QueryWidth, queries = slots - 1;
            ref float dots = ref MemoryMarshal.GetReference(tokenDots);
            for (int q = 0; q < queries; q++)
            {
                // The same quotient and the same additions, in the same order, as the one-head pass.
                float scale = QueryWeight / (start[q + 1] - start[q]);
                for (int h = 0; h < h4; h += 4)
                {
                    var sum = Vector128<float>.Zero;
                    for (int i = 0; i < width; i++) sum += Vector128.LoadUnsafe(ref dots, (nuint)(padded[i * queries + q] * h4 + h));
                    sum *= scale;
                    parts[h * slots + q + 1] = sum.GetElement(0);
                    parts[(h + 1) * slots + q + 1] = sum.GetElement(1);
                    parts[(h + 2) * slots + q + 1] = sum.GetElement(2);
                    parts[(h + 3) * slots + q + 1] = sum.GetElement(3);
                }
            }
        }
        for (int h = h4; h < heads; h++) QueryParts(u.Slice(h * d, d), history, tokenDots, parts.Slice(h * slots, slots));
    }

    /// <summary>
    /// Each distinct query's token sum <c>Σ_t e_t</c> (<c>[Slots − 1, D]</c>), stored per user so a request takes the query
    /// parts of many request vectors in one blocked product (<see cref="PartsFromDots"/>).
    /// </summary>
    public float[] QueryTokenSums(DecomposedHistory history)
    {
        ArgumentNullException.ThrowIfNull(history);
        int d = Dimension, queries = history.Slots - 1;
        var sums = new float[queries * d];
        for (int q = 0; q < queries; q++)
        {
            var sum = sums.AsSpan(q * d, d);
            for (int t = history.QueryStart[q]; t < history.QueryStart[q + 1]; t++)
                TensorPrimitives.Add(sum, _tokens.AsSpan(history.DistinctTokens[history.QueryTokens[t]] * d, d), sum);
        }
        return sums;
    }

    /// <summary>The slots' query parts from <c>dots[q] = &lt;u, Σ_t e_t&gt;</c> of each distinct query: <c>parts[q + 1] = (a / n_q) dots[q]</c>, <c>parts[0] = 0</c>.</summary>
    public void PartsFromDots(DecomposedHistory history, ReadOnlySpan<float> dots, Span<float> parts)
    {
        ArgumentNullException.ThrowIfNull(history);
        parts[0] = 0;
        for (int q = 0; q + 1 < history.Slots; q++)
            parts[q + 1] = QueryWeight / (history.QueryStart[q + 1] - history.QueryStart[q]) * dots[q];
    }

    /// <summary>The exact score of a behaviour of <paramref name="item"/> in slot <paramref name="slot"/> from the item row and the slot's query part.</summary>
    public float Score(ReadOnlySpan<float> u, int item, int slot, ReadOnlySpan<float> parts) =>
        MathF.FusedMultiplyAdd(ItemWeight(slot), RowDots.Dot(u, _items.AsSpan(item * Dimension, Dimension)), parts[slot]);

    /// <summary>
    /// Every behaviour's exact score, its item row gathered from the catalog table: <c>scores[j] = w_s &lt;u, e_item(j)&gt; + parts[s]</c>.
    /// </summary>
    /// <remarks>
    /// Rows scattered over a table larger than the caches miss one by one; each iteration also prefetches the row
    /// <see cref="CacheLines.RowsAhead"/> behaviours on, so that many misses are in flight behind the dots.
    /// </remarks>
    public void ScoreGathered(ReadOnlySpan<float> u, DecomposedHistory history, ReadOnlySpan<float> parts, Span<float> scores)
    {
        ArgumentNullException.ThrowIfNull(history);
        var items = history.Items;
        var runs = history.RunStart;
        int d = Dimension, n = items.Length;
        for (int j = 0; j < Math.Min(CacheLines.RowsAhead, n); j++) CacheLines.Prefetch(_items.AsSpan(items[j] * d, d));
        for (int s = 0; s + 1 < runs.Length; s++)
        {
            float w = ItemWeight(s), part = parts[s];
            for (int j = runs[s]; j < runs[s + 1]; j++)
            {
                if (j + CacheLines.RowsAhead < n) CacheLines.Prefetch(_items.AsSpan(items[j + CacheLines.RowsAhead] * d, d));
                scores[j] = MathF.FusedMultiplyAdd(w, RowDots.Dot(u, _items.AsSpan(items[j] * d, d)), part);
            }
        }
    }
}
