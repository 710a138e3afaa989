using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// A history as the item/query decomposition scores it: every real behaviour's catalog item, grouped by query slot
/// (slot 0: browses, no query; slot q + 1: the q-th distinct query), and each distinct query as a list of distinct
/// tokens. Built once per user; a request then scores each distinct token once and each behaviour's item.
/// </summary>
/// <remarks>
/// Grouping by slot makes the query part and the item weight constant along a run, so a pass over the scan's sums is
/// one multiply-add per behaviour with two constants per run and no per-behaviour lookup. <see cref="Positions"/>
/// maps a grouped behaviour back to its history position; padding behaviours (item 0) are left out.
/// </remarks>
internal sealed class DecomposedHistory
{
    DecomposedHistory(int[] items, int[] positions, int[] runStart, int[] distinctTokens, int[] queryStart, int[] queryTokens)
    {
        Items = items;
        Positions = positions;
        RunStart = runStart;
        DistinctTokens = distinctTokens;
        QueryStart = queryStart;
        QueryTokens = queryTokens;
    }

    /// <summary>Real behaviours.</summary>
    public int Count => Items.Length;
    /// <summary>Catalog item of each behaviour, grouped by slot.</summary>
    public int[] Items { get; }
    /// <summary>History position of each grouped behaviour.</summary>
    public int[] Positions { get; }
    /// <summary>Slot s holds behaviours <c>[RunStart[s], RunStart[s + 1])</c>; <see cref="Slots"/> + 1 entries.</summary>
    public int[] RunStart { get; }
    /// <summary>Slots: browses and one per distinct query.</summary>
    public int Slots => RunStart.Length - 1;
    /// <summary>Token-table rows of the history's distinct tokens.</summary>
    public int[] DistinctTokens { get; }
    /// <summary>Query q's tokens are <c>QueryTokens[QueryStart[q] .. QueryStart[q + 1])</c>.</summary>
    public int[] QueryStart { get; }
    /// <summary>Each query's tokens as indices into <see cref="DistinctTokens"/>, in the order the query lists them.</summary>
    public int[] QueryTokens { get; }

    /// <summary>
    /// The index of the query whose real tokens are those of <paramref name="own"/>, or −1: the one the hash names when its
    /// tokens match, else (two queries sharing a hash, which only the first keeps) any query that matches.
    /// </summary>
    static int Find(Dictionary<ulong, int> queries, ulong hash, ReadOnlySpan<long> own, List<int> distinctTokens, List<int> queryStart, List<int> queryTokens)
    {
        if (!queries.TryGetValue(hash, out int q)) return -1;
        if (Same(q, own, distinctTokens, queryStart, queryTokens)) return q;
        for (int other = 0; other + 1 < queryStart.Count; other++)
            if (Same(other, own, distinctTokens, queryStart, queryTokens)) return other;
        return -1;
    }

    static bool Same(int q, ReadOnlySpan<long> own, List<int> distinctTokens, List<int> queryStart, List<int> queryTokens)
    {
        int t = queryStart[q], end = queryStart[q + 1];
        foreach (long token in own)
        {
            if (token == Vocabulary.Padding) continue;
            if (t == end || distinctTokens[queryTokens[t++]] != token) return false;
        }
        return t == end;
    }

    /// <summary>The slot of grouped behaviour <paramref name="j"/>.</summary>
    public int SlotOf(int j)
    {
        int at = Array.BinarySearch(RunStart, j);
        // An exact hit may be the start of empty runs before it: the behaviour belongs to the last run starting there.
        if (at >= 0)
        {
            while (at + 1 < RunStart.Length - 1 && RunStart[at + 1] == j) at++;
            return at;
        }
        return ~at - 1;
    }

    /// <summary>
    /// Groups a history of <paramref name="items"/> (0 pads) with <paramref name="tokensPerBehaviour"/> query tokens
    /// each (0 pads; none real: a browse), checking every index against the table sizes.
    /// </summary>
    /// <exception cref="ArgumentException">The token list does not fit the items, or an index is outside its table.</exception>
    public static DecomposedHistory Build(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens, int tokensPerBehaviour, int itemCount, int tokenCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokensPerBehaviour);
        if (tokens.Length != (long)items.Length * tokensPerBehaviour)
            throw new ArgumentException($"{items.Length} behaviours of {tokensPerBehaviour} tokens need {(long)items.Length * tokensPerBehaviour} tokens; got {tokens.Length}.", nameof(tokens));
        // A query is its real tokens in order, wherever the padding sits. Queries are found by a hash of that sequence and
        // confirmed token by token, so a history allocates per distinct query, not per behaviour (a string key per
        // behaviour was most of a long history's allocation).
        var queries = new Dictionary<ulong, int>();
        var distinct = new Dictionary<long, int>();
        var distinctTokens = new List<int>();
        var queryStart = new List<int> { 0 };
        var queryTokens = new List<int>();
        var slot = new int[items.Length];
        var counts = new List<int> { 0 };
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
            else if (Find(queries, hash, own, distinctTokens, queryStart, queryTokens) is int q and >= 0) slot[l] = q + 1;
            else
            {
                foreach (long token in own)
                {
                    if (token == Vocabulary.Padding) continue;
                    if ((ulong)token >= (ulong)tokenCount)
                        throw new ArgumentException($"Behaviour {l}: token index {token} is outside the token table (valid indices 0 to {tokenCount - 1}).", nameof(tokens));
                    if (!distinct.TryGetValue(token, out int d))
                    {
                        distinct.Add(token, d = distinctTokens.Count);
                        distinctTokens.Add((int)token);
                    }
                    queryTokens.Add(d);
                }
                queryStart.Add(queryTokens.Count);
                queries.TryAdd(hash, counts.Count - 1);
                counts.Add(0);
                slot[l] = counts.Count - 1;
            }
            counts[slot[l]]++;
            real++;
        }
        var runStart = new int[counts.Count + 1];
        for (int s = 0; s < counts.Count; s++) runStart[s + 1] = runStart[s] + counts[s];
        var next = runStart[..^1];
        var grouped = new int[real];
        var positions = new int[real];
        for (int l = 0; l < items.Length; l++)
        {
            if (slot[l] < 0) continue;
            int j = next[slot[l]]++;
            grouped[j] = (int)items[l];
            positions[j] = l;
        }
        return new DecomposedHistory(grouped, positions, runStart, distinctTokens.ToArray(), queryStart.ToArray(), queryTokens.ToArray());
    }
}
