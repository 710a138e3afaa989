using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Datasets.Canonical;

namespace Seminar.MLNet.Evaluation.Protocol;

/// <summary>
/// A canonical dataset's catalog as an <see cref="IDataView"/>: ItemId, Title, Attributes (space-separated
/// text) and one known-size Single vector column per modality of <c>dataset.json</c>. The catalog is read
/// once into memory; it is small beside the events.
/// </summary>
public sealed class CatalogDataView : IDataView
{
    readonly ItemRecord[] _items;
    readonly float[][] _vectors;
    readonly int[] _dims;

    /// <summary>Reads the catalog of a dataset; problems are counted in <paramref name="issues"/>.</summary>
    public CatalogDataView(CanonicalDataset dataset, DataIssues issues)
    {
        _items = dataset.ReadItems(issues).ToArray();
        // Feature rows follow items.tsv lines, duplicates included; keep the rows of the items kept.
        var allIds = File.ReadLines(dataset.ItemsPath).Skip(1).Where(l => l.Length > 0).Select(l => l.Split('\t')[0]).ToArray();
        var firstRow = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < allIds.Length; r++) firstRow.TryAdd(allIds[r], r);
        var modalities = dataset.Manifest.Features.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray();
        _dims = modalities.Select(m => m.Value).ToArray();
        _vectors = modalities.Select(m =>
        {
            var all = dataset.ReadFeatures(m.Key, allIds.Length);
            var kept = new float[_items.Length * m.Value];
            for (int i = 0; i < _items.Length; i++)
                Array.Copy(all, (long)firstRow[_items[i].ItemId] * m.Value, kept, (long)i * m.Value, m.Value);
            return kept;
        }).ToArray();
        var b = new DataViewSchema.Builder();
        b.AddColumn("ItemId", TextDataViewType.Instance);
        b.AddColumn("Title", TextDataViewType.Instance);
        b.AddColumn("Attributes", TextDataViewType.Instance);
        for (int m = 0; m < modalities.Length; m++) b.AddColumn(modalities[m].Key, new VectorDataViewType(NumberDataViewType.Single, _dims[m]));
        Schema = b.ToSchema();
    }

    /// <inheritdoc />
    public bool CanShuffle => false;
    /// <inheritdoc />
    public DataViewSchema Schema { get; }
    /// <inheritdoc />
    public long? GetRowCount() => _items.Length;
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
        public override bool MoveNext() => ++_position < view._items.Length;
        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            Delegate getter = column.Index switch
            {
                0 => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = view._items[_position].ItemId.AsMemory()),
                1 => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = view._items[_position].Title.AsMemory()),
                2 => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = string.Join(' ', view._items[_position].Attributes).AsMemory()),
                _ => Vector(column.Index - 3),
            };
            return (ValueGetter<TValue>)getter;
        }

        ValueGetter<VBuffer<float>> Vector(int m) => (ref VBuffer<float> v) =>
        {
            int d = view._dims[m];
            var editor = VBufferEditor.Create(ref v, d);
            view._vectors[m].AsSpan((int)_position * d, d).CopyTo(editor.Values);
            v = editor.Commit();
        };
    }
}
