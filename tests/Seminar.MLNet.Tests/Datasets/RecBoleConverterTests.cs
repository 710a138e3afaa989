using System.Globalization;
using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Datasets.Converters;

using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Datasets;

public class RecBoleConverterTests
{
    [Fact]
    public void Ml100k_converts_with_real_counts_titles_attributes_and_rating_labels()
    {
        string input = TestData.Shared("ml-100k");
        // Independent count of ratings >= 4 from the raw file.
        long expectedPositives = File.ReadLines(Path.Combine(input, "ml-100k.inter")).Skip(1)
            .Count(l => l.Length > 0 && double.Parse(l.Split('\t')[2], CultureInfo.InvariantCulture) >= 4);
        Assert.Equal(55375, expectedPositives);

        using var tmp = new TempFolder();
        var issues = new DataIssues();
        var summary = new RecBoleConverter().Convert(input, tmp.Path, issues);
        Assert.Equal(0, issues.Total);
        Assert.Equal(new ConversionSummary("ml-100k", 1682, 943, 100_000, expectedPositives, 0), summary);

        var (ds, items, events) = TestData.Load(tmp.Path);
        Assert.Equal("ml-100k", ds.Manifest.Name);
        Assert.Empty(ds.Manifest.Features);
        Assert.Equal(1682, items.Count);
        Assert.Equal(100_000, events.Count);
        Assert.Equal(943, events.Select(e => e.UserId).Distinct().Count());
        Assert.Equal(expectedPositives, events.LongCount(e => e.Label));
        Assert.All(events, e => Assert.Equal("", e.Query));

        // ml-100k.item line 2: "1	Toy Story	1995	Animation Children's Comedy"
        var toy = items[0];
        Assert.Equal("1", toy.ItemId);
        Assert.Equal("Toy Story", toy.Title);
        Assert.Equal(new[] { "release_year_1995", "class_Animation", "class_Children's", "class_Comedy" }, toy.Attributes);
        // ml-100k.item line 3: "2	GoldenEye	1995	Action Adventure Thriller"
        Assert.Equal(new[] { "release_year_1995", "class_Action", "class_Adventure", "class_Thriller" }, items[1].Attributes);

        // ml-100k.inter line 2: "196	242	3	881250949" (rating 3: exposure, label 0)
        Assert.Equal(new EventRecord("196", 881250949, "242", "", false), events[0]);
        // The first rating of 4 or more in the file, taken from the raw line.
        var rawPositive = File.ReadLines(Path.Combine(input, "ml-100k.inter")).Skip(1).Select((l, i) => (F: l.Split('\t'), I: i))
            .First(x => double.Parse(x.F[2], CultureInfo.InvariantCulture) >= 4);
        Assert.Equal(new EventRecord(rawPositive.F[0], long.Parse(rawPositive.F[3], CultureInfo.InvariantCulture), rawPositive.F[1], "", true), events[rawPositive.I]);
    }

    [Fact]
    public void Rating_threshold_option_and_label_column_decide_positives()
    {
        using var tmp = new TempFolder();
        string input = tmp.File("in");
        tmp.Write("in/toy.inter", "user_id:token\titem_id:token\trating:float\ttimestamp:float\nu1\ti1\t2\t10.7\nu1\ti2\t3\t11\nu2\ti1\t5\t12\n");
        tmp.Write("in/toy.item", "item_id:token\tname:token_seq\tprice:float\ni1\tFirst thing\t1.5\ni2\tSecond\t\n");
        var summary = new RecBoleConverter(ratingThreshold: 3).Convert(input, tmp.File("out"), new DataIssues());
        Assert.Equal(2, summary.PositiveEvents);
        var (_, items, events) = TestData.Load(tmp.File("out"));
        Assert.Equal(10, events[0].Timestamp);
        Assert.Equal("First thing", items[0].Title);
        Assert.Equal(new[] { "price_1.5" }, items[0].Attributes);
        Assert.Empty(items[1].Attributes);

        tmp.Write("in/toy.inter", "user_id:token\titem_id:token\tlabel:float\nu1\ti1\t0\nu1\ti2\t1\n");
        var labelled = new RecBoleConverter().Convert(input, tmp.File("out2"), new DataIssues());
        Assert.Equal(1, labelled.PositiveEvents);
        var (_, _, ev2) = TestData.Load(tmp.File("out2"));
        Assert.Equal(new long[] { 2, 3 }, ev2.Select(e => e.Timestamp)); // no timestamp column: line number
    }

    [Fact]
    public void Malformed_rows_are_counted_with_line_and_missing_files_throw_naming_the_file()
    {
        using var tmp = new TempFolder();
        string input = tmp.File("in");
        tmp.Write("in/bad.inter",
            "user_id:token\titem_id:token\trating:float\ttimestamp:float\n" +
            "u1\ti1\t5\t100\n" +
            "u1\ti2\tfive\t101\n" +      // line 3: bad rating
            "u1\ti3\t4\n" +              // line 4: 3 fields
            "u2\ti1\t1\tnever\n");       // line 5: bad timestamp
        tmp.Write("in/bad.item", "item_id:token\ttitle:token_seq\ni1\tOne\ti2\textra\n");
        var issues = new DataIssues();
        var summary = new RecBoleConverter().Convert(input, tmp.File("out"), issues);
        Assert.Equal(1, summary.Events);
        Assert.Equal(0, summary.Items);
        Assert.Equal(4, summary.SkippedRows);
        Assert.Equal(4, issues.Count(ConversionIssues.MalformedRow));
        var examples = issues.Summary().Single().Examples;
        Assert.Contains(examples, e => e.StartsWith("bad.inter:3:", StringComparison.Ordinal) && e.Contains("rating", StringComparison.Ordinal));
        Assert.Contains(examples, e => e.StartsWith("bad.inter:4:", StringComparison.Ordinal));
        Assert.Contains(examples, e => e.StartsWith("bad.inter:5:", StringComparison.Ordinal) && e.Contains("timestamp", StringComparison.Ordinal));
        Assert.Contains(examples, e => e.StartsWith("bad.item:2:", StringComparison.Ordinal));

        File.Delete(Path.Combine(input, "bad.item"));
        var missing = Assert.Throws<DatasetFormatException>(() => new RecBoleConverter().Convert(input, tmp.File("out3"), new DataIssues()));
        Assert.Contains("bad.item", missing.Message);

        tmp.Write("in/bad.item", "item_id:token\ttitle:token_seq\n");
        tmp.Write("in/bad.inter", "user:token\titem_id:token\n");
        var header = Assert.Throws<DatasetFormatException>(() => new RecBoleConverter().Convert(input, tmp.File("out4"), new DataIssues()));
        Assert.Contains("bad.inter", header.Message);
        Assert.Contains("user_id", header.Message);
        Assert.Equal(1, header.Line);

        File.Delete(Path.Combine(input, "bad.inter"));
        var noInter = Assert.Throws<DatasetFormatException>(() => new RecBoleConverter().Convert(input, tmp.File("out5"), new DataIssues()));
        Assert.Contains(".inter", noInter.Message);
    }
}
