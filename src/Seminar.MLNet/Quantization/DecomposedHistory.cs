using System.Runtime.InteropServices;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// A history as the item/query decomposition scores it: every real behaviour's catalog item, grouped by query slot
/// (slot 0: browses, no query; slot q + 1: the q-th distinct query), and each distinct query as a list of distinct
/// tokens. Built once per user; a request then scores each distinct token once and each behaviour's item.
/// </summary>
/// <remarks>
/// Grouping by slot makes the item weight constant along a run and gives each distinct query one query part, so a pass
/// over the scan's sums is one multiply-add per behaviour with the slot's part looked up (<see cref="SlotOfEach"/>). <see cref="Positions"/>
/// maps a grouped behaviour back to its history position; padding behaviours (item 0) are left out.
/// </remarks>
internal sealed class DecomposedHistory
{
    // Grow-only buffers: a scorer regroups every new history into the same instance (Rebuild), so a request allocates
    // nothing once the buffers have grown to the longest history seen.
    readonly Dictionary<ulong, int> _queries = new();
    readonly Dictionary<long, int> _distinct = new();
    readonly List<int> _distinctTokens = new(), _queryStart = new(), _queryTokens = new(), _counts = new();
    int[] _slot = Array.Empty<int>(), _slotOfEach = new int[Padding], _items = Array.Empty<int>(), _positions = Array.Empty<int>(), _runStart = new int[1], _next = Array.Empty<int>(),
        _padded = Array.Empty<int>();
    int _count, _slots, _width;

    /// <summary>An empty history (no behaviour, no slot); <see cref="Rebuild"/> fills it.</summary>
    public DecomposedHistory() => _queryStart.Add(0);

    /// <summary>Real behaviours.</summary>
    public int Count => _count;
    /// <summary>Catalog item of each behaviour, grouped by slot.</summary>
    public ReadOnlySpan<int> Items => _items.AsSpan(0, _count);
    /// <summary>History position of each grouped behaviour.</summary>
    public ReadOnlySpan<int> Positions => _positions.AsSpan(0, _count);
    /// <summary>The slot of each grouped behaviour (<see cref="SlotOf"/> for all at once).</summary>
    public ReadOnlySpan<int> SlotOfEach => _slotOfEach.AsSpan(0, _count);
    /// <summary>
    /// <see cref="SlotOfEach"/> followed by <see cref="Padding"/> zeros, so a vector pass over the behaviours may read a few
    /// lanes past the end and take slot 0's value there.
    /// </summary>
    internal ReadOnlySpan<int> SlotOfEachPadded => _slotOfEach.AsSpan(0, _count + Padding);
    /// <summary>Zero slots after <see cref="SlotOfEach"/> in <see cref="SlotOfEachPadded"/>: one vector of the widest path.</summary>
    internal const int Padding = 16;
    /// <summary>Slot s holds behaviours <c>[RunStart[s], RunStart[s + 1])</c>; <see cref="Slots"/> + 1 entries.</summary>
    public ReadOnlySpan<int> RunStart => _runStart.AsSpan(0, _slots + 1);
    /// <summary>Slots: browses and one per distinct query.</summary>
    public int Slots => _slots;
    /// <summary>Token-table rows of the history's distinct tokens.</summary>
    public ReadOnlySpan<int> DistinctTokens => CollectionsMarshal.AsSpan(_distinctTokens);
    /// <summary>Query q's tokens are <c>QueryTokens[QueryStart[q] .. QueryStart[q + 1])</c>.</summary>
    public ReadOnlySpan<int> QueryStart => CollectionsMarshal.AsSpan(_queryStart);
    /// <summary>Each query's tokens as indices into <see cref="DistinctTokens"/>, in the order the query lists them.</summary>
    public ReadOnlySpan<int> QueryTokens => CollectionsMarshal.AsSpan(_queryTokens);
    /// <summary>Tokens of the longest query (0 without queries).</summary>
    public int QueryWidth => _width;
    /// <summary>
    /// <see cref="QueryTokens"/> with every query padded to <see cref="QueryWidth"/> by <c>DistinctTokens.Length</c> (a
    /// token whose dot the caller sets to 0), position-major: token i of query q is at <c>i · (Slots − 1) + q</c>. A pass
    /// over the queries takes as many tokens for each and does not branch on its length, and the i-th tokens of
    /// consecutive queries load as one vector.
    /// </summary>
    public ReadOnlySpan<int> PaddedQueryTokens => _padded.AsSpan(0, Math.Max(0, _slots - 1) * _width);

    /// <summary>
    /// The index of the query whose real tokens are those of <paramref name="own"/>, or −1: the one the hash names when its
    /// tokens match, else (two queries sharing a hash, which only the first keeps) any query that matches.
    /// </summary>
    int Find(ulong hash, ReadOnlySpan<long> own)
    {
        if (!_queries.TryGetValue(hash, out int q)) return -1;
        if (Same(q, own)) return q;
        for (int other = 0; other + 1 < _queryStart.Count; other++)
            if (Same(other, own)) return other;
        return -1;
    }

    bool Same(int q, ReadOnlySpan<long> own)
    {
        int t = _queryStart[q], end = _queryStart[q + 1];
        foreach (long token in own)
        {
            if (token == Vocabulary.Padding) continue;
            if (t == end || _distinctTokens[_queryTokens[t++]] != token) return false;
        }
        return t == end;
    }

    /// <summary>The slot of grouped behaviour <paramref name="j"/>.</summary>
    public int SlotOf(int j)
    {
        var runStart = RunStart;
        int at = runStart.BinarySearch(j);
        // An exact hit may be the start of empty runs before it: the behaviour belongs to the last run starting there.
        if (at >= 0)
        {
            while (at + 1 < runStart.Length - 1 && runStart[at + 1] == j) at++;
            return at;
        }
        return ~at - 1;
    }

