using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.MLNet;

/// <summary>The PSU's four input columns found in a schema and type-checked (the featurizer's outputs).</summary>
sealed class PsuInputColumns
{
    PsuInputColumns(DataViewSchema.Column[] all) => All = all;

    /// <summary>History items, history query tokens, target item, query tokens: the order <see cref="PsuRowScorer.Score"/> takes them.</summary>
    public DataViewSchema.Column[] All { get; }

    /// <summary>Finds and checks the columns; throws naming a missing or mistyped column.</summary>
    public static PsuInputColumns Resolve(DataViewSchema schema, PsuColumnOptions columns, int queryTokens) => new(new[]
    {
        Find(schema, columns.HistoryItemsColumn, null, "history item indices"),
        Find(schema, columns.HistoryQueryTokensColumn, null, "history query token indices"),
        Find(schema, columns.TargetItemColumn, 1, "target item index"),
        Find(schema, columns.QueryTokensColumn, queryTokens, "query token indices"),
    });

    /// <summary>The same checks on a <see cref="SchemaShape"/> (estimator side).</summary>
    public static void Check(SchemaShape shape, PsuColumnOptions columns)
    {
        foreach (var (name, fixedSize, what) in new[]
                 {
                     (columns.HistoryItemsColumn, false, "history item indices"), (columns.HistoryQueryTokensColumn, false, "history query token indices"),
                     (columns.TargetItemColumn, true, "target item index"), (columns.QueryTokensColumn, true, "query token indices"),
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
