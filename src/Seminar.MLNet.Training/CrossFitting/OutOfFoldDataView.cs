using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet.Training.CrossFitting;

/// <summary>
/// The training rows in their own order, each row taken from its fold's view (that fold's rows transformed by the model
/// that did not see them). The fold views are read in step: each holds its fold's rows in training order, so row r is the
/// next row of fold <c>RowFolds[r]</c>'s cursor.
/// </summary>
sealed class OutOfFoldDataView : IDataView
{
    readonly IReadOnlyList<IDataView> _folds;
    readonly byte[] _rowFolds;

    /// <param name="schema">The schema the rows are presented with (the full model's output schema).</param>
    /// <param name="folds">Per fold, its rows transformed by its model; each must have <paramref name="schema"/>'s columns, same names and types, same order.</param>
    /// <param name="rowFolds">The fold of each training row.</param>
    public OutOfFoldDataView(DataViewSchema schema, IReadOnlyList<IDataView> folds, byte[] rowFolds)
    {
        for (int f = 0; f < folds.Count; f++)
        {
            var fold = folds[f].Schema;
            if (fold.Count != schema.Count)
                throw new InvalidOperationException($"Fold {f}'s model outputs {fold.Count} columns where the full model outputs {schema.Count}: fold models must add the same columns.");
            for (int c = 0; c < schema.Count; c++)
                if (fold[c].Name != schema[c].Name || !fold[c].Type.Equals(schema[c].Type))
                    throw new InvalidOperationException(
                        $"Fold {f}'s model outputs column {c} as '{fold[c].Name}' ({fold[c].Type}) where the full model outputs '{schema[c].Name}' ({schema[c].Type}).");
        }
        Schema = schema;
        _folds = folds;
        _rowFolds = rowFolds;
    }

    public DataViewSchema Schema { get; }
    public bool CanShuffle => false;
    public long? GetRowCount() => _rowFolds.Length;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this, columnsNeeded.ToArray());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        new[] { GetRowCursor(columnsNeeded) };

    sealed class Cursor : DataViewRowCursor
    {
        readonly OutOfFoldDataView _view;
        readonly DataViewRowCursor[] _folds;
        readonly bool[] _active;
        long _position = -1;
        int _fold = -1;

        public Cursor(OutOfFoldDataView view, DataViewSchema.Column[] needed)
        {
            _view = view;
            _active = new bool[view.Schema.Count];
            foreach (var c in needed) _active[c.Index] = true;
            _folds = view._folds.Select(f => f.GetRowCursor(needed.Select(c => f.Schema[c.Index]))).ToArray();
        }

        public override DataViewSchema Schema => _view.Schema;
        public override long Position => _position;
        public override long Batch => 0;
        public override bool IsColumnActive(DataViewSchema.Column column) => _active[column.Index];
        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override bool MoveNext()
        {
            if (_position + 1 >= _view._rowFolds.Length)
            {
                _position = _view._rowFolds.Length;
                _fold = -1;
                return false;
            }
            _position++;
            _fold = _view._rowFolds[_position];
            if (!_folds[_fold].MoveNext())
                throw new InvalidOperationException($"Fold {_fold}'s transformed rows ended before training row {_position}: fold models must transform rows one to one.");
            return true;
        }

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!_active[column.Index]) throw new InvalidOperationException($"Column '{column.Name}' is not active in this cursor.");
            var getters = _folds.Select(f => f.GetGetter<TValue>(f.Schema[column.Index])).ToArray();
            return (ref TValue value) =>
            {
                if (_fold < 0) throw new InvalidOperationException("The cursor is not on a row.");
                getters[_fold](ref value);
            };
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                foreach (var f in _folds) f.Dispose();
            base.Dispose(disposing);
        }
    }
}
