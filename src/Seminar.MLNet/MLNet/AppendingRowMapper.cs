using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet;

/// <summary>
/// Maps single rows with the computation of an <see cref="AppendingDataView"/> (the view is built over a schema-only
/// input, for its schema and computation): what a prediction engine over a SEMINAR transformer runs, so it scores in C#
/// exactly as <c>Transform</c> does and never calls ONNX Runtime. Each row from <see cref="GetRow"/> owns its computation
/// and buffers, so engines (one row each) on different threads share nothing mutable.
/// </summary>
sealed class AppendingRowMapper : IRowToRowMapper
{
    readonly AppendingDataView _view;

    /// <param name="view">The transform's view over a <see cref="SchemaOnlyDataView"/> of the mapper's input schema.</param>
    public AppendingRowMapper(AppendingDataView view) => _view = view;

    public DataViewSchema InputSchema => _view.InputSchema;
    public DataViewSchema OutputSchema => _view.Schema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) => _view.Split(dependingColumns).Input;

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(activeColumns);
        if (input.Schema != InputSchema) throw new ArgumentException("The row's schema is not the schema this mapper was built for.", nameof(input));
        return new Row(this, input, _view.Split(activeColumns).Outputs);
    }

    sealed class Row : DataViewRow
    {
        readonly AppendingRowMapper _mapper;
        readonly DataViewRow _input;
        readonly bool[] _active;
        readonly IRowOutputs? _outputs;

        public Row(AppendingRowMapper mapper, DataViewRow input, bool[] active)
        {
            _mapper = mapper;
            _input = input;
            _active = active;
            if (active.Any(o => o)) _outputs = mapper._view.CreateOutputs(input);
        }

        public override DataViewSchema Schema => _mapper.OutputSchema;
        public override long Position => _input.Position;
        public override long Batch => _input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index >= _mapper._view.FirstOutput ? _active[column.Index - _mapper._view.FirstOutput] : _input.IsColumnActive(_mapper.InputSchema[column.Index]);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) =>
            column.Index < _mapper._view.FirstOutput
                ? _input.GetGetter<TValue>(_mapper.InputSchema[column.Index])
                : _mapper._view.OutputGetter<TValue>(_outputs, _active, column);

        protected override void Dispose(bool disposing)
        {
            // As ML.NET's own mapped rows do: the mapped row owns its input.
            if (disposing) _input.Dispose();
            base.Dispose(disposing);
        }
    }
}
