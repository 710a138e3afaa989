using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet.Featurization;

/// <summary>The featurizer's input columns found in a schema, type-checked; optional ones may be absent.</summary>
internal sealed class InputColumns
{
    InputColumns(DataViewSchema.Column items, DataViewSchema.Column? queries, DataViewSchema.Column target, DataViewSchema.Column? query)
    {
        HistoryItems = items;
        HistoryQueries = queries;
        TargetItem = target;
        Query = query;
    }

    /// <summary>History item ids (vector of text).</summary>
    public DataViewSchema.Column HistoryItems { get; }
    /// <summary>History queries (vector of text), if the input has them.</summary>
    public DataViewSchema.Column? HistoryQueries { get; }
    /// <summary>Target item id (text).</summary>
    public DataViewSchema.Column TargetItem { get; }
    /// <summary>Target query (text), if the input has it.</summary>
    public DataViewSchema.Column? Query { get; }

    /// <summary>The columns a cursor must activate.</summary>
    public IEnumerable<DataViewSchema.Column> Active
    {
        get
        {
            yield return HistoryItems;
            if (HistoryQueries is { } q) yield return q;
            yield return TargetItem;
            if (Query is { } t) yield return t;
        }
    }

    /// <summary>Finds and checks the columns; throws naming a missing or mistyped column.</summary>
    public static InputColumns Resolve(DataViewSchema schema, SequenceFeaturizerOptions options)
    {
        var items = Find(schema, options.HistoryItemsColumnName, vector: true, required: true)!.Value;
        var queries = Find(schema, options.HistoryQueriesColumnName, vector: true, required: false);
        var target = Find(schema, options.TargetItemColumnName, vector: false, required: true)!.Value;
        var query = Find(schema, options.QueryColumnName, vector: false, required: false);
        return new InputColumns(items, queries, target, query);
    }

    static DataViewSchema.Column? Find(DataViewSchema schema, string? name, bool vector, bool required)
    {
        var col = name == null ? null : schema.GetColumnOrNull(name);
        if (col == null)
        {
            if (required) throw new ArgumentException($"Input column '{name}' is missing (columns: {string.Join(", ", schema.Select(c => c.Name))}).", nameof(schema));
            return null;
        }
        bool ok = vector ? col.Value.Type is VectorDataViewType { ItemType: TextDataViewType } : col.Value.Type is TextDataViewType;
        if (!ok) throw new ArgumentException($"Input column '{name}' must be {(vector ? "a vector of text" : "text")}; it is {col.Value.Type}.", nameof(schema));
        return col;
    }
}

/// <summary>Reads one row's featurizer inputs through reused buffers (per cursor, never shared).</summary>
internal sealed class InputRowReader
{
    readonly DataViewRow _row;
    readonly InputColumns _columns;
    readonly ValueGetter<VBuffer<ReadOnlyMemory<char>>> _items;
    readonly ValueGetter<VBuffer<ReadOnlyMemory<char>>>? _queries;
    readonly ValueGetter<ReadOnlyMemory<char>> _target;
    readonly ValueGetter<ReadOnlyMemory<char>>? _query;
    VBuffer<ReadOnlyMemory<char>> _itemBuffer, _queryBuffer;
    ReadOnlyMemory<char>[] _itemDense = Array.Empty<ReadOnlyMemory<char>>(), _queryDense = Array.Empty<ReadOnlyMemory<char>>();
    ReadOnlyMemory<char> _targetValue, _queryValue;
    readonly ISharedHistoryRow? _shared;
    // The shared history's version the buffers hold; null before the first read and after a refused one.
    long? _historyVersion;

    /// <summary>Binds getters on a row (cursor) whose active columns include <see cref="InputColumns.Active"/>.</summary>
    public InputRowReader(DataViewRow row, InputColumns columns)
    {
        _row = row;
        _shared = row as ISharedHistoryRow;
        _columns = columns;
        _items = row.GetGetter<VBuffer<ReadOnlyMemory<char>>>(columns.HistoryItems);
        if (columns.HistoryQueries is { } q) _queries = row.GetGetter<VBuffer<ReadOnlyMemory<char>>>(q);
        _target = row.GetGetter<ReadOnlyMemory<char>>(columns.TargetItem);
        if (columns.Query is { } t) _query = row.GetGetter<ReadOnlyMemory<char>>(t);
    }

