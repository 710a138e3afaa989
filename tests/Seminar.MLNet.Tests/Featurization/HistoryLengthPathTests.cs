using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Featurization;

/// <summary>
/// Issue 17, case 1: a row whose history queries and items differ in length is refused on every featurizer path —
/// Transform and a prediction engine over the fitted model with the documented message, the stock-loaded zip's
/// graph by failing — while valid rows (empty histories, browsing as empty queries) score alike on all three.
/// </summary>
public sealed class HistoryLengthPathTests : IDisposable
{
    readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    public sealed class Features
    {
        public long[] SeminarHistoryItems { get; set; } = Array.Empty<long>();
        public long[] SeminarHistoryQueryTokens { get; set; } = Array.Empty<long>();
        [VectorType(1)] public long[] SeminarHistoryLength { get; set; } = new long[1];
    }

    static string[] Items(int n) => Enumerable.Range(0, n).Select(i => "abc"[i % 3].ToString()).ToArray();

    /// <summary>The three reported rows: no queries for 24 items, 24 queries for no items, 23 queries for 24 items.</summary>
    public static TheoryData<int, int> Mismatches => new() { { 24, 0 }, { 0, 24 }, { 24, 23 } };

    (MLContext Ml, ITransformer Fitted, ITransformer Loaded, IDataView Training) Models()
    {
        var ml = new MLContext(1);
        var catalog = ml.Data.LoadFromEnumerable(new[]
        {
            new CatalogRow { ItemId = "a", Title = "red shoe" }, new CatalogRow { ItemId = "b", Title = "blue hat" }, new CatalogRow { ItemId = "c", Title = "coat" },
        });
        var training = ml.Data.LoadFromEnumerable(new[]
        {
            new InputRow { HistoryItems = Items(3), HistoryQueries = new[] { "red", "", "blue hat" }, TargetItem = "a", Query = "shoe" },
        });
        var fitted = ml.Seminar().FeaturizeSequences(catalog, new() { MaxQueryTokens = 2 }).Fit(training);
        string zip = Path.Combine(_dir.Path, "featurizer.zip");
        ml.Model.Save(fitted, training.Schema, zip);
        return (ml, fitted, new MLContext(2).Model.Load(zip, out _), training);
    }

    static InputRow Row(int items, int queries) => new()
    {
        HistoryItems = Items(items), HistoryQueries = Enumerable.Range(0, queries).Select(i => i % 2 == 0 ? "red" : "").ToArray(), TargetItem = "b", Query = "hat",
    };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public void Every_path_refuses_history_columns_of_different_lengths(int items, int queries)
    {
        var (ml, fitted, loaded, _) = Models();
        string expected = $"'HistoryQueries' has {queries} entries but 'HistoryItems' has {items}; they must have the same length.";
        var data = ml.Data.LoadFromEnumerable(new[] { Row(items, queries) });

        var e = Assert.Throws<InvalidOperationException>(() => FeaturizerOutputs.Read(fitted.Transform(data)));
        Assert.Equal("Row 0: " + expected, e.Message);

        // A prediction engine maps rows with the same C# featurizer: the same check, the same message.
        using var engine = ml.Model.CreatePredictionEngine<InputRow, Features>(fitted);
        e = Assert.Throws<InvalidOperationException>(() => engine.Predict(Row(items, queries)));
        Assert.Matches(@"^Row -?\d+: ", e.Message);
        Assert.EndsWith(expected, e.Message);

        // Stock ML.NET runs the graph alone: it fails (its guard reshapes the queries to the items' shape) rather than misalign.
        using var stock = ml.Model.CreatePredictionEngine<InputRow, Features>(loaded);
        var onnx = Assert.ThrowsAny<Exception>(() => stock.Predict(Row(items, queries)));
        Assert.Contains("Reshape", onnx.ToString());
        Assert.ThrowsAny<Exception>(() => FeaturizerOutputs.Read(loaded.Transform(data)));
    }

    [Fact]
    public void Valid_rows_score_alike_on_every_path()
    {
        var (ml, fitted, loaded, _) = Models();
        var rows = new[] { Row(0, 0), Row(24, 24), Row(1, 1) };
        rows[2].HistoryQueries = new[] { "" }; // browsing: an empty query string, not a missing entry
        var transformed = FeaturizerOutputs.Read(fitted.Transform(ml.Data.LoadFromEnumerable(rows)));
        using var engine = ml.Model.CreatePredictionEngine<InputRow, Features>(fitted);
        using var stock = ml.Model.CreatePredictionEngine<InputRow, Features>(loaded);
        for (int r = 0; r < rows.Length; r++)
        {
            foreach (var e in new[] { engine, stock })
            {
                var f = e.Predict(rows[r]);
                Assert.Equal(transformed[r][0], f.SeminarHistoryItems);
                Assert.Equal(transformed[r][1], f.SeminarHistoryQueryTokens);
                Assert.Equal(new long[] { rows[r].HistoryItems.Length }, f.SeminarHistoryLength);
            }
        }
        Assert.Equal(new long[2], transformed[2][1]); // browsing pads its token slots
    }
}
