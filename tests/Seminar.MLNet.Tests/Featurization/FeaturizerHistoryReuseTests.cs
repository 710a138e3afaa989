using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.Tests.Featurization;

/// <summary>
/// The featurizer's C# path keeps a row's history outputs for the next row when its kept history is the same text (a
/// candidate list as rows): every row must still featurize exactly as a fresh featurizer given that row alone would,
/// on the row mapper path (fed by a row that rewrites one char buffer, as ML.NET's reused input buffers do) and on
/// Transform's cursor.
/// </summary>
public sealed class FeaturizerHistoryReuseTests
{
    static readonly string[] AItems = { "a", "b", "c", "a" };
    static readonly string[] AQueries = { "red", "blue hat", "", "red shoe" };

    static InputRow A(string target, string query) => new() { HistoryItems = AItems, HistoryQueries = AQueries, TargetItem = target, Query = query };
    static InputRow B(string target, string query) => new() { HistoryItems = new[] { "c", "c" }, HistoryQueries = new[] { "hat", "coat" }, TargetItem = target, Query = query };

    static InputRow Changed(InputRow row, int item = -1, string? itemTo = null, int query = -1, string? queryTo = null)
    {
        var items = (string[])row.HistoryItems.Clone();
        var queries = (string[])row.HistoryQueries.Clone();
        if (item >= 0) items[item] = itemTo!;
        if (query >= 0) queries[query] = queryTo!;
        return new InputRow { HistoryItems = items, HistoryQueries = queries, TargetItem = row.TargetItem, Query = row.Query };
    }

    static (MLContext Ml, SequenceFeaturizerTransformer Model, DataViewSchema Schema) Fit()
    {
        var ml = new MLContext(1);
        var catalog = ml.Data.LoadFromEnumerable(new[]
        {
            new CatalogRow { ItemId = "a", Title = "red shoe" }, new CatalogRow { ItemId = "b", Title = "blue hat" }, new CatalogRow { ItemId = "c", Title = "coat" },
        });
        var training = ml.Data.LoadFromEnumerable(new[] { A("a", "shoe"), B("b", "hat") });
        // MaxHistory 3 < 4 behaviours: A keeps its last three, so the truncated first one is outside the outputs.
        var model = ml.Seminar().FeaturizeSequences(catalog, new() { MaxHistory = 3, MaxQueryTokens = 2 }).Fit(training);
        return (ml, model, training.Schema);
    }

    /// <summary>A row featurized by a featurizer that has seen no other row.</summary>
    static long[][] Fresh(MLContext ml, ITransformer model, InputRow row) => FeaturizerOutputs.Read(model.Transform(ml.Data.LoadFromEnumerable(new[] { row })))[0];

    static void AssertFresh(MLContext ml, ITransformer model, IReadOnlyList<InputRow> rows, IReadOnlyList<long[][]> actual, string what) =>
        FeaturizerOutputs.AssertIdentical(rows.Select(r => Fresh(ml, model, r)).ToList(), actual.ToList(), what);

    [Fact]
    public void Consecutive_and_alternating_equal_histories_featurize_as_a_fresh_featurizer_per_row()
    {
        var (ml, model, schema) = Fit();
        var rows = new[]
        {
            A("a", "shoe"), A("b", "hat"), A("c", "red"), B("a", "blue"), A("c", "coat"), B("b", "red shoe"), B("c", ""),
            new InputRow { TargetItem = "a", Query = "hat" }, A("a", "hat"),
            // The truncated behaviour differs: the kept history (and every output) is A's.
            Changed(A("b", "shoe"), item: 0, itemTo: "c"),
        };

        using var stream = new MappedRows(model, schema);
        var mapped = rows.Select(stream.Featurize).ToList();
        AssertFresh(ml, model, rows, mapped, "row mapper");
        AssertFresh(ml, model, rows, FeaturizerOutputs.Read(model.Transform(ml.Data.LoadFromEnumerable(rows))), "Transform");

        // The rows do differ where a stale history would show: A's and B's history outputs, and each row's target.
        Assert.Equal(3, mapped[0][0].Length);
        Assert.Equal(2, mapped[3][0].Length);
        Assert.NotEqual(mapped[0][3], mapped[1][3]);
        Assert.Equal(new long[] { 0 }, mapped[7][2]);
        Assert.Equal(mapped[0][1], mapped[9][1]);
    }

