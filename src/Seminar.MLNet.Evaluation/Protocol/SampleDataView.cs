using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet.Evaluation.Protocol;

/// <summary>
/// An <see cref="IDataView"/> over a <see cref="SampleSet"/> in the SEMINAR column contract. Rows are
/// produced on demand: a history column is filled only when a consumer activates it, into the
/// consumer's reused <see cref="VBuffer{T}"/>, so lifelong histories are never materialised per dataset.
/// </summary>
public sealed class SampleDataView : IDataView
{
    /// <summary>Column holding the user index (Int32), for grouped metrics.</summary>
    public const string UserIndex = "UserIndex";
    /// <summary>Column holding the ranking group (Int32).</summary>
    public const string RankGroup = "RankGroup";
    /// <summary>Column holding the sample's timestamp (Int64).</summary>
    public const string Timestamp = "Timestamp";

    readonly SampleSet _samples;

    /// <summary>Wraps a sample set.</summary>
    public SampleDataView(SampleSet samples)
    {
        _samples = samples;
        var b = new DataViewSchema.Builder();
        var text = TextDataViewType.Instance;
        b.AddColumn(SeminarColumns.UserId, text);
        b.AddColumn(SeminarColumns.TargetItem, text);
        b.AddColumn(SeminarColumns.Query, text);
        b.AddColumn(SeminarColumns.Label, BooleanDataViewType.Instance);
        b.AddColumn(Timestamp, NumberDataViewType.Int64);
        b.AddColumn(SeminarColumns.HistoryItems, new VectorDataViewType(text));
        b.AddColumn(SeminarColumns.HistoryQueries, new VectorDataViewType(text));
        b.AddColumn(SeminarColumns.HistoryTimestamps, new VectorDataViewType(NumberDataViewType.Int64));
        foreach (var f in BaselineFeatures.Names) b.AddColumn(f, NumberDataViewType.Single);
        b.AddColumn(UserIndex, NumberDataViewType.Int32);
        b.AddColumn(RankGroup, NumberDataViewType.Int32);
        b.AddColumn(SeminarColumns.IsValidation, BooleanDataViewType.Instance);
        Schema = b.ToSchema();
    }

    /// <summary>The samples behind the view.</summary>
    public SampleSet Samples => _samples;

    /// <inheritdoc />
    public bool CanShuffle => false;

    /// <inheritdoc />
    public DataViewSchema Schema { get; }

    /// <inheritdoc />
    public long? GetRowCount() => _samples.Count;

    /// <inheritdoc />
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded);

    /// <inheritdoc />
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    /// <summary>Per-cursor state only: the view itself is immutable and may serve parallel cursors.</summary>
    sealed class Cursor : DataViewRowCursor
    {
        readonly SampleDataView _view;
        readonly bool[] _active;
        long _position = -1;

        public Cursor(SampleDataView view, IEnumerable<DataViewSchema.Column> columnsNeeded)
        {
            _view = view;
            _active = new bool[view.Schema.Count];
            foreach (var c in columnsNeeded) _active[c.Index] = true;
        }

        public override DataViewSchema Schema => _view.Schema;
        public override long Position => _position;
        public override long Batch => 0;
        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];

        public override bool MoveNext()
        {
            if (_position + 1 >= _view._samples.Count) { _position = _view._samples.Count; return false; }
            _position++;
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        int Row => _position >= 0 && _position < _view._samples.Count
            ? (int)_position
            : throw new InvalidOperationException("The cursor is not on a row.");

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active[column.Index]) throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
            var s = _view._samples;
            var log = s.Log;
            Delegate getter = column.Name switch
            {
                SeminarColumns.UserId => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = log.UserIds[s.User(Row)].AsMemory()),
                SeminarColumns.TargetItem => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = log.ItemIds[s.Item(Row)].AsMemory()),
                SeminarColumns.Query => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = log.Queries[s.Query(Row)].AsMemory()),
                SeminarColumns.Label => (ValueGetter<bool>)((ref bool v) => v = s.Label(Row)),
                Timestamp => (ValueGetter<long>)((ref long v) => v = s.Time(Row)),
                SeminarColumns.HistoryItems => (ValueGetter<VBuffer<ReadOnlyMemory<char>>>)((ref VBuffer<ReadOnlyMemory<char>> v) =>
                    FillText(ref v, s.History(Row), e => log.ItemIds[log.Item[e]])),
                SeminarColumns.HistoryQueries => (ValueGetter<VBuffer<ReadOnlyMemory<char>>>)((ref VBuffer<ReadOnlyMemory<char>> v) =>
                    FillText(ref v, s.History(Row), e => log.Queries[log.Query[e]])),
                SeminarColumns.HistoryTimestamps => (ValueGetter<VBuffer<long>>)((ref VBuffer<long> v) =>
                {
                    var h = s.History(Row);
                    var editor = VBufferEditor.Create(ref v, h.Length);
                    for (int i = 0; i < h.Length; i++) editor.Values[i] = log.Time[h[i]];
                    v = editor.Commit();
                }),
                UserIndex => (ValueGetter<int>)((ref int v) => v = s.User(Row)),
                RankGroup => (ValueGetter<int>)((ref int v) => v = s.RankGroup(Row)),
                SeminarColumns.IsValidation => (ValueGetter<bool>)((ref bool v) => v = s.IsValidation(Row)),
                _ => FeatureGetter(column.Name),
            };
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is of type {column.Type}, not {typeof(TValue).Name}.");
        }

        Delegate FeatureGetter(string name)
        {
            int f = Array.IndexOf(BaselineFeatures.Names, name);
            if (f < 0) throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown column.");
            var s = _view._samples;
            return (ValueGetter<float>)((ref float v) => v = s.Feature(Row, f));
        }

        static void FillText(ref VBuffer<ReadOnlyMemory<char>> v, ReadOnlySpan<int> history, Func<int, string> text)
        {
            var editor = VBufferEditor.Create(ref v, history.Length);
            for (int i = 0; i < history.Length; i++) editor.Values[i] = text(history[i]).AsMemory();
            v = editor.Commit();
        }
    }
}
