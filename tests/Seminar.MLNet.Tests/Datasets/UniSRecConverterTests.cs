using System.Runtime.InteropServices;
using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Datasets.Converters;

using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Datasets;

public class UniSRecConverterTests
{
    [Fact]
    public void Scientific_converts_with_aligned_vectors_and_one_sequence_per_user()
    {
        string input = TestData.Shared("amazon-scientific");
        using var tmp = new TempFolder();
        var issues = new DataIssues();
        var summary = new UniSRecConverter().Convert(input, tmp.Path, issues);
        Assert.Equal(0, issues.Total);
        Assert.Equal("Scientific", summary.Name);
        Assert.Equal(1585, summary.Items);
        Assert.Equal(2928, summary.Users);
        Assert.Equal(summary.Events, summary.PositiveEvents);

        var (ds, items, events) = TestData.Load(tmp.Path);
        Assert.Equal(new Dictionary<string, int> { ["text"] = 512, ["image"] = 512 }, ds.Manifest.Features);
        // Positions, not times: dataset.json says so, and the split is made per user.
        Assert.Equal(DatasetManifest.OrdinalClock, ds.Manifest.Clock);
        Assert.Contains("\"clock\": \"ordinal\"", File.ReadAllText(Path.Combine(tmp.Path, CanonicalDataset.ManifestFile)));
        foreach (var m in new[] { "text", "image" })
            Assert.Equal(1585L * 512 * 4, new FileInfo(Path.Combine(tmp.Path, "features", m + ".f32")).Length);
        Assert.Equal(1585, items.Count);

        // Row i of items.tsv is item index i.
        var index = File.ReadLines(Path.Combine(input, "Scientific.item2index")).Select(l => l.Split('\t'))
            .ToDictionary(f => f[0], f => int.Parse(f[1]));
        for (int i = 0; i < items.Count; i++) Assert.Equal(i, index[items[i].ItemId]);
        Assert.Equal("B00O47ILVA", items[0].ItemId);
        var text = File.ReadLines(Path.Combine(input, "Scientific.text")).Skip(1).Select(l => l.Split('\t')).ToDictionary(f => f[0], f => f[1].Trim());
        Assert.Equal(text["B00O47ILVA"], items[0].Title);
        Assert.StartsWith("Gorilla Original Gorilla Glue", items[index["B0000223UV"]].Title);
        Assert.All(items, i => Assert.Empty(i.Attributes));

        // The vector of a specific item equals the raw file row for its index.
        var textVectors = ds.ReadFeatures("text", items.Count);
        var imageVectors = ds.ReadFeatures("image", items.Count);
        foreach (var (id, modality, file, converted) in new[] { ("B0000223UV", "text", "Scientific.feat1CLS", textVectors), ("B00VTVWJOE", "image", "Scientific.feat3CLS", imageVectors) })
        {
            int row = index[id];
            Assert.Equal(row, items.FindIndex(i => i.ItemId == id));
            var raw = new float[512];
            using (var s = File.OpenRead(Path.Combine(input, file)))
            {
                s.Seek((long)row * 512 * 4, SeekOrigin.Begin);
                s.ReadExactly(MemoryMarshal.AsBytes(raw.AsSpan()));
            }
            Assert.Equal(raw, converted.AsSpan(row * 512, 512).ToArray());
            Assert.Contains(raw, v => v != 0);
        }

        // Sequences: each user's events are the test row's history + target, in order, once.
        var users = File.ReadLines(Path.Combine(input, "Scientific.user2index")).Select(l => l.Split('\t')).ToDictionary(f => int.Parse(f[1]), f => f[0]);
        var ids = index.ToDictionary(kv => kv.Value, kv => kv.Key);
        var byUser = events.GroupBy(e => e.UserId).ToDictionary(g => g.Key, g => g.ToList());
        long expectedEvents = 0;
        foreach (var line in File.ReadLines(Path.Combine(input, "Scientific.test.inter")).Skip(1))
        {
            var f = line.Split('\t');
            var expected = f[1].Split(' ').Append(f[2]).Select(s => ids[int.Parse(s)]).ToList();
            var got = byUser[users[int.Parse(f[0])]];
            Assert.Equal(expected, got.Select(e => e.ItemId));
            Assert.Equal(Enumerable.Range(0, expected.Count).Select(i => (long)i), got.Select(e => e.Timestamp));
            expectedEvents += expected.Count;
        }
        Assert.Equal(expectedEvents, events.Count);
        Assert.Equal(19712, events.Count);
        // No event written twice (same user and position).
        Assert.Equal(events.Count, events.Select(e => (e.UserId, e.Timestamp)).Distinct().Count());
        Assert.All(events, e => { Assert.True(e.Label); Assert.Equal("", e.Query); });

        // User 0 (A1AXCV2WYDA4PD): train rows "0 -> 1", "0 1 -> 2", valid "0 1 2 -> 3", test "0 1 2 3 -> 4".
        Assert.Equal(new[] { 0, 1, 2, 3, 4 }.Select(i => ids[i]), byUser["A1AXCV2WYDA4PD"].Select(e => e.ItemId));
    }

