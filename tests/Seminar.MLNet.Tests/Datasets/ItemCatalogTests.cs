using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Datasets;

/// <summary>The catalog is read once, by header names, and each kept item keeps its own line's vectors (issue 17, case 2).</summary>
public class ItemCatalogTests
{
    const string Manifest = "{\"name\":\"cat\",\"features\":{\"image\":2,\"text\":1}}";

    static void WriteFeatures(string folder, string modality, params float[] values)
    {
        Directory.CreateDirectory(Path.Combine(folder, CanonicalDataset.FeaturesFolder));
        File.WriteAllBytes(Path.Combine(folder, CanonicalDataset.FeaturesFolder, modality + ".f32"), values.SelectMany(BitConverter.GetBytes).ToArray());
    }

    /// <summary>Every row of the view as (id, title, attributes, image vector, text vector).</summary>
    static List<(string Id, string Title, string Attributes, float[] Image, float[] Text)> Rows(IDataView view)
    {
        var rows = new List<(string, string, string, float[], float[])>();
        using var cursor = view.GetRowCursor(view.Schema);
        var id = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["ItemId"]);
        var title = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["Title"]);
        var attrs = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["Attributes"]);
        var image = cursor.GetGetter<VBuffer<float>>(view.Schema["image"]);
        var text = cursor.GetGetter<VBuffer<float>>(view.Schema["text"]);
        ReadOnlyMemory<char> s1 = default, s2 = default, s3 = default;
        VBuffer<float> v1 = default, v2 = default;
        while (cursor.MoveNext())
        {
            id(ref s1); title(ref s2); attrs(ref s3); image(ref v1); text(ref v2);
            rows.Add((s1.ToString(), s2.ToString(), s3.ToString(), v1.DenseValues().ToArray(), v2.DenseValues().ToArray()));
        }
        return rows;
    }

    [Fact]
    public void Reordered_columns_give_the_same_catalog_as_the_ordered_file()
    {
        using var ordered = new TempFolder();
        DatasetFixtures.WriteRaw(ordered.Path, DatasetFixtures.ItemsHeader + "x\tred shoe\tcat_shoe brand_a\ny\tblue hat\tcat_hat\n", DatasetFixtures.EventsHeader, Manifest);
        WriteFeatures(ordered.Path, "image", 1, 2, 3, 4);
        WriteFeatures(ordered.Path, "text", 5, 6);
        using var reordered = new TempFolder();
        DatasetFixtures.WriteRaw(reordered.Path, "attributes\ttitle\titem_id\ncat_shoe brand_a\tred shoe\tx\ncat_hat\tblue hat\ty\n", DatasetFixtures.EventsHeader, Manifest);
        WriteFeatures(reordered.Path, "image", 1, 2, 3, 4);
        WriteFeatures(reordered.Path, "text", 5, 6);

        var issues = new DataIssues();
        var rows = Rows(new CatalogDataView(CanonicalDataset.Open(reordered.Path), issues));
        Assert.Equal(0, issues.Total);
        Assert.Equal(Rows(new CatalogDataView(CanonicalDataset.Open(ordered.Path), new DataIssues())), rows, RowComparer.Instance);
        Assert.Equal(("x", "red shoe", "cat_shoe brand_a"), (rows[0].Id, rows[0].Title, rows[0].Attributes));
        Assert.Equal(new[] { 3f, 4f }, rows[1].Image);
        Assert.Equal(new[] { 6f }, rows[1].Text);
    }

    [Fact]
    public void A_duplicate_id_after_a_skipped_malformed_line_keeps_its_own_vector()
    {
        using var tmp = new TempFolder();
        // Rows 0..3 of the feature files: line 2 x, line 3 y malformed (2 fields, skipped), line 4 y kept, line 5 y duplicate.
        DatasetFixtures.WriteRaw(tmp.Path,
            DatasetFixtures.ItemsHeader + "x\tfirst\ta\ny\tbroken\ny\tgood\tb\ny\tlater\tc\n", DatasetFixtures.EventsHeader, Manifest);
        WriteFeatures(tmp.Path, "image", 1, 1, 2, 2, 3, 3, 4, 4);
        WriteFeatures(tmp.Path, "text", 10, 20, 30, 40);

        var issues = new DataIssues();
        var catalog = CanonicalDataset.Open(tmp.Path).ReadCatalog(issues);
        Assert.Equal(new[] { "x", "y" }, catalog.Items.Select(i => i.ItemId));
        Assert.Equal(new[] { 2, 4 }, catalog.Lines);
        Assert.Equal(new[] { 3f, 3f }, catalog.Vector("image", 1).ToArray());
        Assert.Equal(new[] { 30f }, catalog.Vector("text", 1).ToArray());
        Assert.Equal(1, issues.Count(CanonicalDataset.MalformedRow));
        Assert.Equal(1, issues.Count(CanonicalDataset.DuplicateItem));

        var rows = Rows(new CatalogDataView(catalog));
        Assert.Equal(("y", "good", "b"), (rows[1].Id, rows[1].Title, rows[1].Attributes));
        Assert.Equal(new[] { 3f, 3f }, rows[1].Image);
        Assert.Equal(new[] { 30f }, rows[1].Text);
        Assert.Equal(new[] { 1f, 1f }, rows[0].Image);
    }

    [Fact]
    public void Feature_rows_follow_non_empty_lines_and_a_short_file_names_the_row_count()
    {
        using var tmp = new TempFolder();
        DatasetFixtures.WriteRaw(tmp.Path, DatasetFixtures.ItemsHeader + "x\t\t\n\ny\t\t\n", DatasetFixtures.EventsHeader, Manifest);
        WriteFeatures(tmp.Path, "image", 1, 2, 3, 4);
        WriteFeatures(tmp.Path, "text", 5);
        var e = Assert.Throws<DatasetFormatException>(() => CanonicalDataset.Open(tmp.Path).ReadCatalog(new DataIssues()));
        Assert.EndsWith("text.f32: 4 bytes, expected 8 (2 items x 1 floats x 4 bytes)", e.Message);

        WriteFeatures(tmp.Path, "text", 5, 6);
        var catalog = CanonicalDataset.Open(tmp.Path).ReadCatalog(new DataIssues());
        Assert.Equal(new[] { 3f, 4f }, catalog.Vector("image", 1).ToArray());
        var missing = Assert.Throws<KeyNotFoundException>(() => catalog.Dimension("audio"));
        Assert.Equal("The catalog has no feature 'audio' (it has: image, text).", missing.Message);
    }

    [Fact]
    public void A_clean_generated_folder_gives_every_item_its_file_row()
    {
        using var tmp = new TempFolder();
        Seminar.MLNet.Datasets.Synthetic.SyntheticDatasetGenerator.Generate(tmp.Path, new() { Seed = 3, Users = 5, Items = 40, MeanEventsPerUser = 10 });
        var dataset = CanonicalDataset.Open(tmp.Path, BadRowPolicy.Throw);
        var issues = new DataIssues();
        var catalog = dataset.ReadCatalog(issues);
        Assert.Equal(0, issues.Total);
        Assert.Equal(dataset.ReadItems(new DataIssues()).Select(i => i.ItemId), catalog.Items.Select(i => i.ItemId));
        Assert.Equal(Enumerable.Range(2, 40), catalog.Lines);
        foreach (var modality in new[] { "image", "text" })
        {
            int dim = catalog.Dimension(modality);
            Assert.Equal(dataset.ReadFeatures(modality, 40), catalog.Vectors(modality).ToArray());
            Assert.Equal(dataset.ReadFeatures(modality, 40).AsSpan(39 * dim, dim).ToArray(), catalog.Vector(modality, 39).ToArray());
        }
    }

    sealed class RowComparer : IEqualityComparer<(string Id, string Title, string Attributes, float[] Image, float[] Text)>
    {
        public static readonly RowComparer Instance = new();
        public bool Equals((string Id, string Title, string Attributes, float[] Image, float[] Text) a, (string Id, string Title, string Attributes, float[] Image, float[] Text) b) =>
            (a.Id, a.Title, a.Attributes) == (b.Id, b.Title, b.Attributes) && a.Image.SequenceEqual(b.Image) && a.Text.SequenceEqual(b.Text);
        public int GetHashCode((string Id, string Title, string Attributes, float[] Image, float[] Text) r) => r.Id.GetHashCode();
    }
}
