using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Datasets.Converters;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Datasets;

public class S3RecConverterTests
{
    // Counts from the README of ../shared/data/s3rec, checked with awk/python on the files. The longest user, its
    // first and last item, and item 1's attributes are read off the files by hand.
    [Theory]
    [InlineData("Toys_and_Games", 19412, 11924, 167597, 1027, "473", 550, "1418", "147", "a399 a2 a220 a262")]
    [InlineData("Sports_and_Outdoors", 35598, 18357, 296337, 2277, "572", 296, "1750", "4569", "a1 a2 a3 a4 a5 a6")]
    public void Real_files_convert_with_the_published_counts_and_an_ordinal_clock(string name, int users, int items, long events, int attributes,
        string longestUser, int longest, string longestFirst, string longestLast, string item1Attributes)
    {
        using var tmp = new TempFolder();
        var issues = new DataIssues();
        var summary = new S3RecConverter(name).Convert(TestData.Shared("s3rec"), tmp.Path, issues);
        Assert.Equal(0, issues.Total);
        Assert.Equal(new ConversionSummary(name, items, users, events, events, 0), summary);
        Assert.Contains("\"clock\": \"ordinal\"", File.ReadAllText(Path.Combine(tmp.Path, CanonicalDataset.ManifestFile)));

        var (ds, itemRows, eventRows) = TestData.Load(tmp.Path);
        Assert.Equal(name, ds.Manifest.Name);
        Assert.Equal(DatasetManifest.OrdinalClock, ds.Manifest.Clock);
        Assert.Empty(ds.Manifest.Features);

        // Items 1..N in id order, no text, attribute ids as a-prefixed tokens.
        Assert.Equal(Enumerable.Range(1, items).Select(i => i.ToString()), itemRows.Select(i => i.ItemId));
        Assert.All(itemRows, i => Assert.Equal("", i.Title));
        Assert.Equal(item1Attributes.Split(' '), itemRows[0].Attributes);
        Assert.Equal(attributes, itemRows.SelectMany(i => i.Attributes).Distinct().Count());
        Assert.All(itemRows.SelectMany(i => i.Attributes), a => Assert.Matches("^a[0-9]+$", a));

        Assert.Equal(events, eventRows.Count);
        Assert.All(eventRows, e => { Assert.True(e.Label); Assert.Equal("", e.Query); });
        var byUser = eventRows.GroupBy(e => e.UserId).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(users, byUser.Count);
        Assert.All(byUser.Values, seq => Assert.Equal(Enumerable.Range(0, seq.Count).Select(p => (long)p), seq.Select(e => e.Timestamp)));

        // User 1's line is "1 1 2 3 4 5" in both files (Sports goes on to 8).
        var first = byUser["1"];
        Assert.Equal(new[] { "1", "2", "3", "4", "5" }, first.Take(5).Select(e => e.ItemId));
        Assert.Equal(first.Count.ToString(), first[^1].ItemId);
        var longestSeq = byUser[longestUser];
        Assert.Equal(longest, longestSeq.Count);
        Assert.Equal((longestFirst, 0L), (longestSeq[0].ItemId, longestSeq[0].Timestamp));
        Assert.Equal((longestLast, (long)longest - 1), (longestSeq[^1].ItemId, longestSeq[^1].Timestamp));

        // What evaluate reads: every event, every catalog item, nothing skipped.
        var log = EventLog.Load(ds);
        Assert.Equal(events, log.Count);
        Assert.Equal(users, log.UserIds.Length);
        Assert.Equal(items, log.CatalogItemCount);
        Assert.False(log.HasNegatives);
        Assert.Equal(0, log.Issues.Total);
    }

