namespace Seminar.MLNet.Featurization;

/// <summary>
/// The raw history (item ids and queries) the featurizer last built its history outputs from: consecutive rows of one
/// user (a candidate list as rows) carry the same history, so the featurizer compares the text and reuses instead of
/// looking up and tokenizing it again. A copy into a reused char pool, not the row's memory: ML.NET reuses input
/// buffers between rows, so what a row hands over may change under the featurizer.
/// </summary>
sealed class HistoryTextCache
{
    char[] _chars = Array.Empty<char>();
    // End offset in _chars of each remembered text: the items, then the queries.
    int[] _ends = Array.Empty<int>();
    int _items = -1, _queries;

    /// <summary>Whether the remembered history equals this one: the same counts, then each text char for char.</summary>
    public bool Matches(ReadOnlySpan<ReadOnlyMemory<char>> items, ReadOnlySpan<ReadOnlyMemory<char>> queries)
    {
        if (_items != items.Length || _queries != queries.Length) return false;
        int k = 0, start = 0;
        return Same(items, ref k, ref start) && Same(queries, ref k, ref start);
    }

    bool Same(ReadOnlySpan<ReadOnlyMemory<char>> texts, ref int k, ref int start)
    {
        var chars = _chars.AsSpan();
        foreach (var text in texts)
        {
            int end = _ends[k++];
            if (!text.Span.SequenceEqual(chars[start..end])) return false;
            start = end;
        }
        return true;
    }

    /// <summary>Remembers no history: the next <see cref="Matches"/> is false.</summary>
    public void Forget() => _items = -1;

    /// <summary>Remembers a history (call only once the row has passed the featurizer's checks).</summary>
    public void Remember(ReadOnlySpan<ReadOnlyMemory<char>> items, ReadOnlySpan<ReadOnlyMemory<char>> queries)
    {
        _items = -1;
        int count = items.Length + queries.Length, total = Length(items) + Length(queries);
        if (_ends.Length < count) _ends = new int[Math.Max(count, 2 * _ends.Length)];
        if (_chars.Length < total) _chars = new char[Math.Max(total, 2 * _chars.Length)];
        int k = 0, end = 0;
        Copy(items, ref k, ref end);
        Copy(queries, ref k, ref end);
        _items = items.Length;
        _queries = queries.Length;
    }

    void Copy(ReadOnlySpan<ReadOnlyMemory<char>> texts, ref int k, ref int end)
    {
        foreach (var text in texts)
        {
            text.Span.CopyTo(_chars.AsSpan(end));
            end += text.Length;
            _ends[k++] = end;
        }
    }

    static int Length(ReadOnlySpan<ReadOnlyMemory<char>> texts)
    {
        int total = 0;
        foreach (var text in texts) total = checked(total + text.Length);
        return total;
    }
}
