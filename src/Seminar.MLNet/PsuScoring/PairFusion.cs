using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.PsuScoring;

/// <summary>
/// Query–item pair fusion of the PSU for one thread: <c>x = a e_q + (1 − a) e_item</c>, or <c>e_item</c> when the query
/// has no token, with every index checked against its vocabulary. Shared by the exact and the approximate scorers so
/// both embed behaviours and targets identically.
/// </summary>
sealed class PairFusion
{
    readonly PsuScoringModel _model;
    readonly int _d;
    readonly float _a;
    int[] _rows = Array.Empty<int>();

    public PairFusion(PsuScoringModel model)
    {
        _model = model;
        _d = model.Dimension;
        _a = model.QueryWeight;
    }

    /// <summary>Writes the pair embedding of <paramref name="item"/> and its query <paramref name="tokens"/> (0 pads) into x; returns the query's token count.</summary>
    /// <param name="item">A checked item index.</param>
    /// <param name="tokens">Query token indices.</param>
    /// <param name="column">Column quoted when a token is out of range.</param>
    /// <param name="what">What the tokens are, for the message.</param>
    /// <param name="position">Behaviour position for the message, or −1.</param>
    /// <param name="x">Receives D values.</param>
    public int Fuse(int item, ReadOnlySpan<long> tokens, string column, string what, int position, Span<float> x)
    {
        CheckTokens(tokens, column, what, position);
        if (x.Length < _d) throw new ArgumentException($"The pair buffer holds {x.Length} values; D = {_d}.", nameof(x));
        var rows = TokenRows(tokens);
        // The rows come from checked tokens and x from the check above: no second check per behaviour.
        MixChecked(_model.ItemData.AsSpan(item * _d, _d), _model.QueryTokenData, rows, _a, x, SimdPath.Best);
        return rows.Length;
    }

    // The offsets of the real tokens' rows in the token table, in query order; the tokens are checked.
    ReadOnlySpan<int> TokenRows(ReadOnlySpan<long> tokens)
    {
        if (_rows.Length < tokens.Length) _rows = new int[tokens.Length];
        // Branch-free: whether a slot is padding is a coin flip in real query columns, so a branch would mispredict.
        int count = 0;
        foreach (long token in tokens)
        {
            _rows[count] = (int)token * _d;
            count += token != Vocabulary.Padding ? 1 : 0;
        }
        return _rows.AsSpan(0, count);
    }

    /// <summary>
    /// <see cref="Fuse"/> without writing x: the pair is mixed one vector at a time in registers and scored against up to
    /// four request vectors on the spot, <c>scores[h · stride] = u_h · x</c>, the same bits as <see cref="Fuse"/> followed
    /// by <see cref="RowDots.Score"/> (the same operations per lane, in the same order), without the round trip through
    /// memory: the exact GSU's scan of a history it will not keep.
    /// </summary>
    /// <param name="item">A checked item index.</param>
    /// <param name="tokens">Query token indices (checked here, as <see cref="Fuse"/> checks them).</param>
    /// <param name="column">Column quoted when a token is out of range.</param>
    /// <param name="what">What the tokens are, for the message.</param>
    /// <param name="position">Behaviour position for the message, or −1.</param>
    /// <param name="u">The request vectors <c>[heads, D]</c>.</param>
    /// <param name="heads">1 to 4.</param>
    /// <param name="scores">Receives head h's score at <c>h · stride</c>.</param>
    /// <param name="stride">Distance between heads in <paramref name="scores"/>.</param>
    /// <param name="path">The vector width (tests pin each; scoring uses the widest).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="heads"/> is not 1 to 4.</exception>
    public void FuseScore(int item, ReadOnlySpan<long> tokens, string column, string what, int position, ReadOnlySpan<float> u, int heads, Span<float> scores, int stride,
        SimdPath path = SimdPath.Best)
    {
        CheckTokens(tokens, column, what, position);
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(heads, 4);
        if (u.Length < heads * _d || scores.Length <= (heads - 1) * stride)
            throw new ArgumentException($"{heads} heads of D = {_d} need {heads * _d} request values and {(heads - 1) * stride + 1} scores.", nameof(scores));
        Score(item, TokenRows(tokens), u, heads, scores, stride, path);
    }

