using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet;

/// <summary>
/// Row mapping through the persisted ONNX form with the row checks <c>Transform</c> makes: a prediction engine would
/// otherwise hand a malformed row straight to ONNX Runtime, which cannot name the row and the columns. The check runs
/// whenever the mapper reads one of the checked columns, so every row is checked before its graph runs.
/// </summary>
sealed class CheckedRowToRowMapper : IRowToRowMapper
{
    readonly IRowToRowMapper _inner;
    readonly int[] _checked;
    readonly Func<DataViewRow, Action> _bindCheck;

    /// <param name="inner">The persisted form's mapper.</param>
    /// <param name="checkedColumns">Input columns whose reading triggers the check.</param>
    /// <param name="bindCheck">Binds the check to a row (getters of the checked columns); called at the first read.</param>
    public CheckedRowToRowMapper(IRowToRowMapper inner, IEnumerable<DataViewSchema.Column> checkedColumns, Func<DataViewRow, Action> bindCheck)
    {
        _inner = inner;
        _checked = checkedColumns.Select(c => c.Index).ToArray();
        _bindCheck = bindCheck;
    }

    public DataViewSchema InputSchema => _inner.InputSchema;
    public DataViewSchema OutputSchema => _inner.OutputSchema;

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns) => _inner.GetDependencies(dependingColumns);

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns) =>
        _inner.GetRow(new CheckedRow(input, this), activeColumns);

    sealed class CheckedRow : DataViewRow
    {
        readonly DataViewRow _input;
        readonly CheckedRowToRowMapper _mapper;
        Action? _check;

        public CheckedRow(DataViewRow input, CheckedRowToRowMapper mapper)
        {
            _input = input;
            _mapper = mapper;
        }

        public override DataViewSchema Schema => _input.Schema;
        public override long Position => _input.Position;
        public override long Batch => _input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) => _input.IsColumnActive(column);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            var getter = _input.GetGetter<TValue>(column);
            if (!_mapper._checked.Contains(column.Index)) return getter;
            return (ref TValue value) =>
            {
                (_check ??= _mapper._bindCheck(_input))();
                getter(ref value);
            };
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _input.Dispose();
            base.Dispose(disposing);
        }
    }
}