    [Fact]
    public void Malformed_rows_are_counted_with_line_and_missing_files_throw_naming_the_file()
    {
        using var tmp = new TempFolder();
        string input = tmp.File("in");
        const string header = "user_id:token\titem_id_list:token_seq\titem_id:token\n";
        tmp.Write("in/toy.text", "item_id:token\ttext:token_seq\nA\tAlpha\nB\tBeta\nZ\tNot indexed\n");
        tmp.Write("in/toy.item2index", "A\t0\nB\t1\nC\t2\n");
        tmp.Write("in/toy.user2index", "U\t0\nV\t1\n");
        tmp.Write("in/toy.train.inter", header + "0\t0\t1\n0\tx\t1\n1\t0\n");  // line 3: bad index; line 4: 2 fields
        tmp.Write("in/toy.valid.inter", header + "0\t0 1\t2\n1\t0\t9\n");       // line 3: item 9 unknown
        tmp.Write("in/toy.test.inter", header + "0\t0 1 2\t0\n1\t2\t0\n");
        var floats = new float[3 * 2] { 1, 2, 3, 4, 5, 6 };
        File.WriteAllBytes(tmp.File("in/toy.feat1CLS"), MemoryMarshal.AsBytes(floats.AsSpan()).ToArray());
        File.WriteAllBytes(tmp.File("in/toy.feat3CLS"), new byte[7]);

        var bad = Assert.Throws<DatasetFormatException>(() => new UniSRecConverter().Convert(input, tmp.File("out0"), new DataIssues()));
        Assert.Contains("toy.feat3CLS", bad.Message);
        File.Delete(tmp.File("in/toy.feat3CLS"));

        var issues = new DataIssues();
        var summary = new UniSRecConverter().Convert(input, tmp.File("out"), issues);
        Assert.Equal(3, summary.Items);
        Assert.Equal(4 + 2, summary.Events);
        Assert.Equal(2, issues.Count(ConversionIssues.MalformedRow));
        Assert.Equal(1, issues.Count(ConversionIssues.UnknownIndex));
        Assert.Equal(1, issues.Count(ConversionIssues.TextForUnknownItem));
        Assert.Equal(1, issues.Count(ConversionIssues.MissingText));
        Assert.Equal(1, issues.Count(ConversionIssues.MissingFeatureFile));
        string all = issues.ToString();
        Assert.Contains("toy.train.inter:3:", all);
        Assert.Contains("toy.train.inter:4:", all);
        Assert.Contains("toy.valid.inter:3:", all);
        Assert.Contains("toy.text:4:", all);

        var (ds, items, events) = TestData.Load(tmp.File("out"));
        Assert.Equal(new[] { "A", "B", "C" }, items.Select(i => i.ItemId));
        Assert.Equal(new[] { "Alpha", "Beta", "" }, items.Select(i => i.Title));
        Assert.Equal(new float[] { 3, 4 }, ds.ReadFeatures("text", 3).AsSpan(2, 2).ToArray());
        Assert.Equal(new[] { "A", "B", "C", "A" }, events.Where(e => e.UserId == "U").Select(e => e.ItemId));
        Assert.Equal(new[] { "C", "A" }, events.Where(e => e.UserId == "V").Select(e => e.ItemId));

        File.Delete(tmp.File("in/toy.valid.inter"));
        var ex = Assert.Throws<DatasetFormatException>(() => new UniSRecConverter().Convert(input, tmp.File("out2"), new DataIssues()));
        Assert.Contains("toy.valid.inter", ex.Message);
    }
}