    // The mix and score of a checked item and token rows into sized buffers.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    void Score(int item, ReadOnlySpan<int> rows, ReadOnlySpan<float> u, int heads, Span<float> scores, int stride, SimdPath path)
    {
        ref float i = ref MemoryMarshal.GetReference(_model.ItemData.AsSpan(item * _d, _d));
        ref float t = ref MemoryMarshal.GetArrayDataReference(_model.QueryTokenData);
        ref float ur = ref MemoryMarshal.GetReference(u);
        ref float sr = ref MemoryMarshal.GetReference(scores);
        float w = 1f - _a, q = rows.IsEmpty ? 0 : _a / rows.Length;
        switch (SimdPaths.Resolve(path))
        {
            case SimdPath.Vector512: MixScore<Lanes512>(ref i, ref t, rows, w, q, ref ur, heads, _d, ref sr, stride); break;
            case SimdPath.Vector256: MixScore<Lanes256>(ref i, ref t, rows, w, q, ref ur, heads, _d, ref sr, stride); break;
            default: MixScore<Lanes1>(ref i, ref t, rows, w, q, ref ur, heads, _d, ref sr, stride); break;
        }
    }

    /// <summary>
    /// Checks every query token of a history at once: true when all are in the vocabulary or padding, as
    /// <see cref="CheckTokens"/> would find them one behaviour at a time (false: call it per behaviour for the message).
    /// </summary>
    public bool AllTokensValid(ReadOnlySpan<long> tokens)
    {
        if (tokens.IsEmpty) return true;
        // As unsigned values a negative index is above any count; padding (0) is below any count but an empty table's.
        ulong largest = System.Numerics.Tensors.TensorPrimitives.Max(MemoryMarshal.Cast<long, ulong>(tokens));
        return largest < (ulong)_model.TokenCount || largest == Vocabulary.Padding;
    }