    [Fact]
    public void A_history_with_one_item_or_one_query_changed_is_featurized_again()
    {
        var (ml, model, schema) = Fit();
        // Same lengths, so the reused char buffer holds the changed text at the very offsets of A's.
        var itemChanged = Changed(A("a", "shoe"), item: 2, itemTo: "b");
        var queryChanged = Changed(A("a", "shoe"), query: 1, queryTo: "blue red");
        var rows = new[] { A("a", "shoe"), itemChanged, A("a", "shoe"), queryChanged, A("b", "hat"), Changed(queryChanged, item: 3, itemTo: "c") };

        using var stream = new MappedRows(model, schema);
        var mapped = rows.Select(stream.Featurize).ToList();
        AssertFresh(ml, model, rows, mapped, "row mapper");
        AssertFresh(ml, model, rows, FeaturizerOutputs.Read(model.Transform(ml.Data.LoadFromEnumerable(rows))), "Transform");

        Assert.False(mapped[0][0].SequenceEqual(mapped[1][0]), "the changed item must change the item indices");
        Assert.True(mapped[0][1].SequenceEqual(mapped[1][1]));
        Assert.False(mapped[2][1].SequenceEqual(mapped[3][1]), "the changed query must change the query tokens");
        Assert.True(mapped[2][0].SequenceEqual(mapped[3][0]));
        Assert.False(mapped[3][0].SequenceEqual(mapped[5][0]));
    }

    [Fact]
    public void A_row_that_failed_the_history_length_check_is_not_remembered()
    {
        var (ml, model, schema) = Fit();
        using var stream = new MappedRows(model, schema);
        var a = A("a", "shoe");
        var b = B("b", "hat");
        var expected = new List<long[][]> { stream.Featurize(a) };

        // A's items with one query too few, then B's items with one: refused each time, even with A's history remembered.
        var shortA = new InputRow { HistoryItems = AItems, HistoryQueries = AQueries[..3], TargetItem = "a", Query = "shoe" };
        var e = Assert.Throws<InvalidOperationException>(() => stream.Featurize(shortA));
        Assert.Equal("Row 1: 'HistoryQueries' has 3 entries but 'HistoryItems' has 4; they must have the same length.", e.Message);
        var shortB = new InputRow { HistoryItems = b.HistoryItems, HistoryQueries = new[] { "hat" }, TargetItem = "b", Query = "hat" };
        e = Assert.Throws<InvalidOperationException>(() => stream.Featurize(shortB));
        Assert.Equal("Row 2: 'HistoryQueries' has 1 entries but 'HistoryItems' has 2; they must have the same length.", e.Message);

        var rows = new[] { b, a, a, b };
        var mapped = rows.Select(stream.Featurize).ToList();
        AssertFresh(ml, model, rows, mapped, "after refused rows");
        e = Assert.Throws<InvalidOperationException>(() => stream.Featurize(shortB));
        Assert.StartsWith("Row 7: 'HistoryQueries' has 1 entries", e.Message);
        AssertFresh(ml, model, new[] { b }, new[] { stream.Featurize(b) }, "after a refused row of the same items");
        Assert.True(expected[0][0].SequenceEqual(mapped[1][0]));
    }

    [Fact]
    public void A_row_that_shares_its_history_is_read_once_per_history_version()
    {
        var (ml, model, schema) = Fit();
        var input = new SharedHistoryRow(schema);
        using var stream = new MappedRows(model, schema, input);
        var rows = new[] { A("a", "shoe"), A("b", "hat"), A("c", "red"), B("a", "blue"), B("c", ""), A("b", "coat") };
        var versions = new[] { 1, 1, 1, 2, 2, 3 };
        var reads = new List<int>();
        var mapped = rows.Select((r, i) =>
        {
            input.HistoryVersion = versions[i];
            var outputs = stream.Featurize(r);
            reads.Add(input.HistoryReads);
            return outputs;
        }).ToList();
        AssertFresh(ml, model, rows, mapped, "shared history");
        // One read per version: the candidates of one request do not read or compare the history again.
        Assert.Equal(new[] { 1, 1, 1, 2, 2, 3 }, reads);
    }

    [Fact]
    public void A_row_that_hands_out_its_history_texts_is_featurized_from_them_and_its_history_getters_are_never_read()
    {
        var (ml, model, schema) = Fit();
        var input = new SharedHistoryRow(schema, inPlace: true);
        using var stream = new MappedRows(model, schema, input);
        // The last version hands out no queries: every behaviour browses, as a fresh row with empty queries.
        var browse = new InputRow { HistoryItems = AItems, HistoryQueries = new[] { "", "", "", "" }, TargetItem = "b", Query = "hat" };
        var rows = new[] { A("a", "shoe"), A("b", "hat"), B("a", "blue"), B("c", ""), A("c", "coat"), browse };
        var versions = new[] { 1, 1, 2, 2, 3, 4 };
        var mapped = rows.Select((r, i) =>
        {
            input.HistoryVersion = versions[i];
            input.Texts = r;
            input.QueriesAbsent = r == browse;
            return stream.Featurize(r);
        }).ToList();
        AssertFresh(ml, model, rows, mapped, "history read in place");
        Assert.Equal(0, input.HistoryReads);
        Assert.True(input.InPlaceReads >= 4, $"{input.InPlaceReads} in-place reads");
        // A history with one query too many is refused in place as through the getters.
        input.HistoryVersion = 5;
        input.Texts = new InputRow { HistoryItems = AItems, HistoryQueries = new[] { "a", "b", "c", "d", "e" }, TargetItem = "a" };
        input.QueriesAbsent = false;
        var e = Assert.Throws<InvalidOperationException>(() => stream.Featurize(input.Texts));
        Assert.EndsWith("'HistoryQueries' has 5 entries but 'HistoryItems' has 4; they must have the same length.", e.Message);
    }