    /// <summary>
    /// Groups a history of <paramref name="items"/> (0 pads) with <paramref name="tokensPerBehaviour"/> query tokens
    /// each (0 pads; none real: a browse), checking every index against the table sizes, into a new instance.
    /// </summary>
    /// <exception cref="ArgumentException">The token list does not fit the items, or an index is outside its table.</exception>
    public static DecomposedHistory Build(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens, int tokensPerBehaviour, int itemCount, int tokenCount)
    {
        var history = new DecomposedHistory();
        history.Rebuild(items, tokens, tokensPerBehaviour, itemCount, tokenCount);
        return history;
    }

    /// <summary>
    /// <see cref="Build"/> into this instance, reusing its buffers. After an exception the history is empty.
    /// </summary>
    /// <exception cref="ArgumentException">The token list does not fit the items, or an index is outside its table.</exception>
    public void Rebuild(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens, int tokensPerBehaviour, int itemCount, int tokenCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokensPerBehaviour);
        if (tokens.Length != (long)items.Length * tokensPerBehaviour)
            throw new ArgumentException($"{items.Length} behaviours of {tokensPerBehaviour} tokens need {(long)items.Length * tokensPerBehaviour} tokens; got {tokens.Length}.", nameof(tokens));
        Clear();
        try
        {
            Group(items, tokens, tokensPerBehaviour, itemCount, tokenCount);
        }
        catch
        {
            Clear();
            throw;
        }
    }

    void Clear()
    {
        _queries.Clear();
        _distinct.Clear();
        _distinctTokens.Clear();
        _queryStart.Clear();
        _queryStart.Add(0);
        _queryTokens.Clear();
        _counts.Clear();
        _count = _slots = _width = 0;
    }

    void Group(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens, int tokensPerBehaviour, int itemCount, int tokenCount)
    {
        // A query is its real tokens in order, wherever the padding sits. Queries are found by a hash of that sequence and
        // confirmed token by token, so grouping touches each behaviour's tokens once and keys nothing per behaviour.
        if (_slot.Length < items.Length) _slot = new int[Math.Max(items.Length, 2 * _slot.Length)];
        var slot = _slot.AsSpan(0, items.Length);
        _counts.Add(0);
        int real = 0;
        for (int l = 0; l < items.Length; l++)
        {
            long item = items[l];
            if (item == Vocabulary.Padding) { slot[l] = -1; continue; }
            if ((ulong)item >= (ulong)itemCount)
                throw new ArgumentException($"Behaviour {l}: item index {item} is outside the item table (valid indices 0 to {itemCount - 1}).", nameof(items));
            var own = tokens.Slice(l * tokensPerBehaviour, tokensPerBehaviour);
            ulong hash = 14695981039346656037UL;
            bool any = false;
            foreach (long token in own)
            {
                if (token == Vocabulary.Padding) continue;
                hash = (hash ^ (ulong)token) * 1099511628211UL;
                any = true;
            }
            if (!any) slot[l] = 0;
            else if (Find(hash, own) is int q and >= 0) slot[l] = q + 1;
            else
            {
                foreach (long token in own)
                {
                    if (token == Vocabulary.Padding) continue;
                    if ((ulong)token >= (ulong)tokenCount)
                        throw new ArgumentException($"Behaviour {l}: token index {token} is outside the token table (valid indices 0 to {tokenCount - 1}).", nameof(tokens));
                    if (!_distinct.TryGetValue(token, out int d))
                    {
                        _distinct.Add(token, d = _distinctTokens.Count);
                        _distinctTokens.Add((int)token);
                    }
                    _queryTokens.Add(d);
                }
                _queryStart.Add(_queryTokens.Count);
                _queries.TryAdd(hash, _counts.Count - 1);
                _counts.Add(0);
                slot[l] = _counts.Count - 1;
            }
            _counts[slot[l]]++;
            real++;
        }
        int slots = _counts.Count;
        if (_runStart.Length < slots + 1) _runStart = new int[Math.Max(slots + 1, 2 * _runStart.Length)];
        if (_next.Length < slots) _next = new int[Math.Max(slots, 2 * _next.Length)];
        _runStart[0] = 0;
        for (int s = 0; s < slots; s++) _runStart[s + 1] = _runStart[s] + _counts[s];
        _runStart.AsSpan(0, slots).CopyTo(_next);
        if (_items.Length < real)
        {
            _items = new int[Math.Max(real, 2 * _items.Length)];
            _positions = new int[_items.Length];
        }
        if (_slotOfEach.Length < real + Padding) _slotOfEach = new int[Math.Max(real + Padding, 2 * _slotOfEach.Length)];
        for (int l = 0; l < items.Length; l++)
        {
            if (slot[l] < 0) continue;
            int j = _next[slot[l]]++;
            _items[j] = (int)items[l];
            _positions[j] = l;
            _slotOfEach[j] = slot[l];
        }
        _slotOfEach.AsSpan(real, Padding).Clear();
        Pad(slots - 1);
        _count = real;
        _slots = slots;
    }

    void Pad(int queries)
    {
        int width = 0;
        for (int q = 0; q < queries; q++) width = Math.Max(width, _queryStart[q + 1] - _queryStart[q]);
        if (_padded.Length < queries * width) _padded = new int[Math.Max(queries * width, 2 * _padded.Length)];
        int pad = _distinctTokens.Count;
        for (int q = 0; q < queries; q++)
            for (int i = 0, t = _queryStart[q], end = _queryStart[q + 1]; i < width; i++, t++)
                _padded[i * queries + q] = t < end ? _queryTokens[t] : pad;
        _width = width;
    }
}
