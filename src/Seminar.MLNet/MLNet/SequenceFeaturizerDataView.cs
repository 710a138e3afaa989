using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.MLNet;

/// <summary>
/// The featurizer's C# fast path as an <see cref="IDataView"/>: the input's columns plus the five outputs,
/// computed lazily per row (each cursor has its own featurizer and buffers; the input row is read once
/// per position whichever outputs are asked for).
/// </summary>
sealed class SequenceFeaturizerDataView : IDataView
{
    readonly IDataView _input;
    readonly SequenceVocabularies _vocabularies;
    readonly InputColumns _columns;
    readonly int _firstOutput;

    public SequenceFeaturizerDataView(IDataView input, SequenceVocabularies vocabularies, SequenceFeaturizerOptions options)
    {
        _input = input;
        _vocabularies = vocabularies;
        _columns = InputColumns.Resolve(input.Schema, options);
        Schema = OutputSchema(input.Schema, options, vocabularies);
        _firstOutput = input.Schema.Count;
    }

    /// <summary>
    /// The input schema with the output columns appended (later columns hide earlier ones of the same name);
    /// the history items column is annotated with the vocabularies (<see cref="SequenceVocabulariesAnnotation"/>).
    /// </summary>
    public static DataViewSchema OutputSchema(DataViewSchema input, SequenceFeaturizerOptions o, SequenceVocabularies vocabularies)
    {
        var b = new DataViewSchema.Builder();
        b.AddColumns(input);
        foreach (var (name, type) in OutputColumns(o, vocabularies.MaxQueryTokens))
            b.AddColumn(name, type, name == o.OutputHistoryItemsColumn ? SequenceVocabulariesAnnotation.Create(vocabularies) : null);
        return b.ToSchema();
    }

    /// <summary>Output names and types, in output order; the ONNX path gives the same types.</summary>
    public static (string Name, DataViewType Type)[] OutputColumns(SequenceFeaturizerOptions o, int queryTokens) => new (string, DataViewType)[]
    {
        (o.OutputHistoryItemsColumn, new VectorDataViewType(NumberDataViewType.Int64)),
        (o.OutputHistoryQueryTokensColumn, new VectorDataViewType(NumberDataViewType.Int64)),
        (o.OutputHistoryLengthColumn, new VectorDataViewType(NumberDataViewType.Int64, 1)),
        (o.OutputTargetItemColumn, new VectorDataViewType(NumberDataViewType.Int64, 1)),
        (o.OutputQueryTokensColumn, new VectorDataViewType(NumberDataViewType.Int64, queryTokens)),
    };

    public DataViewSchema Schema { get; }
    public bool CanShuffle => _input.CanShuffle;
    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var (inputNeeded, outputs) = Split(columnsNeeded);
        return new Cursor(this, _input.GetRowCursor(inputNeeded, rand), outputs);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var (inputNeeded, outputs) = Split(columnsNeeded);
        return _input.GetRowCursorSet(inputNeeded, n, rand).Select(c => (DataViewRowCursor)new Cursor(this, c, outputs)).ToArray();
    }

    (List<DataViewSchema.Column> Input, bool[] Outputs) Split(IEnumerable<DataViewSchema.Column> needed)
    {
        var input = new List<DataViewSchema.Column>();
        var outputs = new bool[Schema.Count - _firstOutput];
        foreach (var c in needed)
        {
            if (c.Index >= _firstOutput) outputs[c.Index - _firstOutput] = true;
            else input.Add(_input.Schema[c.Index]);
        }
        if (outputs.Any(o => o)) input.AddRange(_columns.Active.Where(a => input.All(i => i.Index != a.Index)));
        return (input, outputs);
    }

    sealed class Cursor : DataViewRowCursor
    {
        readonly SequenceFeaturizerDataView _view;
        readonly DataViewRowCursor _input;
        readonly bool[] _outputs;
        readonly InputRowReader? _reader;
        readonly SequenceRowFeaturizer _featurizer;
        long _readAt = -1;

        public Cursor(SequenceFeaturizerDataView view, DataViewRowCursor input, bool[] outputs)
        {
            _view = view;
            _input = input;
            _outputs = outputs;
            _featurizer = new SequenceRowFeaturizer(view._vocabularies);
            if (outputs.Any(o => o)) _reader = new InputRowReader(input, view._columns);
        }

        public override DataViewSchema Schema => _view.Schema;
        public override long Position => _input.Position;
        public override long Batch => _input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();
        public override bool MoveNext() => _input.MoveNext();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index >= _view._firstOutput ? _outputs[column.Index - _view._firstOutput] : _input.IsColumnActive(_view._input.Schema[column.Index]);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < _view._firstOutput) return _input.GetGetter<TValue>(_view._input.Schema[column.Index]);
            int k = column.Index - _view._firstOutput;
            if (!_outputs[k]) throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
            if (typeof(TValue) != typeof(VBuffer<long>)) throw new InvalidOperationException($"Column '{column.Name}' holds VBuffer<Int64>, not {typeof(TValue).Name}.");
            var reader = _reader!;
            var f = _featurizer;
            ValueGetter<VBuffer<long>> getter = k switch
            {
                0 => (ref VBuffer<long> v) => { Ensure(); f.HistoryItems(reader, ref v); },
                1 => (ref VBuffer<long> v) => { Ensure(); f.HistoryQueryTokens(reader, ref v); },
                2 => (ref VBuffer<long> v) => { Ensure(); f.HistoryLength(reader, ref v); },
                3 => (ref VBuffer<long> v) => { Ensure(); f.TargetItem(reader, ref v); },
                _ => (ref VBuffer<long> v) => { Ensure(); f.QueryTokens(reader, ref v); },
            };
            return (ValueGetter<TValue>)(Delegate)getter;
        }

        void Ensure()
        {
            if (_readAt == _input.Position) return;
            _reader!.Read();
            _readAt = _input.Position;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _input.Dispose();
            base.Dispose(disposing);
        }
    }
}