    /// <summary>
    /// A <see cref="ReusingRow"/> that declares when its history changes, as a ranking request's row does, and optionally
    /// hands its history texts out in place (<see cref="ISharedHistoryRow.HistoryTexts"/>).
    /// </summary>
    sealed class SharedHistoryRow(DataViewSchema schema, bool inPlace = false) : ReusingRow(schema), ISharedHistoryRow
    {
        public long HistoryVersion { get; set; }
        /// <summary>The row whose history texts are handed out.</summary>
        public InputRow? Texts { get; set; }
        /// <summary>Hand out no queries (every behaviour browses).</summary>
        public bool QueriesAbsent { get; set; }
        public int InPlaceReads { get; private set; }

        public bool HistoryTexts(DataViewSchema.Column items, DataViewSchema.Column? queries, out ReadOnlySpan<string?> itemTexts, out ReadOnlySpan<string?> queryTexts)
        {
            itemTexts = queryTexts = default;
            if (!inPlace || Texts == null) return false;
            Assert.Equal("HistoryItems", items.Name);
            Assert.Equal("HistoryQueries", queries?.Name);
            InPlaceReads++;
            itemTexts = Texts.HistoryItems;
            if (!QueriesAbsent) queryTexts = Texts.HistoryQueries;
            return true;
        }
    }

    /// <summary>The featurizer's row mapper over one input row that steps through rows, as a prediction engine's does.</summary>
    sealed class MappedRows : IDisposable
    {
        readonly ReusingRow _input;
        readonly DataViewRow _output;
        readonly ValueGetter<VBuffer<long>>[] _getters;

        public MappedRows(ITransformer model, DataViewSchema schema, ReusingRow? input = null)
        {
            var mapper = model.GetRowToRowMapper(schema);
            _input = input ?? new ReusingRow(schema);
            var columns = FeaturizerOutputs.Columns.Select(c => mapper.OutputSchema[c]).ToArray();
            _output = mapper.GetRow(_input, columns);
            _getters = columns.Select(c => _output.GetGetter<VBuffer<long>>(c)).ToArray();
        }

        public long[][] Featurize(InputRow row)
        {
            _input.Load(row);
            var buffer = default(VBuffer<long>);
            return _getters.Select(g => { g(ref buffer); return buffer.DenseValues().ToArray(); }).ToArray();
        }

        public void Dispose() => _output.Dispose();
    }

    /// <summary>
    /// An input row whose texts are slices of one char buffer rewritten for every row (as ML.NET's reused input buffers
    /// are): a changed text of the same length sits at the same memory, so only comparing the text itself tells it apart.
    /// </summary>
    class ReusingRow : DataViewRow
    {
        readonly char[] _chars = new char[4096];
        ReadOnlyMemory<char>[] _items = Array.Empty<ReadOnlyMemory<char>>(), _queries = Array.Empty<ReadOnlyMemory<char>>();
        ReadOnlyMemory<char> _target, _query;
        long _position = -1;

        public ReusingRow(DataViewSchema schema) => Schema = schema;

        /// <summary>Calls of the history items getter so far.</summary>
        public int HistoryReads { get; private set; }

        public override DataViewSchema Schema { get; }
        public override long Position => _position;
        public override long Batch => 0;

        public void Load(InputRow row)
        {
            int used = 0;
            ReadOnlyMemory<char> Put(string text)
            {
                text.CopyTo(_chars.AsSpan(used));
                var memory = new ReadOnlyMemory<char>(_chars, used, text.Length);
                used += text.Length;
                return memory;
            }
            _items = row.HistoryItems.Select(Put).ToArray();
            _queries = row.HistoryQueries.Select(Put).ToArray();
            _target = Put(row.TargetItem);
            _query = Put(row.Query);
            _position++;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);
        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            Delegate getter = column.Name switch
            {
                nameof(InputRow.HistoryItems) => (ValueGetter<VBuffer<ReadOnlyMemory<char>>>)((ref VBuffer<ReadOnlyMemory<char>> v) =>
                {
                    HistoryReads++;
                    Texts(_items, ref v);
                }),
                nameof(InputRow.HistoryQueries) => (ValueGetter<VBuffer<ReadOnlyMemory<char>>>)((ref VBuffer<ReadOnlyMemory<char>> v) => Texts(_queries, ref v)),
                nameof(InputRow.TargetItem) => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = _target),
                nameof(InputRow.Query) => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> v) => v = _query),
                _ => throw new InvalidOperationException($"The featurizer does not read '{column.Name}'."),
            };
            return (ValueGetter<TValue>)getter;
        }

        static void Texts(ReadOnlyMemory<char>[] texts, ref VBuffer<ReadOnlyMemory<char>> v)
        {
            var editor = VBufferEditor.Create(ref v, texts.Length);
            texts.CopyTo(editor.Values);
            v = editor.Commit();
        }
    }
}