    [Fact]
    public void Bad_lines_and_entries_are_skipped_and_counted_with_their_line()
    {
        using var tmp = new TempFolder();
        string input = tmp.File("in");
        tmp.Write("in/toy.txt",
            "1 3 1 2\n" +      // line 1: kept
            "\n" +             // line 2: empty
            "2 1 x 3\n" +      // line 3: item not an integer
            "3\n" +            // line 4: no items
            "u4 1\n" +         // line 5: user not an integer
            "5 0 1\n" +        // line 6: item 0 is not positive
            "   \n" +          // line 7: blank
            "1 2\n" +          // line 8: user 1 again
            "07  9\t2\n");     // line 9: kept as user 7 (item 9 has no attributes)
        tmp.Write("in/toy_item2attributes.json",
            "{\"1\": [10, 11], \"2\": [], \"3\": [12, \"b\", -1], \"4\": [13], \"x\": [1], \"5\": 7}");

        var issues = new DataIssues { ExamplesPerKind = 20 };
        var summary = new S3RecConverter("toy").Convert(input, tmp.File("out"), issues);
        Assert.Equal(new ConversionSummary("toy", 5, 2, 5, 5, 11), summary);
        Assert.Equal(8, issues.Count(ConversionIssues.MalformedRow));   // 6 lines + the "x" and "5" items
        Assert.Equal(1, issues.Count(ConversionIssues.DuplicateId));
        Assert.Equal(2, issues.Count(ConversionIssues.MalformedEntry));
        Assert.Equal(1, issues.Count(ConversionIssues.MissingAttributes));
        string all = issues.ToString();
        foreach (int line in new[] { 2, 3, 4, 5, 6, 7, 8 }) Assert.Contains($"toy.txt:{line}:", all);
        Assert.Contains("toy.txt:3: user 2: item id 'x' is not a positive integer", all);
        Assert.Contains("toy_item2attributes.json:0: item 3: attribute \"b\"", all);
        Assert.Contains("toy_item2attributes.json:0: item 9", all);

        var (ds, items, events) = TestData.Load(tmp.File("out"));
        Assert.Equal(DatasetManifest.OrdinalClock, ds.Manifest.Clock);
        // Item 4 is only in the attribute file, item 9 only in the sequences: both are catalog items.
        Assert.Equal(new[] { "1", "2", "3", "4", "9" }, items.Select(i => i.ItemId));
        Assert.Equal(new[] { "a10 a11", "", "a12", "a13", "" }, items.Select(i => string.Join(' ', i.Attributes)));
        Assert.Equal(new[] { ("1", 0L, "3"), ("1", 1L, "1"), ("1", 2L, "2"), ("7", 0L, "9"), ("7", 1L, "2") },
            events.Select(e => (e.UserId, e.Timestamp, e.ItemId)));
    }

    [Fact]
    public void A_missing_name_or_file_is_an_error_naming_it_and_the_datasets_in_the_folder()
    {
        using var tmp = new TempFolder();
        string input = tmp.File("in");
        tmp.Write("in/Toys.txt", "1 1\n");
        tmp.Write("in/Toys_item2attributes.json", "{\"1\": [1]}");
        tmp.Write("in/Beauty.txt", "1 1\n");
        tmp.Write("in/Beauty_item2attributes.json", "{\"1\": [1]}");
        tmp.Write("in/Beauty_sample.txt", "1 2 3\n");   // negatives of the S3-Rec release, not a dataset
        tmp.Write("in/Games.txt", "1 1\n");             // no attribute file

        var ex = Assert.Throws<DatasetFormatException>(() => new S3RecConverter().Convert(input, tmp.File("out"), new DataIssues()));
        Assert.Equal($"{input}: the s3rec format needs a dataset name, the NAME of NAME.txt (--name NAME); datasets in the folder: Beauty, Toys", ex.Message);
        ex = Assert.Throws<DatasetFormatException>(() => DatasetConverters.Get("s3rec", " ").Convert(input, tmp.File("out"), new DataIssues()));
        Assert.EndsWith("datasets in the folder: Beauty, Toys", ex.Message);

        ex = Assert.Throws<DatasetFormatException>(() => new S3RecConverter("Sports").Convert(input, tmp.File("out"), new DataIssues()));
        Assert.Equal(Path.Combine(input, "Sports.txt"), ex.File);
        Assert.EndsWith("missing; datasets in the folder: Beauty, Toys", ex.Message);

        ex = Assert.Throws<DatasetFormatException>(() => new S3RecConverter("Games").Convert(input, tmp.File("out"), new DataIssues()));
        Assert.Equal(Path.Combine(input, "Games_item2attributes.json"), ex.File);
        Assert.Contains("missing", ex.Message);

        tmp.Write("in/Toys_item2attributes.json", "{\"1\": [1]");
        ex = Assert.Throws<DatasetFormatException>(() => new S3RecConverter("Toys").Convert(input, tmp.File("out"), new DataIssues()));
        Assert.StartsWith(Path.Combine(input, "Toys_item2attributes.json") + ":1: not valid JSON", ex.Message);
        tmp.Write("in/Toys_item2attributes.json", "[1]");
        ex = Assert.Throws<DatasetFormatException>(() => new S3RecConverter("Toys").Convert(input, tmp.File("out"), new DataIssues()));
        Assert.Contains("expected an object", ex.Message);

        ex = Assert.Throws<DatasetFormatException>(() => new S3RecConverter("Toys").Convert(tmp.File("nowhere"), tmp.File("out"), new DataIssues()));
        Assert.Contains("nowhere", ex.Message);

        var empty = tmp.File("empty");
        Directory.CreateDirectory(empty);
        ex = Assert.Throws<DatasetFormatException>(() => new S3RecConverter().Convert(empty, tmp.File("out"), new DataIssues()));
        Assert.EndsWith("the folder holds no NAME.txt with a NAME_item2attributes.json beside it", ex.Message);
    }
}
