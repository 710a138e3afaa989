using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Training.PsuTraining;

/// <summary>
/// Streams featurized rows out of an <see cref="IDataView"/> cursor, keeping only the most recent
/// behaviours a training step uses, so memory never holds more than the rows in flight.
/// </summary>
sealed class PsuRowReader
{
    readonly IDataView _data;
    readonly PsuColumnOptions _columns;
    readonly string? _label;
    readonly int _window;
    readonly int _tokens;
    readonly string? _validation;
    readonly string? _user;
    readonly Lazy<(float[] Mean, float[] Scale)?> _side;

    /// <summary>
    /// Reads <paramref name="data"/>'s featurized <paramref name="columns"/> (and <paramref name="labelColumn"/> when set), keeping the last
    /// <paramref name="window"/> behaviours of <paramref name="queryTokens"/> tokens each; <paramref name="validationColumn"/> (Boolean) fills
    /// <see cref="PsuRow.Validation"/> and <paramref name="userColumn"/> (text or key) <see cref="PsuRow.User"/>, when set.
    /// </summary>
    public PsuRowReader(IDataView data, PsuColumnOptions columns, string? labelColumn, int window, int queryTokens,
        string? validationColumn = null, string? userColumn = null)
    {
        _data = data;
        _columns = columns;
        _label = labelColumn;
        _window = window;
        _tokens = queryTokens;
        foreach (var name in new[] { columns.HistoryItemIndicesColumnName, columns.HistoryQueryTokensColumnName, columns.TargetItemIndexColumnName, columns.QueryTokensColumnName })
        {
            var col = data.Schema.GetColumnOrNull(name)
                ?? throw new ArgumentException($"Input column '{name}' is missing; the PSU reads the sequence featurizer's outputs (put FeaturizeSequences before it).", nameof(data));
            if (col.Type is not VectorDataViewType { ItemType: var item } || item != NumberDataViewType.Int64)
                throw new ArgumentException($"Input column '{name}' must be a vector of Int64 (a sequence featurizer output), not {col.Type}.", nameof(data));
        }
        _side = new Lazy<(float[] Mean, float[] Scale)?>(FitSide);
        if (columns.SideFeaturesColumnName is { } sideName) CheckSideColumn(data.Schema, sideName);
        if (labelColumn != null)
        {
            var col = data.Schema.GetColumnOrNull(labelColumn)
                ?? throw new ArgumentException($"Label column '{labelColumn}' is missing; set LabelColumnName = null to pretrain without labels.", nameof(data));
            if (col.Type != BooleanDataViewType.Instance && col.Type != NumberDataViewType.Single)
                throw new ArgumentException($"Label column '{labelColumn}' must be Boolean or Single, not {col.Type}.", nameof(data));
        }
        _validation = validationColumn;
        _user = userColumn;
        RowExtras.Check(data.Schema, validationColumn, userColumn);
    }

    /// <summary>Whether rows carry the validation column's flag.</summary>
    public bool ReadsValidation => _validation != null;
    /// <summary>Whether rows carry their user.</summary>
    public bool ReadsUsers => _user != null;
    /// <summary>
    /// Mean and scale of the side features (<see cref="SideFeatureScaling"/>) over every row, measured once on first use;
    /// null without a side feature column. Rows carry their side features standardised with them.
    /// </summary>
    public (float[] Mean, float[] Scale)? SideScaling => _side.Value;

    static void CheckSideColumn(DataViewSchema schema, string name)
    {
        var col = schema.GetColumnOrNull(name)
            ?? throw new ArgumentException($"Side feature column '{name}' is missing; set SideFeaturesColumnName = null to train without side features.", nameof(schema));
        if (col.Type is not VectorDataViewType { ItemType: var item, IsKnownSize: true } || item != NumberDataViewType.Single)
            throw new ArgumentException($"Side feature column '{name}' must be a known-size vector of Single (e.g. Concatenate the count columns), not {col.Type}.", nameof(schema));
    }

    (float[] Mean, float[] Scale)? FitSide()
    {
        if (_columns.SideFeaturesColumnName is not { } name) return null;
        return SideFeatureScaling.Fit(SideValues(name), ((VectorDataViewType)_data.Schema[name].Type).Size);
    }

    /// <summary>Each row's side features as read, checked (finite, known size) with the row's position in the message.</summary>
    IEnumerable<float[]> SideValues(string name)
    {
        var column = _data.Schema[name];
        int size = ((VectorDataViewType)column.Type).Size;
        using var cursor = _data.GetRowCursor(new[] { column });
        var get = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
        {
            get(ref buffer);
            yield return CheckedSide(buffer, name, size, cursor.Position);
        }
    }

