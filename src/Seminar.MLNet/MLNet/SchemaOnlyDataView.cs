using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet;

/// <summary>A data view with a schema and no rows: what fitting a schema-only estimator (OnnxTransformer) needs when the caller has only a schema.</summary>
sealed class SchemaOnlyDataView : IDataView
{
    public SchemaOnlyDataView(DataViewSchema schema) => Schema = schema;

    public DataViewSchema Schema { get; }
    public bool CanShuffle => false;
    public long? GetRowCount() => 0;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(Schema);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => new DataViewRowCursor[] { new Cursor(Schema) };

    sealed class Cursor : DataViewRowCursor
    {
        public Cursor(DataViewSchema schema) => Schema = schema;

        public override DataViewSchema Schema { get; }
        public override long Position => -1;
        public override long Batch => 0;
        public override bool MoveNext() => false;
        public override bool IsColumnActive(DataViewSchema.Column column) => false;
        public override ValueGetter<DataViewRowId> GetIdGetter() => throw new InvalidOperationException("This view has no rows.");
        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => throw new InvalidOperationException("This view has no rows.");
    }
}
