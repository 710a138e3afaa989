using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet;

/// <summary>
/// A data view that passes its input's columns through and appends computed ones. Each cursor gets its own
/// <see cref="IRowOutputs"/> (so computations may keep per-cursor buffers and run on parallel cursors), created only
/// when an appended column is asked for; the columns that computation reads are then activated in the input.
/// <see cref="AppendingRowMapper"/> maps single rows with the same computation, for prediction engines.
/// </summary>
abstract class AppendingDataView : IDataView
{
    readonly IDataView _input;
    readonly IReadOnlyList<DataViewSchema.Column> _dependencies;
    readonly int _firstOutput;

    /// <param name="input">The input view.</param>
    /// <param name="outputs">Appended columns, in order (later columns hide earlier ones of the same name).</param>
    /// <param name="dependencies">Input columns the appended ones are computed from.</param>
    protected AppendingDataView(IDataView input, IReadOnlyList<(string Name, DataViewType Type)> outputs, IReadOnlyList<DataViewSchema.Column> dependencies)
        : this(input, Append(input.Schema, outputs), dependencies)
    {
    }

    /// <param name="input">The input view.</param>
    /// <param name="schema">The input's columns followed by the appended ones (which may carry annotations).</param>
    /// <param name="dependencies">Input columns the appended ones are computed from.</param>
    protected AppendingDataView(IDataView input, DataViewSchema schema, IReadOnlyList<DataViewSchema.Column> dependencies)
    {
        _input = input;
        _dependencies = dependencies;
        Schema = schema;
        _firstOutput = input.Schema.Count;
    }

    /// <summary>The input schema with <paramref name="outputs"/> appended.</summary>
    public static DataViewSchema Append(DataViewSchema input, IReadOnlyList<(string Name, DataViewType Type)> outputs)
    {
        var b = new DataViewSchema.Builder();
        b.AddColumns(input);
        foreach (var (name, type) in outputs) b.AddColumn(name, type);
        return b.ToSchema();
    }

    /// <summary>
    /// Binds a computation of the appended columns to a cursor (or a row mapper's input row) whose dependencies are
    /// active; it is owned by that cursor or row alone.
    /// </summary>
    protected internal abstract IRowOutputs CreateOutputs(DataViewRow input);

    /// <summary>The input's schema (the appended columns follow its columns in <see cref="Schema"/>).</summary>
    internal DataViewSchema InputSchema => _input.Schema;

    /// <summary>Index in <see cref="Schema"/> of the first appended column.</summary>
    internal int FirstOutput => _firstOutput;

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

    /// <summary>
    /// Of the columns <paramref name="needed"/> (of <see cref="Schema"/>), the input columns to activate (the passed-through
    /// ones, plus the dependencies when an appended column is needed) and which appended columns are needed.
    /// </summary>
    internal (List<DataViewSchema.Column> Input, bool[] Outputs) Split(IEnumerable<DataViewSchema.Column> needed)
    {
        var input = new List<DataViewSchema.Column>();
        var outputs = new bool[Schema.Count - _firstOutput];
        foreach (var c in needed)
        {
            if (c.Index >= _firstOutput) outputs[c.Index - _firstOutput] = true;
            else input.Add(_input.Schema[c.Index]);
        }
        if (outputs.Any(o => o)) input.AddRange(_dependencies.Where(a => input.All(i => i.Index != a.Index)));
        return (input, outputs);
    }

    /// <summary>The getter of appended <paramref name="column"/> from a cursor's or row's computation; throws when it is inactive or read as another type.</summary>
    internal ValueGetter<TValue> OutputGetter<TValue>(IRowOutputs? outputs, bool[] active, DataViewSchema.Column column)
    {
        int k = column.Index - _firstOutput;
        if (!active[k]) throw new InvalidOperationException($"Column '{column.Name}' is not active in this row.");
        var getter = outputs!.Getter(k);
        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type} (read as {getter.GetType().GenericTypeArguments[0].Name}), not {typeof(TValue).Name}.");
    }

    sealed class Cursor : DataViewRowCursor
    {
        readonly AppendingDataView _view;
        readonly DataViewRowCursor _input;
        readonly bool[] _active;
        readonly IRowOutputs? _outputs;

        public Cursor(AppendingDataView view, DataViewRowCursor input, bool[] active)
        {
            _view = view;
            _input = input;
            _active = active;
            if (active.Any(o => o)) _outputs = view.CreateOutputs(input);
        }

        public override DataViewSchema Schema => _view.Schema;
        public override long Position => _input.Position;
        public override long Batch => _input.Batch;
        public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();
        public override bool MoveNext() => _input.MoveNext();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index >= _view._firstOutput ? _active[column.Index - _view._firstOutput] : _input.IsColumnActive(_view._input.Schema[column.Index]);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < _view._firstOutput) return _input.GetGetter<TValue>(_view._input.Schema[column.Index]);
            return _view.OutputGetter<TValue>(_outputs, _active, column);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _input.Dispose();
            base.Dispose(disposing);
        }
    }
}

/// <summary>One cursor's (or mapped row's) computation of the columns an <see cref="AppendingDataView"/> appends.</summary>
interface IRowOutputs
{
    /// <summary>A <c>ValueGetter&lt;T&gt;</c> of appended column <paramref name="output"/> (0 = first appended) for the cursor's current row.</summary>
    Delegate Getter(int output);
}
