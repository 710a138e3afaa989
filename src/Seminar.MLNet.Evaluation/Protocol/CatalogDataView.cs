using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Datasets.Canonical;

namespace Seminar.MLNet.Evaluation.Protocol;

/// <summary>
/// A canonical dataset's catalog as an <see cref="IDataView"/>: ItemId, Title, Attributes (space-separated
/// text) and one known-size Single vector column per modality of <c>dataset.json</c>. Built from the parsed
/// <see cref="ItemCatalog"/> (items.tsv read once, by header names), never from the raw file, so each row carries
/// its own line's content and vectors; it is small beside the events.
/// </summary>
public sealed class CatalogDataView : IDataView
{
    readonly IReadOnlyList<ItemRecord> _items;
    readonly ReadOnlyMemory<float>[] _vectors;
    readonly int[] _dims;

    /// <summary>Reads the catalog of a dataset; problems are counted in <paramref name="issues"/>.</summary>
    public CatalogDataView(CanonicalDataset dataset, DataIssues issues)
        : this(dataset.ReadCatalog(issues))
    {
    }

    /// <summary>Views an already read catalog.</summary>
    public CatalogDataView(ItemCatalog catalog)
    {
        _items = catalog.Items;
        var modalities = catalog.Modalities;
        _dims = modalities.Select(catalog.Dimension).ToArray();
        _vectors = modalities.Select(catalog.Vectors).ToArray();
        var b = new DataViewSchema.Builder();
        b.AddColumn("ItemId", TextDataViewType.Instance);
        b.AddColumn("Title", TextDataViewType.Instance);
        b.AddColumn("Attributes", TextDataViewType.Instance);
        for (int m = 0; m < modalities.Count; m++) b.AddColumn(modalities[m], new VectorDataViewType(NumberDataViewType.Single, _dims[m]));
        Schema = b.ToSchema();
    }

    /// <inheritdoc />
    public bool CanShuffle => false;
    /// <inheritdoc />
    public DataViewSchema Schema { get; }
    /// <inheritdoc />
    public long? GetRowCount() => _items.Count;
    /// <inheritdoc />
    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this);
    /// <inheritdoc />
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => new[] { GetRowCursor(columnsNeeded, rand) };

    sealed class Cursor(CatalogDataView view) : DataViewRowCursor
    {
        long _position = -1;
        public override DataViewSchema Schema => view.Schema;
        public override long Position => _position;
        public override long Batch => 0;
        public override bool IsColumnActive(DataViewSchema.Column column) => true;
        public override bool MoveNext() => ++_position < view._items.Count;
        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            Delegate getter = column.Index switch
            {
                0 => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = view._items[(int)_position].ItemId.AsMemory()),
                1 => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = view._items[(int)_position].Title.AsMemory()),
                2 => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = string.Join(' ', view._items[(int)_position].Attributes).AsMemory()),
                _ => Vector(column.Index - 3),
            };
            return (ValueGetter<TValue>)getter;
        }

        ValueGetter<VBuffer<float>> Vector(int m) => (ref VBuffer<float> v) =>
        {
            int d = view._dims[m];
            var editor = VBufferEditor.Create(ref v, d);
            view._vectors[m].Span.Slice((int)_position * d, d).CopyTo(editor.Values);
            v = editor.Commit();
        };
    }
}
