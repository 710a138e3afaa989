using Microsoft.ML.Data;

namespace Seminar.MLNet.Featurization;

/// <summary>
/// The C# fast path of the featurizer for one row at a time. Holds per-cursor scratch space only, so
/// give each cursor its own instance. Writes into the caller's reused <see cref="VBuffer{T}"/>s.
/// The saved ONNX graph computes the same outputs; parity tests hold them together.
/// </summary>
internal sealed class SequenceRowFeaturizer
{
    readonly SequenceVocabularies _v;

    /// <summary>Creates a featurizer over fitted vocabularies.</summary>
    public SequenceRowFeaturizer(SequenceVocabularies vocabularies) => _v = vocabularies;

    /// <summary>First kept position of a history of <paramref name="length"/> behaviours.</summary>
    public int KeptFrom(int length) => Math.Max(0, length - _v.MaxHistory);

    /// <summary>Item index of each kept behaviour.</summary>
    public void HistoryItems(InputRowReader row, ref VBuffer<long> output)
    {
        int from = KeptFrom(row.HistoryLength), n = row.HistoryLength - from;
        var editor = VBufferEditor.Create(ref output, n);
        var items = row.HistoryItems;
        for (int i = 0; i < n; i++) editor.Values[i] = _v.Items.IndexOf(items[from + i].Span);
        output = editor.Commit();
    }

    /// <summary>MaxQueryTokens token indices per kept behaviour, flattened, 0-padded.</summary>
    public void HistoryQueryTokens(InputRowReader row, ref VBuffer<long> output)
    {
        int from = KeptFrom(row.HistoryLength), n = row.HistoryLength - from, t = _v.MaxQueryTokens;
        var editor = VBufferEditor.Create(ref output, n * t);
        editor.Values.Clear();
        if (row.HasHistoryQueries)
        {
            var queries = row.HistoryQueries;
            for (int i = 0; i < n; i++) Tokens(queries[from + i].Span, editor.Values.Slice(i * t, t));
        }
        output = editor.Commit();
    }

    /// <summary>Number of kept behaviours, as a one-element vector.</summary>
    public void HistoryLength(InputRowReader row, ref VBuffer<long> output)
    {
        var editor = VBufferEditor.Create(ref output, 1);
        editor.Values[0] = row.HistoryLength - KeptFrom(row.HistoryLength);
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
        editor.Values.Clear();
        Tokens(row.Query.Span, editor.Values);
        output = editor.Commit();
    }

    void Tokens(ReadOnlySpan<char> text, Span<long> into)
    {
        int k = 0;
        foreach (var token in TextTokenizer.EnumerateTokens(text))
        {
            if (k == into.Length) break;
            into[k++] = _v.TokenForms.IndexOf(token);
        }
    }
}
