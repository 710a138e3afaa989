using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.Featurization;

/// <summary>
/// The featurizer's C# fast path as an <see cref="IDataView"/>: the input's columns plus the five outputs,
/// computed lazily per row (each cursor has its own featurizer and buffers; the input row is read once
/// per position whichever outputs are asked for, and a history equal to the previous row's is not featurized again).
/// </summary>
sealed class SequenceFeaturizerDataView : AppendingDataView
{
    readonly SequenceVocabularies _vocabularies;
    readonly InputColumns _columns;

    public SequenceFeaturizerDataView(IDataView input, SequenceVocabularies vocabularies, SequenceFeaturizerOptions options)
        : this(input, vocabularies, options, InputColumns.Resolve(input.Schema, options))
    {
    }

    SequenceFeaturizerDataView(IDataView input, SequenceVocabularies vocabularies, SequenceFeaturizerOptions options, InputColumns columns)
        : base(input, OutputSchema(input.Schema, options, vocabularies), columns.Active.ToArray())
    {
        _vocabularies = vocabularies;
        _columns = columns;
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
            b.AddColumn(name, type, name == o.OutputHistoryItemIndicesColumnName ? SequenceVocabulariesAnnotation.Create(vocabularies) : null);
        return b.ToSchema();
    }

    /// <summary>Output names and types, in output order; the ONNX path gives the same types.</summary>
    public static (string Name, DataViewType Type)[] OutputColumns(SequenceFeaturizerOptions o, int queryTokens) => new (string, DataViewType)[]
    {
        (o.OutputHistoryItemIndicesColumnName, new VectorDataViewType(NumberDataViewType.Int64)),
        (o.OutputHistoryQueryTokensColumnName, new VectorDataViewType(NumberDataViewType.Int64)),
        (o.OutputHistoryLengthColumnName, new VectorDataViewType(NumberDataViewType.Int64, 1)),
        (o.OutputTargetItemIndexColumnName, new VectorDataViewType(NumberDataViewType.Int64, 1)),
        (o.OutputQueryTokensColumnName, new VectorDataViewType(NumberDataViewType.Int64, queryTokens)),
    };

    protected internal override IRowOutputs CreateOutputs(DataViewRow input) => new Outputs(this, input);

    sealed class Outputs : IRowOutputs
    {
        readonly DataViewRow _input;
        readonly InputRowReader _reader;
        readonly SequenceRowFeaturizer _featurizer;
        long _readAt = -1;

        public Outputs(SequenceFeaturizerDataView view, DataViewRow input)
        {
            _input = input;
            _featurizer = new SequenceRowFeaturizer(view._vocabularies);
            _reader = new InputRowReader(input, view._columns);
        }

        public Delegate Getter(int output)
        {
            var reader = _reader;
            var f = _featurizer;
            return output switch
            {
                0 => (ValueGetter<VBuffer<long>>)((ref VBuffer<long> v) => { Ensure(); f.HistoryItems(reader, ref v); }),
                1 => (ValueGetter<VBuffer<long>>)((ref VBuffer<long> v) => { Ensure(); f.HistoryQueryTokens(reader, ref v); }),
                2 => (ValueGetter<VBuffer<long>>)((ref VBuffer<long> v) => { Ensure(); f.HistoryLength(ref v); }),
                3 => (ValueGetter<VBuffer<long>>)((ref VBuffer<long> v) => { Ensure(); f.TargetItem(reader, ref v); }),
                _ => (ValueGetter<VBuffer<long>>)((ref VBuffer<long> v) => { Ensure(); f.QueryTokens(reader, ref v); }),
            };
        }

        void Ensure()
        {
            if (_readAt == _input.Position) return;
            _reader.Read();
            _featurizer.Start(_reader);
            _readAt = _input.Position;
        }
    }
}
