using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.MLNet;

/// <summary>
/// The PSU's C# fast path as an <see cref="IDataView"/>: the input's columns plus target, interest and score.
/// Each cursor has its own <see cref="PsuRowScorer"/> and buffers (transforms run on parallel cursors); a row's
/// forward pass runs once per position whichever outputs are read.
/// </summary>
sealed class PsuEmbeddingDataView : AppendingDataView
{
    readonly PsuScoringModel _model;
    readonly PsuColumnOptions _columns;
    readonly PsuInputColumns _inputs;

    public PsuEmbeddingDataView(IDataView input, PsuScoringModel model, PsuColumnOptions columns)
        : this(input, model, columns, PsuInputColumns.Resolve(input.Schema, columns, model.QueryTokens))
    {
    }

    PsuEmbeddingDataView(IDataView input, PsuScoringModel model, PsuColumnOptions columns, PsuInputColumns inputs)
        : base(input, OutputColumns(columns, model.Dimension), inputs.All)
    {
        _model = model;
        _columns = columns;
        _inputs = inputs;
    }

    /// <summary>The input schema with the output columns appended.</summary>
    public static DataViewSchema OutputSchema(DataViewSchema input, PsuColumnOptions columns, int dimension) => Append(input, OutputColumns(columns, dimension));

    /// <summary>Output names and types: target and interest <c>Vector&lt;Single, D&gt;</c>, score <c>Vector&lt;Single, 1&gt;</c>, as the ONNX path gives them.</summary>
    public static (string Name, DataViewType Type)[] OutputColumns(PsuColumnOptions c, int dimension) => new (string, DataViewType)[]
    {
        (c.TargetOutputColumn, new VectorDataViewType(NumberDataViewType.Single, dimension)),
        (c.InterestOutputColumn, new VectorDataViewType(NumberDataViewType.Single, dimension)),
        (c.ScoreOutputColumn, new VectorDataViewType(NumberDataViewType.Single, 1)),
    };

    protected override IRowOutputs CreateOutputs(DataViewRowCursor input) => new Outputs(this, input);

    sealed class Outputs : IRowOutputs
    {
        readonly DataViewRowCursor _input;
        readonly ValueGetter<VBuffer<long>>[] _getters;
        readonly VBuffer<long>[] _values = new VBuffer<long>[4], _dense = new VBuffer<long>[4];
        readonly PsuRowScorer _scorer;
        readonly float[] _target, _interest;
        float _score;
        long _scoredAt = -1;

        public Outputs(PsuEmbeddingDataView view, DataViewRowCursor input)
        {
            _input = input;
            _scorer = new PsuRowScorer(view._model, view._columns);
            _getters = view._inputs.All.Select(c => input.GetGetter<VBuffer<long>>(c)).ToArray();
            _target = new float[view._model.Dimension];
            _interest = new float[view._model.Dimension];
        }

        public Delegate Getter(int output) => output switch
        {
            0 => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) => { Ensure(); Write(_target, ref v); }),
            1 => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) => { Ensure(); Write(_interest, ref v); }),
            _ => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) => { Ensure(); Write(new ReadOnlySpan<float>(in _score), ref v); }),
        };

        void Ensure()
        {
            if (_scoredAt == _input.Position) return;
            for (int i = 0; i < _getters.Length; i++) _getters[i](ref _values[i]);
            try
            {
                _score = _scorer.Score(Dense(0), Dense(1), Dense(2)[0], Dense(3), _target, _interest);
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
    }
}
