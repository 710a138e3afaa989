using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.MLNet;

/// <summary>
/// The PSU's C# fast path as an <see cref="IDataView"/>: the input's columns plus target, interest and score.
/// Each cursor has its own <see cref="PsuRowScorer"/> and buffers (transforms run on parallel cursors); a row's
/// forward pass runs once per position whichever outputs are read.
/// </summary>
sealed class PsuEmbeddingDataView : IDataView
{
    readonly IDataView _input;
    readonly PsuScoringModel _model;
    readonly PsuColumnOptions _columns;
    readonly PsuInputColumns _inputs;
    readonly int _firstOutput;

    public PsuEmbeddingDataView(IDataView input, PsuScoringModel model, PsuColumnOptions columns)
    {
        _input = input;
        _model = model;
        _columns = columns;
        _inputs = PsuInputColumns.Resolve(input.Schema, columns, model.QueryTokens);
        Schema = OutputSchema(input.Schema, columns, model.Dimension);
        _firstOutput = input.Schema.Count;
    }

    /// <summary>The input schema with the output columns appended (later columns hide earlier ones of the same name).</summary>
    public static DataViewSchema OutputSchema(DataViewSchema input, PsuColumnOptions columns, int dimension)
    {
        var b = new DataViewSchema.Builder();
        b.AddColumns(input);
        foreach (var (name, type) in OutputColumns(columns, dimension)) b.AddColumn(name, type);
        return b.ToSchema();
    }

    /// <summary>Output names and types: target and interest <c>Vector&lt;Single, D&gt;</c>, score <c>Vector&lt;Single, 1&gt;</c>, as the ONNX path gives them.</summary>
    public static (string Name, DataViewType Type)[] OutputColumns(PsuColumnOptions c, int dimension) => new (string, DataViewType)[]
    {
        (c.TargetOutputColumn, new VectorDataViewType(NumberDataViewType.Single, dimension)),
        (c.InterestOutputColumn, new VectorDataViewType(NumberDataViewType.Single, dimension)),
        (c.ScoreOutputColumn, new VectorDataViewType(NumberDataViewType.Single, 1)),
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
        if (outputs.Any(o => o)) input.AddRange(_inputs.All.Where(a => input.All(i => i.Index != a.Index)));
        return (input, outputs);
    }

    sealed class Cursor : DataViewRowCursor
    {
        readonly PsuEmbeddingDataView _view;
        readonly DataViewRowCursor _input;
        readonly bool[] _outputs;
        readonly ValueGetter<VBuffer<long>>[] _getters = Array.Empty<ValueGetter<VBuffer<long>>>();
        readonly VBuffer<long>[] _values = new VBuffer<long>[4], _dense = new VBuffer<long>[4];
        readonly PsuRowScorer? _scorer;
        readonly float[] _target, _interest;
        float _score;
        long _scoredAt = -1;

        public Cursor(PsuEmbeddingDataView view, DataViewRowCursor input, bool[] outputs)
        {
            _view = view;
            _input = input;
            _outputs = outputs;
            _target = new float[view._model.Dimension];
            _interest = new float[view._model.Dimension];
            if (!outputs.Any(o => o)) return;
            _scorer = new PsuRowScorer(view._model, view._columns);
            _getters = view._inputs.All.Select(c => input.GetGetter<VBuffer<long>>(c)).ToArray();
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
            if (typeof(TValue) != typeof(VBuffer<float>)) throw new InvalidOperationException($"Column '{column.Name}' holds VBuffer<Single>, not {typeof(TValue).Name}.");
            ValueGetter<VBuffer<float>> getter = k switch
            {
                0 => (ref VBuffer<float> v) => { Ensure(); Write(_target, ref v); },
                1 => (ref VBuffer<float> v) => { Ensure(); Write(_interest, ref v); },
                _ => (ref VBuffer<float> v) => { Ensure(); Write(new ReadOnlySpan<float>(in _score), ref v); },
            };
            return (ValueGetter<TValue>)(Delegate)getter;
        }

        void Ensure()
        {
            if (_scoredAt == _input.Position) return;
            for (int i = 0; i < _getters.Length; i++) _getters[i](ref _values[i]);
            try
            {
                _score = _scorer!.Score(Dense(0), Dense(1), Dense(2)[0], Dense(3), _target, _interest);
            }
            catch (ArgumentException e)
            {
                throw new InvalidOperationException($"Row {_input.Position}: {e.Message}", e);
            }
            _scoredAt = _input.Position;
        }

        /// <summary>The values of input i as a dense span (ML.NET may hand over sparse vectors).</summary>
        ReadOnlySpan<long> Dense(int i)
        {
            if (_values[i].IsDense) return _values[i].GetValues();
            _values[i].CopyToDense(ref _dense[i]);
            return _dense[i].GetValues();
        }

        static void Write(ReadOnlySpan<float> values, ref VBuffer<float> v)
        {
            var editor = VBufferEditor.Create(ref v, values.Length);
            values.CopyTo(editor.Values);
            v = editor.Commit();
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _input.Dispose();
            base.Dispose(disposing);
        }
    }
}