    /// <summary>
    /// <see cref="FuseScore"/> for tokens already checked (<see cref="AllTokensValid"/>) and buffers the caller sized:
    /// the same bits without the per-behaviour checks.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void FuseScoreChecked(int item, ReadOnlySpan<long> tokens, ReadOnlySpan<float> u, int heads, Span<float> scores, int stride) =>
        Score(item, TokenRows(tokens), u, heads, scores, stride, SimdPath.Best);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void MixScore<TLanes>(ref float item, ref float table, ReadOnlySpan<int> rows, float itemWeight, float queryScale, ref float u, int heads, int d, ref float scores, int stride)
        where TLanes : struct, IFloatLanes<TLanes>
    {
        TLanes a0 = default, a1 = default, a2 = default, a3 = default;
        nuint n = (nuint)d, width = (nuint)TLanes.Count, j = 0;
        for (; j + 4 * width <= n; j += 4 * width)
        {
            var (x0, x1, x2, x3) = MixFour<TLanes>(ref item, ref table, rows, itemWeight, queryScale, j);
            // Per head the chunks go in dimension order, as RowDots sums them.
            Accumulate(ref a0, ref u, j, width, x0, x1, x2, x3);
            if (heads > 1) Accumulate(ref a1, ref u, n + j, width, x0, x1, x2, x3);
            if (heads > 2) Accumulate(ref a2, ref u, 2 * n + j, width, x0, x1, x2, x3);
            if (heads > 3) Accumulate(ref a3, ref u, 3 * n + j, width, x0, x1, x2, x3);
        }
        for (; j + width <= n; j += width)
        {
            var x = MixOne<TLanes>(ref item, ref table, rows, itemWeight, queryScale, j);
            a0 = TLanes.FusedMultiplyAdd(TLanes.Load(ref u, j), x, a0);
            if (heads > 1) a1 = TLanes.FusedMultiplyAdd(TLanes.Load(ref u, n + j), x, a1);
            if (heads > 2) a2 = TLanes.FusedMultiplyAdd(TLanes.Load(ref u, 2 * n + j), x, a2);
            if (heads > 3) a3 = TLanes.FusedMultiplyAdd(TLanes.Load(ref u, 3 * n + j), x, a3);
        }
        float s0 = TLanes.Sum(a0), s1 = TLanes.Sum(a1), s2 = TLanes.Sum(a2), s3 = TLanes.Sum(a3);
        for (; j < n; j++)
        {
            float x = MixOne<Lanes1>(ref item, ref table, rows, itemWeight, queryScale, j).Value;
            s0 = MathF.FusedMultiplyAdd(Unsafe.Add(ref u, j), x, s0);
            if (heads > 1) s1 = MathF.FusedMultiplyAdd(Unsafe.Add(ref u, n + j), x, s1);
            if (heads > 2) s2 = MathF.FusedMultiplyAdd(Unsafe.Add(ref u, 2 * n + j), x, s2);
            if (heads > 3) s3 = MathF.FusedMultiplyAdd(Unsafe.Add(ref u, 3 * n + j), x, s3);
        }
        scores = s0;
        if (heads > 1) Unsafe.Add(ref scores, stride) = s1;
        if (heads > 2) Unsafe.Add(ref scores, 2 * stride) = s2;
        if (heads > 3) Unsafe.Add(ref scores, 3 * stride) = s3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Accumulate<TLanes>(ref TLanes a, ref float u, nuint j, nuint width, TLanes x0, TLanes x1, TLanes x2, TLanes x3)
        where TLanes : struct, IFloatLanes<TLanes>
    {
        a = TLanes.FusedMultiplyAdd(TLanes.Load(ref u, j), x0, a);
        a = TLanes.FusedMultiplyAdd(TLanes.Load(ref u, j + width), x1, a);
        a = TLanes.FusedMultiplyAdd(TLanes.Load(ref u, j + 2 * width), x2, a);
        a = TLanes.FusedMultiplyAdd(TLanes.Load(ref u, j + 3 * width), x3, a);
    }

    /// <summary>
    /// <c>x = item</c> when <paramref name="rows"/> is empty, else <c>x = item · (1 − a) + (Σ_t token_t) · (a / n)</c>: the
    /// token rows summed in order, each product rounded before the sum (the operation order of the ONNX graph and of
    /// <see cref="Seminar.MLNet.Quantization.PairDecomposition.Reconstruct"/>). Element-wise, so every width gives the same bits.
    /// </summary>
    /// <param name="item">The item's row (D).</param>
    /// <param name="tokenTable">The token table.</param>
    /// <param name="rows">Offsets of the query's token rows in <paramref name="tokenTable"/> (n of them).</param>
    /// <param name="a">The query weight.</param>
    /// <param name="x">Receives D values.</param>
    /// <param name="path">The vector width (tests pin each).</param>
    internal static void Mix(ReadOnlySpan<float> item, ReadOnlySpan<float> tokenTable, ReadOnlySpan<int> rows, float a, Span<float> x, SimdPath path)
    {
        int d = item.Length;
        foreach (int row in rows)
            if (row < 0 || (long)row + d > tokenTable.Length) throw new ArgumentOutOfRangeException(nameof(rows), $"Token row offset {row} is outside the table of {tokenTable.Length} values.");
        if (x.Length < d) throw new ArgumentException($"The pair buffer holds {x.Length} values; D = {d}.", nameof(x));
        MixChecked(item, tokenTable, rows, a, x, path);
    }

    // Mix for rows inside the table and x of at least D values (Fuse's rows come from checked tokens).
    static void MixChecked(ReadOnlySpan<float> item, ReadOnlySpan<float> tokenTable, ReadOnlySpan<int> rows, float a, Span<float> x, SimdPath path)
    {
        if (rows.IsEmpty)
        {
            item.CopyTo(x);
            return;
        }
        int d = item.Length;
        ref float i = ref MemoryMarshal.GetReference(item);
        ref float t = ref MemoryMarshal.GetReference(tokenTable);
        ref float o = ref MemoryMarshal.GetReference(x);
        switch (SimdPaths.Resolve(path))
        {
            case SimdPath.Vector512: Mix<Lanes512>(ref i, ref t, rows, 1f - a, a / rows.Length, ref o, d); break;
            case SimdPath.Vector256: Mix<Lanes256>(ref i, ref t, rows, 1f - a, a / rows.Length, ref o, d); break;
            default: Mix<Lanes1>(ref i, ref t, rows, 1f - a, a / rows.Length, ref o, d); break;
        }
    }

    // Four vectors of x at a time stay in registers while the token rows are added (at D = 64 on 512-bit vectors the
    // whole pair, so the token loop runs once per behaviour and its exit is the only unpredictable branch), then the
    // rest one vector at a time. Per lane: the token rows summed in order, then sum · q + item · w, on every path.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Mix<TLanes>(ref float item, ref float table, ReadOnlySpan<int> rows, float itemWeight, float queryScale, ref float x, int d)
        where TLanes : struct, IFloatLanes<TLanes>
    {
        nuint n = (nuint)d, width = (nuint)TLanes.Count, j = 0;
        for (; j + 4 * width <= n; j += 4 * width)
        {
            var (x0, x1, x2, x3) = MixFour<TLanes>(ref item, ref table, rows, itemWeight, queryScale, j);
            x0.Store(ref x, j);
            x1.Store(ref x, j + width);
            x2.Store(ref x, j + 2 * width);
            x3.Store(ref x, j + 3 * width);
        }
        for (; j + width <= n; j += width) MixOne<TLanes>(ref item, ref table, rows, itemWeight, queryScale, j).Store(ref x, j);
        for (; j < n; j++) Unsafe.Add(ref x, j) = MixOne<Lanes1>(ref item, ref table, rows, itemWeight, queryScale, j).Value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (TLanes, TLanes, TLanes, TLanes) MixFour<TLanes>(ref float item, ref float table, ReadOnlySpan<int> rows, float itemWeight, float queryScale, nuint j)
        where TLanes : struct, IFloatLanes<TLanes>
    {
        nuint width = (nuint)TLanes.Count;
        var i0 = TLanes.Load(ref item, j);
        var i1 = TLanes.Load(ref item, j + width);
        var i2 = TLanes.Load(ref item, j + 2 * width);
        var i3 = TLanes.Load(ref item, j + 3 * width);
        if (rows.IsEmpty) return (i0, i1, i2, i3);
        ref float first = ref Unsafe.Add(ref table, rows[0]);
        var s0 = TLanes.Load(ref first, j);
        var s1 = TLanes.Load(ref first, j + width);
        var s2 = TLanes.Load(ref first, j + 2 * width);
        var s3 = TLanes.Load(ref first, j + 3 * width);
        for (int k = 1; k < rows.Length; k++)
        {
            ref float next = ref Unsafe.Add(ref table, rows[k]);
            s0 += TLanes.Load(ref next, j);
            s1 += TLanes.Load(ref next, j + width);
            s2 += TLanes.Load(ref next, j + 2 * width);
            s3 += TLanes.Load(ref next, j + 3 * width);
        }
        var w = TLanes.Create(itemWeight);
        var q = TLanes.Create(queryScale);
        return (s0 * q + i0 * w, s1 * q + i1 * w, s2 * q + i2 * w, s3 * q + i3 * w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static TLanes MixOne<TLanes>(ref float item, ref float table, ReadOnlySpan<int> rows, float itemWeight, float queryScale, nuint j)
        where TLanes : struct, IFloatLanes<TLanes>
    {
        var i0 = TLanes.Load(ref item, j);
        if (rows.IsEmpty) return i0;
        var sum = TLanes.Load(ref Unsafe.Add(ref table, rows[0]), j);
        for (int k = 1; k < rows.Length; k++) sum += TLanes.Load(ref Unsafe.Add(ref table, rows[k]), j);
        return sum * TLanes.Create(queryScale) + i0 * TLanes.Create(itemWeight);
    }

    /// <summary>
    /// The target pair t of a request, with its item and query tokens checked against the vocabularies (errors name the
    /// target columns of <paramref name="columns"/>), and the per-head request vectors <c>u_h = A_h t</c> the GSU scores with.
    /// </summary>
    /// <param name="targetItem">Target item index.</param>
    /// <param name="queryTokens">Target query token indices (0 pads).</param>
    /// <param name="columns">Column names for error messages.</param>
    /// <param name="target">Receives t (D).</param>
    /// <param name="u">Receives u (H·D).</param>
    public void FuseTarget(long targetItem, ReadOnlySpan<long> queryTokens, PsuColumnOptions columns, Span<float> target, Span<float> u)
    {
        Fuse(CheckItem(targetItem, columns.TargetItemIndexColumnName, "target item", -1), queryTokens, columns.QueryTokensColumnName, "query token", -1, target);
        DenseMath.MatVec(_model.FoldedAttentionData, target, u);
    }

    /// <summary>Checks an item index against the item vocabulary.</summary>
    public int CheckItem(long item, string column, string what, int position)
    {
        if ((ulong)item >= (ulong)_model.ItemCount) throw OutOfRange(item, _model.ItemCount, column, what, position, "item");
        return (int)item;
    }

    /// <summary>
    /// Asks for the item row of <paramref name="item"/> ahead of its fusion, when it is a valid index (a bad one is
    /// reported when its turn comes): a catalog table larger than the caches otherwise misses on every behaviour.
    /// </summary>
    public void PrefetchItem(long item)
    {
        if ((ulong)item < (ulong)_model.ItemCount) CacheLines.Prefetch(_model.ItemData.AsSpan((int)item * _d, _d));
    }

    /// <summary>Checks query token indices (0 pads) against the token vocabulary (<see cref="Fuse"/> checks its tokens with it).</summary>
    public void CheckTokens(ReadOnlySpan<long> tokens, string column, string what, int position)
    {
        // One unsigned comparison per token on the common path: padding (0) is below any count but an empty table's.
        ulong count = (ulong)_model.TokenCount;
        foreach (long token in tokens)
            if ((ulong)token >= count && token != Vocabulary.Padding) throw OutOfRange(token, _model.TokenCount, column, what, position, "token");
    }

    static ArgumentException OutOfRange(long value, int size, string column, string what, int position, string vocabulary) => new(
        $"Column '{column}'{(position >= 0 ? $" at behaviour {position}" : "")}: {what} index {value} is outside the {vocabulary} vocabulary (valid indices 0 to {size - 1}).");
}
