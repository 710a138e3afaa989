using Microsoft.ML.Data;

namespace Seminar.MLNet.Featurization;

/// <summary>
/// The C# fast path of the featurizer for one row at a time. Holds per-cursor scratch space only, so
/// give each cursor its own instance. Writes into the caller's reused <see cref="VBuffer{T}"/>s.
/// The saved ONNX graph computes the same outputs; parity tests hold them together.
/// </summary>
/// <remarks>
/// The history outputs depend only on the kept behaviours' item ids and queries, so when a row's kept history equals
/// the previous row's (a candidate list as rows) they are copied from the previous row's instead of looked up and
/// tokenized again; only the target item and query are featurized per row.
/// </remarks>
internal sealed class SequenceRowFeaturizer
{
    readonly SequenceVocabularies _v;
    readonly HistoryTextCache _history = new();
    readonly ShortTokenCache _words;

    /// <summary>
    /// Query texts ahead of the one being tokenized whose characters are requested: each text is its own object, and
    /// a request's 10,000 of them missed the caches one after the other (16-21% of a one-candidate request at
    /// L = 10,000, both ways interleaved in one process; 8 to 64 ahead all gained about as much).
    /// </summary>
    const int TextsAhead = 16;
    long[] _items = Array.Empty<long>(), _tokens = Array.Empty<long>();
    int _from, _kept;
    bool _itemsReady, _tokensReady;

    /// <summary>Creates a featurizer over fitted vocabularies.</summary>
    public SequenceRowFeaturizer(SequenceVocabularies vocabularies)
    {
        _v = vocabularies;
        _words = new ShortTokenCache(vocabularies.TokenForms);
    }

    /// <summary>First kept position of a history of <paramref name="length"/> behaviours.</summary>
    public int KeptFrom(int length) => Math.Max(0, length - _v.MaxHistory);

    /// <summary>
    /// Binds the featurizer to the row <paramref name="row"/> has just read (and checked); call once per row before
    /// any output. Keeps the previous row's history outputs when its kept history is the same text.
    /// </summary>
    public void Start(InputRowReader row)
    {
        int from = KeptFrom(row.HistoryLength);
        _from = from;
        // The reader kept the last row's history, which Start featurized then: nothing to compare.
        if (row.HistoryUnchanged) return;
        // A row that shares its history says when it changes, so its text is not copied to compare (the copy was about a
        // sixth of the featurizer's time in a profile of one-candidate requests at L = 10,000).
        if (row.SharesHistory) _history.Forget();
        else
        {
            var items = row.HistoryItems[from..];
            var queries = row.HasHistoryQueries ? row.HistoryQueries[from..] : default;
            if (_history.Matches(items, queries)) return;
            _history.Remember(items, queries);
        }
        _itemsReady = _tokensReady = false;
        _kept = row.HistoryLength - from;
    }

    /// <summary>Item index of each kept behaviour.</summary>
    public void HistoryItems(InputRowReader row, ref VBuffer<long> output)
    {
        int n = _kept;
        if (!_itemsReady)
        {
            if (_items.Length < n) _items = new long[Math.Max(n, 2 * _items.Length)];
            if (row.HistoryInPlace)
            {
                row.InPlaceTexts(out var texts, out _);
                _v.Items.IndexOfEach(texts.Slice(_from, n), _items);
            }
            else _v.Items.IndexOfEach(row.HistoryItems.Slice(_from, n), _items);
            _itemsReady = true;
        }
        var editor = VBufferEditor.Create(ref output, n);
        _items.AsSpan(0, n).CopyTo(editor.Values);
        output = editor.Commit();
    }

    /// <summary>MaxQueryTokens token indices per kept behaviour, flattened, 0-padded.</summary>
    public void HistoryQueryTokens(InputRowReader row, ref VBuffer<long> output)
    {
        int n = _kept, t = _v.MaxQueryTokens, size = n * t;
        if (!_tokensReady)
        {
            if (_tokens.Length < size) _tokens = new long[Math.Max(size, 2 * _tokens.Length)];
            var tokens = _tokens.AsSpan(0, size);
            if (row.HistoryInPlace)
            {
                row.InPlaceTexts(out _, out var texts);
                if (row.HasHistoryQueries && !texts.IsEmpty)
                    for (int i = 0; i < n; i++)
                    {
                        if (i + TextsAhead < n) StringKeys.Prefetch(texts[_from + i + TextsAhead]);
                        Tokens(texts[_from + i].AsSpan(), tokens.Slice(i * t, t));
                    }
                else tokens.Clear();
            }
            else if (row.HasHistoryQueries)
            {
                var queries = row.HistoryQueries;
                for (int i = 0; i < n; i++)
                {
                    if (i + TextsAhead < n) MemoryKeys.Prefetch(queries[_from + i + TextsAhead]);
                    Tokens(queries[_from + i].Span, tokens.Slice(i * t, t));
                }
            }
            else tokens.Clear();
            _tokensReady = true;
        }
        var editor = VBufferEditor.Create(ref output, size);
        _tokens.AsSpan(0, size).CopyTo(editor.Values);
        output = editor.Commit();
    }

    /// <summary>Number of kept behaviours, as a one-element vector.</summary>
    public void HistoryLength(ref VBuffer<long> output)
    {
        var editor = VBufferEditor.Create(ref output, 1);
        editor.Values[0] = _kept;
        output = editor.Commit();
    }

    /// <summary>Target item index, as a one-element vector.</summary>
    public void TargetItem(InputRowReader row, ref VBuffer<long> output)
    {
        var editor = VBufferEditor.Create(ref output, 1);
        editor.Values[0] = _v.Items.IndexOf(row.Target.Span);
        output = editor.Commit();
    }

    /// <summary>Target query token indices, MaxQueryTokens wide, 0-padded.</summary>
    public void QueryTokens(InputRowReader row, ref VBuffer<long> output)
    {
        var editor = VBufferEditor.Create(ref output, _v.MaxQueryTokens);
        Tokens(row.Query.Span, editor.Values);
        output = editor.Commit();
    }

    // Writes every entry of into: the tokens' indices, then 0s (so the history's buffer needs no clearing pass first).
    void Tokens(ReadOnlySpan<char> text, Span<long> into)
    {
        int k = 0;
        foreach (var token in TextTokenizer.EnumerateTokens(text))
        {
            if (k == into.Length) break;
            into[k++] = _words.IndexOf(token);
        }
        into[k..].Clear();
    }
}
