using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet.Training.CrossFitting;

/// <summary>
/// The rows of a view whose position passes a predicate, in order, with every column of the view. Positions are those of
/// the view's own row order, which is why the view must not be shuffled.
/// </summary>
sealed class RowSubsetDataView : IDataView
{
    readonly IDataView _input;
    readonly Func<long, bool> _keep;

    public RowSubsetDataView(IDataView input, Func<long, bool> keep)
    {
        _input = input;
        _keep = keep;
    }

    public DataViewSchema Schema => _input.Schema;
    public bool CanShuffle => false;
    public long? GetRowCount() => null;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, _input.GetRowCursor(columnsNeeded));

    // One cursor: the predicate is on positions, which only a single sequential cursor sees in order.
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded) };

    sealed class Cursor : DataViewRowCursor
    {
        readonly RowSubsetDataView _view;
        readonly DataViewRowCursor _input;
        long _inputPosition = -1, _position = -1;

        public Cursor(RowSubsetDataView view, DataViewRowCursor input)
        {
            _view = view;
            _input = input;
        }

        public override DataViewSchema Schema => _view.Schema;
        public override long Position => _position;
        public override long Batch => 0;
        public override bool IsColumnActive(DataViewSchema.Column column) => _input.IsColumnActive(column);
        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();
        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _input.GetGetter<TValue>(column);

        public override bool MoveNext()
        {
            while (_input.MoveNext())
                if (_view._keep(++_inputPosition))
                {
                    _position++;
                    return true;
                }
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _input.Dispose();
            base.Dispose(disposing);
        }
    }
}
