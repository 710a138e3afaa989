using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Featurization;

public class SequenceFeaturizerTests
{
    static IDataView Catalog(MLContext ml) => ml.Data.LoadFromEnumerable(new[]
    {
        new CatalogRow { ItemId = "a", Title = "Red Shoe", Attributes = "cat_shoe brand_x", Image = new[] { 1f, 0f } },
        new CatalogRow { ItemId = "b", Title = "blue SHOE", Attributes = "cat_shoe", Image = new[] { 0f, 1f } },
        new CatalogRow { ItemId = "c", Title = "Hat", Attributes = "cat_hat brand_x", Image = new[] { 0.5f, 0.5f } },
    });

    static InputRow[] Rows() => new[]
    {
        new InputRow { HistoryItems = new[] { "a", "b", "zz" }, HistoryQueries = new[] { "Red  shoes", "", "BLUE hat extra words" }, TargetItem = "b", Query = "Shoe", Label = true },
        new InputRow { TargetItem = "nowhere", Query = "" },
        new InputRow { HistoryItems = new[] { "a", "b", "c" }, HistoryQueries = new[] { "x", "Ünïcode ÄÖ", "hat" }, TargetItem = "c", Query = "ünïcode hat", Label = true },
        new InputRow { HistoryItems = new[] { "" }, HistoryQueries = new[] { "\t" }, TargetItem = "", Query = " red " },
    };

    static SequenceFeaturizerOptions Options() => new() { MaxHistory = 2, MaxQueryTokens = 3 };

    [Fact]
    public void Outputs_match_hand_checked_rows()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(Rows());
        var model = ml.Seminar().FeaturizeSequences(Catalog(ml), Options()).Fit(data);
        var v = model.Vocabularies;

        // Catalog ids first in catalog order, then ids seen only in the data ("zz"; "nowhere" as a target; empty ids never).
        Assert.Equal(new[] { "a", "b", "c", "nowhere", "zz" }, v.Items.Entries.Take(3).Concat(v.Items.Entries.Skip(3).OrderBy(x => x, StringComparer.Ordinal)));
        Assert.Equal(3, v.CatalogItems);
        // Fit counts the kept (last 2) behaviours only: "hat" = title + 2 history queries + 1 query = 4 -> index 2;
        // "shoe" = 2 titles + 1 query = 3 -> index 3 ("shoes" is another token).
        Assert.Equal(2, v.Tokens.IndexOf("hat"));
        Assert.Equal(3, v.Tokens.IndexOf("shoe"));
        long I(string item) => v.Items.IndexOf(item);
        long T(string token) => v.Tokens.IndexOf(token);

        var rows = FeaturizerOutputs.Read(model.Transform(data));
        // Row 0: last 2 of 3 behaviours (b, zz); queries "" and "blue hat extra" (first 3 tokens), padded to 3.
        Assert.Equal(new[] { I("b"), I("zz") }, rows[0][0]);
        Assert.Equal(new[] { 0, 0, 0, T("blue"), T("hat"), T("extra") }, rows[0][1]);
        Assert.Equal(new long[] { 2 }, rows[0][2]);
        Assert.Equal(new[] { I("b") }, rows[0][3]);
        Assert.Equal(new[] { T("shoe"), 0, 0 }, rows[0][4]);
        // Row 1: empty history, unknown target, empty query.
        Assert.Empty(rows[1][0]);
        Assert.Empty(rows[1][1]);
        Assert.Equal(new long[] { 0 }, rows[1][2]);
        Assert.Equal(new[] { I("nowhere") }, rows[1][3]);
        Assert.Equal(new long[] { 0, 0, 0 }, rows[1][4]);
        // Row 2: non-ASCII text lower-cases and matches across queries.
        Assert.True(v.Tokens.Contains("ünïcode") && v.Tokens.Contains("äö"));
        Assert.Equal(new[] { T("ünïcode"), T("äö"), 0, T("hat"), 0, 0 }, rows[2][1]);
        Assert.Equal(new[] { T("ünïcode"), T("hat"), 0 }, rows[2][4]);
        // Row 3: an empty id is unknown (1); only spaces separate tokens, so a lone tab is an (unknown) token.
        Assert.Equal(new long[] { Vocabulary.Unknown }, rows[3][0]);
        Assert.Equal(new long[] { T("\t"), 0, 0 }, rows[3][1]);
        Assert.Equal(new long[] { Vocabulary.Unknown }, rows[3][3]);
        Assert.Equal(new[] { T("red"), 0, 0 }, rows[3][4]);

