using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Datasets;

public class CanonicalDatasetTests
{
    [Fact]
    public void Writer_and_reader_round_trip_items_events_and_features()
    {
        using var tmp = new TempFolder();
        using (var w = new CanonicalDatasetWriter(tmp.Path, "rt"))
        {
            w.AddFeature("image", 2);
            w.WriteItem("i1", "a\ttitle", new[] { "cat_1", "brand x" }, new Dictionary<string, float[]> { ["image"] = new[] { 1f, 2f } });
            w.WriteItem("i2", "", Array.Empty<string>());
            w.WriteEvent(new EventRecord("u1", 5, "i1", "q one", true));
            w.WriteEvent(new EventRecord("u1", 6, "i2", "", false));
            w.Complete();
        }
        var ds = CanonicalDataset.Open(tmp.Path);
        var issues = new DataIssues();
        var items = ds.ReadItems(issues).ToArray();
        Assert.Equal(2, items.Length);
        Assert.Equal("a title", items[0].Title);
        Assert.Equal(new[] { "cat_1", "brand_x" }, items[0].Attributes);
        Assert.Empty(items[1].Attributes);
        var events = ds.ReadEvents(issues).ToArray();
        Assert.Equal(new EventRecord("u1", 5, "i1", "q one", true), events[0]);
        Assert.Equal(new EventRecord("u1", 6, "i2", "", false), events[1]);
        Assert.Equal(new[] { 1f, 2f, 0f, 0f }, ds.ReadFeatures("image", 2));
        Assert.Equal(0, issues.Total);
    }

    [Fact]
    public void Malformed_rows_are_counted_with_file_and_line_or_thrown_in_strict_mode()
    {
        using var tmp = new TempFolder();
        DatasetFixtures.WriteRaw(tmp.Path,
            DatasetFixtures.ItemsHeader + "x\tt\t\nx\tdup\t\n\tno id\t\n",
            DatasetFixtures.EventsHeader +
            "u\t1\tx\t\t1\n" +        // line 2 fine
            "u\tnoon\tx\t\t1\n" +     // line 3 bad timestamp
            "u\t2\tx\t\n" +           // line 4 too few fields
            "u\t3\tghost\t\t1\n" +    // line 5 unknown item, kept
            "u\t4\tx\t\t2\n");        // line 6 bad label
        var ds = CanonicalDataset.Open(tmp.Path);
        var issues = new DataIssues();
        var items = ds.ReadItems(issues).ToArray();
        Assert.Single(items);
        Assert.Equal(1, issues.Count(CanonicalDataset.DuplicateItem));
        var known = items.Select(i => i.ItemId).ToHashSet();
        var events = ds.ReadEvents(issues, known).ToArray();
        Assert.Equal(new long[] { 1, 3 }, events.Select(e => e.Timestamp));
        Assert.Equal(1 + 3, issues.Count(CanonicalDataset.MalformedRow)); // empty item id + 3 bad event rows
        Assert.Equal(1, issues.Count(CanonicalDataset.UnknownItem));
        var examples = issues.Summary().Single(s => s.Kind == CanonicalDataset.MalformedRow).Examples;
        Assert.Contains("items.tsv:4: empty item_id", examples);
        Assert.Contains("events.tsv:3: timestamp 'noon' is not an integer", examples);
        Assert.Contains("events.tsv:4: 4 fields, header has 5", examples);
        Assert.Contains("events.tsv:6: label '2' is not 0 or 1", examples);

        var strict = CanonicalDataset.Open(tmp.Path, BadRowPolicy.Throw);
        var e = Assert.Throws<DatasetFormatException>(() => strict.ReadEvents(new DataIssues()).ToArray());
        Assert.Equal(3, e.Line);
        Assert.EndsWith("events.tsv", e.File);
        Assert.Contains("events.tsv:3: timestamp 'noon'", e.Message);
    }

    [Fact]
    public void Structural_problems_name_the_file()
    {
        using var tmp = new TempFolder();
        DatasetFixtures.WriteRaw(tmp.Path, "", DatasetFixtures.EventsHeader);
        var e = Assert.Throws<DatasetFormatException>(() => CanonicalDataset.Open(tmp.Path).ReadItems(new DataIssues()).ToArray());
        Assert.Contains("items.tsv:1: empty file", e.Message);

        DatasetFixtures.WriteRaw(tmp.Path, DatasetFixtures.ItemsHeader, "user_id\ttimestamp\titem_id\tlabel\n");
        e = Assert.Throws<DatasetFormatException>(() => CanonicalDataset.Open(tmp.Path).ReadEvents(new DataIssues()).ToArray());
        Assert.Contains("events.tsv:1: header lacks column 'query'", e.Message);

        File.Delete(Path.Combine(tmp.Path, CanonicalDataset.ManifestFile));
        e = Assert.Throws<DatasetFormatException>(() => CanonicalDataset.Open(tmp.Path));
        Assert.Contains("dataset.json: missing", e.Message);

        DatasetFixtures.WriteRaw(tmp.Path, DatasetFixtures.ItemsHeader + "x\t\t\n", DatasetFixtures.EventsHeader, "{\"name\":\"f\",\"features\":{\"image\":3}}");
        e = Assert.Throws<DatasetFormatException>(() => CanonicalDataset.Open(tmp.Path));
        Assert.Contains("image.f32: dataset.json declares feature 'image' but the file is missing", e.Message);
        Directory.CreateDirectory(Path.Combine(tmp.Path, "features"));
        File.WriteAllBytes(Path.Combine(tmp.Path, "features", "image.f32"), new byte[8]);
        e = Assert.Throws<DatasetFormatException>(() => CanonicalDataset.Open(tmp.Path).ReadFeatures("image", 1));
        Assert.Contains("8 bytes, expected 12", e.Message);
        File.WriteAllBytes(Path.Combine(tmp.Path, "features", "image.f32"), BitConverter.GetBytes(1f).Concat(BitConverter.GetBytes(float.NaN)).Concat(BitConverter.GetBytes(0f)).ToArray());
        e = Assert.Throws<DatasetFormatException>(() => CanonicalDataset.Open(tmp.Path).ReadFeatures("image", 1));
        Assert.Contains("row 0 (line 2 of items.tsv) has a non-finite value at index 1", e.Message);
    }
}
