using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.Serving;

/// <summary>
/// A ranking request as an input row that steps through its candidates: every column of the model's input schema reads
/// the shared history, the current candidate, or a default for columns the model does not read. Each step advances
/// <see cref="Position"/>, so transforms that compute once per position recompute per candidate.
/// </summary>
sealed class CandidateRow : DataViewRow, ISharedHistoryRow
{
    readonly SeminarRankerColumns _columns;
    readonly Delegate[] _getters;
    RankingRequest _request = new();
    VBuffer<ReadOnlyMemory<char>> _historyItems, _historyQueries;
    int _candidate = -1;
    long _position = -1, _historyVersion, _textsVersion;

    public CandidateRow(SeminarRankerColumns columns)
    {
        _columns = columns;
        Schema = columns.InputSchema;
        _getters = Schema.Select(Getter).ToArray();
    }

    public override DataViewSchema Schema { get; }
    public override long Position => _position;
    public override long Batch => 0;
    /// <summary>Changes with each request: its candidates share its history.</summary>
    public long HistoryVersion => _historyVersion;

    /// <summary>Binds the row to <paramref name="request"/> (already validated) before its first candidate.</summary>
    public void Start(RankingRequest request)
    {
        _request = request;
        _candidate = -1;
        _historyVersion++;
    }

    /// <summary>Reads the request's history in place when the featurizer asks for it by its history columns and the request holds arrays or lists.</summary>
    public bool HistoryTexts(DataViewSchema.Column items, DataViewSchema.Column? queries, out ReadOnlySpan<string?> itemTexts, out ReadOnlySpan<string?> queryTexts)
    {
        itemTexts = queryTexts = default;
        if (!Is(items, SeminarRankerColumns.ColumnRole.HistoryItems) || (queries is { } q && !Is(q, SeminarRankerColumns.ColumnRole.HistoryQueries))
            || !TrySpan(_request.HistoryItems, out itemTexts))
            return false;
        return queries == null || _request.HistoryQueries == null || TrySpan(_request.HistoryQueries, out queryTexts);
    }

    bool Is(DataViewSchema.Column column, SeminarRankerColumns.ColumnRole role) =>
        column.Index < Schema.Count && Schema[column.Index].Name == column.Name && _columns.Role(column) == role;

    // Arrays and lists are read as spans: through the interface every behaviour costs a call and a type check.
    static bool TrySpan(IReadOnlyList<string> values, out ReadOnlySpan<string?> span)
    {
        span = values switch { string[] array => array, List<string> list => CollectionsMarshal.AsSpan(list), _ => default };
        return span.Length == values.Count;
    }

    // The history columns' getters convert the request's texts on first read per request (the featurizer reads them in place instead).
    void EnsureTexts()
    {
        if (_textsVersion == _historyVersion) return;
        Texts(_request.HistoryItems, ref _historyItems);
        if (_request.HistoryQueries != null) Texts(_request.HistoryQueries, ref _historyQueries);
        else Blank(_request.HistoryItems.Count, ref _historyQueries);
        _textsVersion = _historyVersion;
    }

    /// <summary>Back before the first candidate of the same request, for a second pass over its candidates (positions go on rising).</summary>
    public void Rewind() => _candidate = -1;

    /// <summary>Moves to the next candidate of the request.</summary>
    public void Next()
    {
        _candidate++;
        _position++;
    }

    public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);
    public override bool IsColumnActive(DataViewSchema.Column column) => true;

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
        _getters[column.Index] as ValueGetter<TValue>
        ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}, not {typeof(TValue).Name}.");

    RankingCandidate Candidate => _request.Candidates[_candidate];

    Delegate Getter(DataViewSchema.Column column)
    {
        var role = _columns.Role(column);
        return role switch
        {
            SeminarRankerColumns.ColumnRole.HistoryItems => (ValueGetter<VBuffer<ReadOnlyMemory<char>>>)((ref VBuffer<ReadOnlyMemory<char>> v) =>
            {
                EnsureTexts();
                _historyItems.CopyTo(ref v);
            }),
            SeminarRankerColumns.ColumnRole.HistoryQueries => (ValueGetter<VBuffer<ReadOnlyMemory<char>>>)((ref VBuffer<ReadOnlyMemory<char>> v) =>
            {
                EnsureTexts();
                _historyQueries.CopyTo(ref v);
            }),
            SeminarRankerColumns.ColumnRole.TargetItem => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = Candidate.Item.AsMemory()),
            SeminarRankerColumns.ColumnRole.Query => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = (Candidate.Query ?? "").AsMemory()),
            SeminarRankerColumns.ColumnRole.Number => (ValueGetter<float>)((ref float v) => v = Number(column.Name)),
            SeminarRankerColumns.ColumnRole.Text => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = _request.Text![column.Name].AsMemory()),
            _ => _columns.DefaultGetter(column),
        };
    }

    float Number(string name) =>
        Candidate.Features != null && Candidate.Features.TryGetValue(name, out var own) ? own : _request.Features![name];

    static void Texts(IReadOnlyList<string> values, ref VBuffer<ReadOnlyMemory<char>> buffer)
    {
        var editor = VBufferEditor.Create(ref buffer, values.Count);
        var target = editor.Values;
        if (TrySpan(values, out var span))
            for (int i = 0; i < span.Length; i++) target[i] = (span[i] ?? "").AsMemory();
        else
            for (int i = 0; i < target.Length; i++) target[i] = (values[i] ?? "").AsMemory();
        buffer = editor.Commit();
    }

    static void Blank(int count, ref VBuffer<ReadOnlyMemory<char>> buffer)
    {
        var editor = VBufferEditor.Create(ref buffer, count);
        editor.Values.Fill(ReadOnlyMemory<char>.Empty);
        buffer = editor.Commit();
    }
}
