namespace Seminar.MLNet.PsuScoring;

/// <summary>
/// The history a row scorer last built its per-history state from (fused rows, codes): consecutive rows of one user (a
/// candidate list as rows) carry the same history, so a scorer compares and reuses instead of rebuilding. A copy, not
/// a reference: ML.NET reuses input buffers between rows, so the spans a row hands over may change under the scorer.
/// </summary>
sealed class HistoryCache
{
    long[] _items = Array.Empty<long>(), _tokens = Array.Empty<long>();
    int _length = -1, _tokenCount;

    /// <summary>Whether the remembered history equals this one, item for item and token for token.</summary>
    public bool Matches(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens) =>
        _length == items.Length && _tokenCount == tokens.Length
        && items.SequenceEqual(_items.AsSpan(0, _length)) && tokens.SequenceEqual(_tokens.AsSpan(0, _tokenCount));

    /// <summary>Remembers a history whose state the scorer has just built in full (call only after it succeeded).</summary>
    public void Remember(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens)
    {
        if (_items.Length < items.Length) _items = new long[Math.Max(items.Length, 2 * _items.Length)];
        if (_tokens.Length < tokens.Length) _tokens = new long[Math.Max(tokens.Length, 2 * _tokens.Length)];
        items.CopyTo(_items);
        tokens.CopyTo(_tokens);
        _length = items.Length;
        _tokenCount = tokens.Length;
    }

    /// <summary>Forgets the history: the state it described is being overwritten (or failed half way).</summary>
    public void Forget() => _length = -1;
}