    static float[] CheckedSide(in VBuffer<float> buffer, string name, int size, long position)
    {
        var values = buffer.DenseValues().ToArray();
        try
        {
            SideFeatureScaling.Check(values, size, name);
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"Row {position}: {e.Message}", e);
        }
        return values;
    }

    /// <summary>Every row, in data order.</summary>
    public IEnumerable<PsuRow> Rows(bool withLabel)
    {
        var schema = _data.Schema;
        var items = schema[_columns.HistoryItemIndicesColumnName];
        var queries = schema[_columns.HistoryQueryTokensColumnName];
        var target = schema[_columns.TargetItemIndexColumnName];
        var query = schema[_columns.QueryTokensColumnName];
        DataViewSchema.Column? label = withLabel && _label != null ? schema[_label] : null;
        var active = new List<DataViewSchema.Column> { items, queries, target, query };
        if (label != null) active.Add(label.Value);
        var extras = new RowExtras(schema, _validation, _user, active);
        var scaling = SideScaling;
        DataViewSchema.Column? side = _columns.SideFeaturesColumnName is { } sideName ? schema[sideName] : null;
        if (side != null) active.Add(side.Value);
        using var cursor = _data.GetRowCursor(active);
        extras.Bind(cursor);
        var getItems = cursor.GetGetter<VBuffer<long>>(items);
        var getQueries = cursor.GetGetter<VBuffer<long>>(queries);
        var getTarget = cursor.GetGetter<VBuffer<long>>(target);
        var getQuery = cursor.GetGetter<VBuffer<long>>(query);
        var getLabel = label == null ? null : LabelGetter(cursor, label.Value);
        var getSide = side == null ? null : cursor.GetGetter<VBuffer<float>>(side.Value);
        VBuffer<long> itemBuffer = default, queryBuffer = default, targetBuffer = default, queryTokenBuffer = default;
        VBuffer<float> sideBuffer = default;
        while (cursor.MoveNext())
        {
            getItems(ref itemBuffer);
            getQueries(ref queryBuffer);
            getTarget(ref targetBuffer);
            getQuery(ref queryTokenBuffer);
            var allItems = itemBuffer.DenseValues().ToArray();
            var allQueries = queryBuffer.DenseValues().ToArray();
            if (allQueries.Length != allItems.Length * _tokens)
                throw new InvalidOperationException($"Row {cursor.Position}: '{queries.Name}' holds {allQueries.Length} tokens for {allItems.Length} behaviours; expected {_tokens} per behaviour.");
            int from = Math.Max(0, allItems.Length - _window);
            float y = float.NaN;
            if (getLabel != null)
            {
                y = getLabel();
                if (float.IsNaN(y)) throw new InvalidOperationException($"Row {cursor.Position}: label column '{label!.Value.Name}' is NaN.");
            }
            yield return new PsuRow
            {
                Items = allItems.Skip(from).Select(i => (int)i).ToArray(),
                QueryTokens = allQueries.Skip(from * _tokens).Select(i => (int)i).ToArray(),
                Target = (int)targetBuffer.GetItemOrDefault(0),
                TargetQuery = Pad(queryTokenBuffer.DenseValues().Select(i => (int)i).ToArray(), _tokens),
                Label = y,
                Position = cursor.Position,
                Validation = extras.Validation(),
                User = extras.User(),
                HistoryLength = allItems.Length,
                Side = getSide == null ? null : Standardised(getSide, ref sideBuffer, side!.Value, scaling!.Value, cursor.Position),
            };
        }
    }

    /// <summary>Rows in a streaming random order: a pool of <paramref name="pool"/> rows, each emitted by a random draw.</summary>
    public IEnumerable<PsuRow> Shuffled(bool withLabel, int pool, Random random)
    {
        var buffer = new List<PsuRow>(pool);
        foreach (var row in Rows(withLabel))
        {
            if (buffer.Count < pool)
            {
                buffer.Add(row);
                continue;
            }
            int i = random.Next(pool);
            yield return buffer[i];
            buffer[i] = row;
        }
        // Fisher–Yates on what is left.
        for (int n = buffer.Count; n > 0; n--)
        {
            int i = random.Next(n);
            yield return buffer[i];
            buffer[i] = buffer[n - 1];
        }
    }

    static float[] Standardised(ValueGetter<VBuffer<float>> get, ref VBuffer<float> buffer, DataViewSchema.Column column, (float[] Mean, float[] Scale) scaling, long position)
    {
        get(ref buffer);
        var raw = CheckedSide(buffer, column.Name, scaling.Mean.Length, position);
        SideFeatureScaling.Standardise(raw, scaling.Mean, scaling.Scale, raw);
        return raw;
    }

    static Func<float> LabelGetter(DataViewRowCursor cursor, DataViewSchema.Column label)
    {
        if (label.Type == BooleanDataViewType.Instance)
        {
            var get = cursor.GetGetter<bool>(label);
            return () => { bool b = false; get(ref b); return b ? 1f : 0f; };
        }
        var getSingle = cursor.GetGetter<float>(label);
        return () => { float f = 0; getSingle(ref f); return float.IsNaN(f) ? f : f > 0 ? 1f : 0f; };
    }

    static int[] Pad(int[] tokens, int width) => tokens.Length == width ? tokens : tokens.Concat(new int[Math.Max(0, width - tokens.Length)]).Take(width).ToArray();
}
