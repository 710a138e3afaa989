using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.PsuScoring;

/// <summary>The PSU's four input columns found in a schema and type-checked (the featurizer's outputs), and its side feature column if any.</summary>
sealed class PsuInputColumns
{
    PsuInputColumns(DataViewSchema.Column[] indices, DataViewSchema.Column? side)
    {
        Indices = indices;
        Side = side;
        All = side is { } s ? indices.Append(s).ToArray() : indices;
    }

    /// <summary>History items, history query tokens, target item, query tokens: the order <see cref="PsuRowScorer.Score(ReadOnlySpan{long}, ReadOnlySpan{long}, long, ReadOnlySpan{long}, Span{float}, Span{float})"/> takes them.</summary>
    public DataViewSchema.Column[] Indices { get; }
    /// <summary>The side feature column (known-size Single vector), or null when the PSU takes none.</summary>
    public DataViewSchema.Column? Side { get; }
    /// <summary>Every column read: the indices, then the side features.</summary>
    public DataViewSchema.Column[] All { get; }

    /// <summary>Finds and checks the columns; throws naming a missing or mistyped column, or a side feature column that does not fit the PSU.</summary>
    /// <param name="schema">The input schema.</param>
    /// <param name="columns">Column names.</param>
    /// <param name="queryTokens">Token slots per query (T).</param>
    /// <param name="sideFeatures">Side features the PSU's head reads (0 = none).</param>
    public static PsuInputColumns Resolve(DataViewSchema schema, PsuColumnOptions columns, int queryTokens, int sideFeatures) => new(new[]
    {
        Find(schema, columns.HistoryItemIndicesColumnName, null, "history item indices"),
        Find(schema, columns.HistoryQueryTokensColumnName, null, "history query token indices"),
        Find(schema, columns.TargetItemIndexColumnName, 1, "target item index"),
        Find(schema, columns.QueryTokensColumnName, queryTokens, "query token indices"),
    }, FindSide(schema, columns.SideFeaturesColumnName, sideFeatures));

    /// <summary>The side feature column, checked against the size the PSU was trained with; null when neither names one.</summary>
    static DataViewSchema.Column? FindSide(DataViewSchema schema, string? name, int size)
    {
        if (name == null)
        {
            if (size == 0) return null;
            throw new ArgumentException($"The PSU was trained with {size} side features, but no side feature column is set: set SideFeaturesColumnName to the column it was fitted with.", nameof(schema));
        }
        if (size == 0)
            throw new ArgumentException($"Side feature column '{name}' is set, but the PSU was trained without side features: set SideFeaturesColumnName = null.", nameof(schema));
        var col = SideColumn(schema, name);
        int found = ((VectorDataViewType)col.Type).Size;
        if (found != size)
            throw new ArgumentException($"Side feature column '{name}' holds {found} values; the PSU was trained with {size}.", nameof(schema));
        return col;
    }

    /// <summary>Finds a side feature column and checks it is a known-size vector of Single.</summary>
    public static DataViewSchema.Column SideColumn(DataViewSchema schema, string name)
    {
        var col = schema.GetColumnOrNull(name)
            ?? throw new ArgumentException($"Side feature column '{name}' is missing (columns: {string.Join(", ", schema.Select(c => c.Name))}).", nameof(schema));
        if (col.Type is not VectorDataViewType { ItemType: var item, IsKnownSize: true } || item != NumberDataViewType.Single)
            throw new ArgumentException($"Side feature column '{name}' must be a known-size vector of Single; it is {col.Type}.", nameof(schema));
        return col;
    }

    /// <summary>The same checks on a <see cref="SchemaShape"/> (estimator side).</summary>
    public static void Check(SchemaShape shape, PsuColumnOptions columns)
    {
        foreach (var (name, fixedSize, what) in new[]
                 {
                     (columns.HistoryItemIndicesColumnName, false, "history item indices"), (columns.HistoryQueryTokensColumnName, false, "history query token indices"),
                     (columns.TargetItemIndexColumnName, true, "target item index"), (columns.QueryTokensColumnName, true, "query token indices"),
                 })
        {
            var found = shape.Where(c => c.Name == name).ToArray();
            if (found.Length == 0)
                throw new ArgumentException($"Input column '{name}' ({what}) is missing (columns: {string.Join(", ", shape.Select(c => c.Name))}).", nameof(shape));
            var col = found[^1];
            bool ok = col.ItemType == NumberDataViewType.Int64 && (fixedSize
                ? col.Kind == SchemaShape.Column.VectorKind.Vector
                : col.Kind != SchemaShape.Column.VectorKind.Scalar);
            if (!ok)
                throw new ArgumentException($"Input column '{name}' ({what}) must be {(fixedSize ? "a known-size vector" : "a vector")} of Int64; it is {col.Kind} of {col.ItemType}.", nameof(shape));
        }
        if (columns.SideFeaturesColumnName is not { } side) return;
        var sides = shape.Where(c => c.Name == side).ToArray();
        if (sides.Length == 0)
            throw new ArgumentException($"Side feature column '{side}' is missing (columns: {string.Join(", ", shape.Select(c => c.Name))}).", nameof(shape));
        if (sides[^1].ItemType != NumberDataViewType.Single || sides[^1].Kind != SchemaShape.Column.VectorKind.Vector)
            throw new ArgumentException($"Side feature column '{side}' must be a known-size vector of Single; it is {sides[^1].Kind} of {sides[^1].ItemType}.", nameof(shape));
    }

    static DataViewSchema.Column Find(DataViewSchema schema, string name, int? size, string what)
    {
        var col = schema.GetColumnOrNull(name)
            ?? throw new ArgumentException($"Input column '{name}' ({what}) is missing (columns: {string.Join(", ", schema.Select(c => c.Name))}).", nameof(schema));
        bool ok = col.Type is VectorDataViewType { ItemType: var item } v && item == NumberDataViewType.Int64 && (size is null || v.Size == size);
        if (!ok)
            throw new ArgumentException(
                $"Input column '{name}' ({what}) must be a vector of Int64{(size is int n ? $" of size {n}" : "")}; it is {col.Type}.", nameof(schema));
        return col;
    }
}