        // Case folding lives in the vocabulary: lower, UPPER and Capitalized forms always map; forms seen
        // while fitting map; an unseen odd casing is out of vocabulary (in both paths alike).
        var probe = ml.Data.LoadFromEnumerable(new[] { new InputRow { TargetItem = "a", Query = "HAT Hat hat hAt" } });
        Assert.Equal(new[] { T("hat"), T("hat"), T("hat") }, FeaturizerOutputs.Read(model.Transform(probe))[0][4]);
        var odd = ml.Data.LoadFromEnumerable(new[] { new InputRow { TargetItem = "a", Query = "hAt ünïcode ÜNÏCODE" } });
        Assert.Equal(new[] { Vocabulary.Unknown, T("ünïcode"), T("ünïcode") }, FeaturizerOutputs.Read(model.Transform(odd))[0][4]);
        Assert.Equal(FeaturizerOutputs.Read(model.Transform(odd)), FeaturizerOutputs.Read(model.Persisted.Transform(odd)));

        // Catalog content: titles through the shared token vocabulary, attributes, vectors.
        var c = v.Content;
        Assert.Equal(new[] { (int)T("red"), (int)T("shoe"), 0 }, c.Title((int)I("a")).ToArray().Take(3));
        Assert.Equal(new[] { v.Attributes.IndexOf("cat_hat"), v.Attributes.IndexOf("brand_x"), 0 }, c.AttributesOf((int)I("c")).ToArray().Take(3));
        Assert.Equal(new[] { 0.5f, 0.5f }, c.Modalities.Single().Of((int)I("c")).ToArray());
        Assert.True(c.Modalities[0].HasVector[I("a")]);
        Assert.False(c.Modalities[0].HasVector[I("zz")]);
    }

    [Fact]
    public void Fast_path_persisted_onnx_path_and_stock_loaded_zip_agree_on_every_row()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(Rows());
        var model = ml.Seminar().FeaturizeSequences(Catalog(ml), Options()).Fit(data);
        var fast = FeaturizerOutputs.Read(model.Transform(data));
        var onnx = FeaturizerOutputs.Read(model.Persisted.Transform(data));
        FeaturizerOutputs.AssertIdentical(fast, onnx, "fast vs ONNX");

        using var tmp = new TempFolder();
        ml.Model.Save(model, data.Schema, tmp.File("featurizer.zip"));
        var loaded = new MLContext(2).Model.Load(tmp.File("featurizer.zip"), out _);
        Assert.IsNotType<SequenceFeaturizerTransformer>(loaded);
        FeaturizerOutputs.AssertIdentical(fast, FeaturizerOutputs.Read(loaded.Transform(data)), "fast vs stock load");
        // The schemas agree too, so a chain fitted on one runs on the other.
        foreach (var col in FeaturizerOutputs.Columns)
            Assert.True(model.Transform(data).Schema[col].Type.Equals(loaded.Transform(data).Schema[col].Type),
                $"{col}: {model.Transform(data).Schema[col].Type} vs {loaded.Transform(data).Schema[col].Type} " +
                string.Join("; ", FeaturizerOutputs.Columns.Select(c => $"{c}={loaded.Transform(data).Schema[c].Type}")));
    }

    [Fact]
    public void Null_query_columns_ignore_the_queries_the_input_has_in_both_paths()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(Rows());
        var options = Options();
        options.HistoryQueriesColumnName = null;
        options.QueryColumnName = null;
        var model = ml.Seminar().FeaturizeSequences(Catalog(ml), options).Fit(data);
        var with = FeaturizerOutputs.Read(ml.Seminar().FeaturizeSequences(Catalog(ml), Options()).Fit(data).Transform(data));

        var fast = FeaturizerOutputs.Read(model.Transform(data));
        FeaturizerOutputs.AssertIdentical(fast, FeaturizerOutputs.Read(model.Persisted.Transform(data)), "fast vs ONNX");
        for (int r = 0; r < fast.Count; r++)
        {
            Assert.Equal(with[r][0], fast[r][0]); // the same behaviours are kept
            Assert.All(fast[r][1], t => Assert.Equal(0, t));
            Assert.Equal(new long[] { 0, 0, 0 }, fast[r][4]);
        }
        // Query-only words never enter the vocabulary; title words still do.
        Assert.False(model.Vocabularies.Tokens.Contains("extra"));
        Assert.True(model.Vocabularies.Tokens.Contains("shoe"));
    }

    [Fact]
    public void A_chain_with_FastTree_fits_propagates_its_schema_saves_and_reloads_with_identical_scores()
    {
        var ml = new MLContext(3);
        var rng = new Random(4);
        string[] items = { "a", "b", "c" };
        var rows = Enumerable.Range(0, 200).Select(i =>
        {
            var history = Enumerable.Range(0, rng.Next(0, 6)).Select(_ => items[rng.Next(3)]).ToArray();
            string target = items[rng.Next(3)];
            return new InputRow
            {
                HistoryItems = history, HistoryQueries = history.Select(_ => rng.Next(2) == 0 ? "" : "red shoe").ToArray(),
                TargetItem = target, Query = "hat", Price = rng.Next(10), Label = history.Contains(target),
            };
        }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Seminar().FeaturizeSequences(Catalog(ml), Options())
            .Append(ml.Transforms.Conversion.ConvertType(new[]
            {
                new InputOutputColumnPair("LengthF", "SeminarHistoryLength"), new InputOutputColumnPair("TargetF", "SeminarTargetItem"),
                new InputOutputColumnPair("QueryF", "SeminarQueryTokens"),
            }, DataKind.Single))
            .Append(ml.Transforms.Concatenate("Features", "LengthF", "TargetF", "QueryF", "Price"))
            .Append(ml.BinaryClassification.Trainers.FastTree(numberOfTrees: 10, minimumExampleCountPerLeaf: 2));

        // SchemaShape.Create(DataViewSchema) is internal to ML.NET; tests reach it by reflection.
        var create = typeof(SchemaShape).GetMethod("Create", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static, new[] { typeof(DataViewSchema) })!;
        var shape = pipeline.GetOutputSchema((SchemaShape)create.Invoke(null, new object[] { data.Schema })!);
        Assert.Contains(shape, c => c.Name == "SeminarHistoryItems" && c.Kind == SchemaShape.Column.VectorKind.VariableVector && c.ItemType == NumberDataViewType.Int64);
        Assert.Contains(shape, c => c.Name == "SeminarQueryTokens" && c.Kind == SchemaShape.Column.VectorKind.Vector);
        Assert.Contains(shape, c => c.Name == "Score");

        var model = pipeline.Fit(data);
        var scores = model.Transform(data).GetColumn<float>("Score").ToArray();
        using var tmp = new TempFolder();
        ml.Model.Save(model, data.Schema, tmp.File("ctr.zip"));
        var loaded = new MLContext(5).Model.Load(tmp.File("ctr.zip"), out var schema);
        Assert.Equal(scores, loaded.Transform(data).GetColumn<float>("Score").ToArray());
        Assert.True(scores.Distinct().Count() > 1, "the trees must use the features");
    }

    [Fact]
    public void Bad_input_gives_clear_errors()
    {
        var ml = new MLContext(1);
        var estimator = ml.Seminar().FeaturizeSequences(Catalog(ml), Options());
        var mismatched = ml.Data.LoadFromEnumerable(new[] { new InputRow { HistoryItems = new[] { "a", "b" }, HistoryQueries = new[] { "q" }, TargetItem = "a" } });
        var e = Assert.Throws<InvalidOperationException>(() => estimator.Fit(mismatched));
        Assert.Contains("Row 0: 'HistoryQueries' has 1 entries but 'HistoryItems' has 2", e.Message);

        var good = estimator.Fit(ml.Data.LoadFromEnumerable(Rows()));
        e = Assert.Throws<InvalidOperationException>(() => FeaturizerOutputs.Read(good.Transform(mismatched)));
        Assert.Contains("has 1 entries but 'HistoryItems' has 2", e.Message);

        var noItems = ml.Data.LoadFromEnumerable(new[] { new CatalogRow() });
        var missing = Assert.Throws<ArgumentException>(() => ml.Seminar().FeaturizeSequences(noItems, new SequenceFeaturizerOptions { HistoryItemsColumnName = "Nope" }).Fit(ml.Data.LoadFromEnumerable(Rows())));
        Assert.Contains("Input column 'Nope' is missing", missing.Message);

        var duplicate = ml.Data.LoadFromEnumerable(new[] { new CatalogRow { ItemId = "a" }, new CatalogRow { ItemId = "a" } });
        e = Assert.Throws<InvalidOperationException>(() => ml.Seminar().FeaturizeSequences(duplicate, Options()).Fit(ml.Data.LoadFromEnumerable(Rows())));
        Assert.Contains("Catalog item 'a' appears twice (rows 0 and 1)", e.Message);

        var nan = ml.Data.LoadFromEnumerable(new[] { new CatalogRow { ItemId = "a", Image = new[] { 0f, float.NaN } } });
        e = Assert.Throws<InvalidOperationException>(() => ml.Seminar().FeaturizeSequences(nan, Options()).Fit(ml.Data.LoadFromEnumerable(Rows())));
        Assert.Contains("Catalog item 'a': modality column 'Image' has NaN at index 1", e.Message);

        Assert.Throws<ArgumentOutOfRangeException>(() => ml.Seminar().FeaturizeSequences(noItems, new SequenceFeaturizerOptions { MaxHistory = 0 }));
    }
}