    /// <summary>Whether the input has history queries.</summary>
    public bool HasHistoryQueries => _queries != null;
    /// <summary>Behaviours in the current row (before truncation).</summary>
    public int HistoryLength { get; private set; }
    /// <summary>History item ids of the current row.</summary>
    public ReadOnlySpan<ReadOnlyMemory<char>> HistoryItems => _itemBuffer.IsDense ? _itemBuffer.GetValues() : _itemDense;
    /// <summary>History queries of the current row (empty when the input has none).</summary>
    public ReadOnlySpan<ReadOnlyMemory<char>> HistoryQueries => _queries == null ? default : _queryBuffer.IsDense ? _queryBuffer.GetValues() : _queryDense;
    /// <summary>Target item id of the current row.</summary>
    public ReadOnlyMemory<char> Target => _targetValue;
    /// <summary>Target query of the current row (empty when the input has none).</summary>
    public ReadOnlyMemory<char> Query => _queryValue;

    /// <summary>
    /// Whether the current history is read in place from the row's owner (<see cref="ISharedHistoryRow.HistoryTexts"/>):
    /// then <see cref="InPlaceTexts"/> holds it and <see cref="HistoryItems"/> and <see cref="HistoryQueries"/> are not filled.
    /// </summary>
    public bool HistoryInPlace { get; private set; }

    /// <summary>The current history's texts when <see cref="HistoryInPlace"/>; queries empty when every behaviour browses.</summary>
    public void InPlaceTexts(out ReadOnlySpan<string?> items, out ReadOnlySpan<string?> queries)
    {
        if (!HistoryInPlace || !_shared!.HistoryTexts(_columns.HistoryItems, _columns.HistoryQueries, out items, out queries))
            throw new InvalidOperationException("The current row's history is not read in place.");
    }

    /// <summary>Whether the row says when its history changes (<see cref="ISharedHistoryRow"/>), so the history's text need not be compared.</summary>
    public bool SharesHistory => _shared != null;

    /// <summary>Whether the last <see cref="Read"/> kept the history of the read before it (the row shares its history, see <see cref="ISharedHistoryRow"/>).</summary>
    public bool HistoryUnchanged { get; private set; }

    /// <summary>Reads the current row; throws when history queries and items differ in length.</summary>
    public void Read()
    {
        HistoryUnchanged = _shared != null && _historyVersion == _shared.HistoryVersion;
        if (!HistoryUnchanged) ReadHistory();
        _target(ref _targetValue);
        if (_query != null) _query(ref _queryValue);
    }

    void ReadHistory()
    {
        _historyVersion = null;
        HistoryInPlace = false;
        if (_shared != null && _shared.HistoryTexts(_columns.HistoryItems, _columns.HistoryQueries, out var items, out var queries))
        {
            HistoryLength = items.Length;
            if (_queries != null && !queries.IsEmpty) HistoryLengthCheck.Check(_row.Position, _columns, queries.Length, HistoryLength);
            HistoryInPlace = true;
            _historyVersion = _shared.HistoryVersion;
            return;
        }
        _items(ref _itemBuffer);
        HistoryLength = _itemBuffer.Length;
        if (!_itemBuffer.IsDense) Densify(_itemBuffer, ref _itemDense);
        if (_queries != null)
        {
            _queries(ref _queryBuffer);
            HistoryLengthCheck.Check(_row.Position, _columns, _queryBuffer.Length, HistoryLength);
            if (!_queryBuffer.IsDense) Densify(_queryBuffer, ref _queryDense);
        }
        // Only a history that passed the checks is kept for later rows of the same version.
        if (_shared != null) _historyVersion = _shared.HistoryVersion;
    }

    static void Densify(in VBuffer<ReadOnlyMemory<char>> sparse, ref ReadOnlyMemory<char>[] dense)
    {
        if (dense.Length != sparse.Length) dense = new ReadOnlyMemory<char>[sparse.Length];
        int k = 0;
        foreach (var v in sparse.DenseValues()) dense[k++] = v;
    }
}
