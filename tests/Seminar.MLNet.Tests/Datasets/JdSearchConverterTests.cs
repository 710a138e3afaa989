using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Datasets.Converters;

using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Datasets;

public class JdSearchConverterTests
{
    [Fact]
    public void Jdsearch_sample_converts_with_real_queries_times_and_candidate_labels()
    {
        string input = TestData.Shared("jdsearch-sample");
        using var tmp = new TempFolder();
        var issues = new DataIssues();
        var summary = new JdSearchConverter().Convert(input, tmp.Path, issues);
        Assert.Equal(0, issues.Total);
        // 409 products; history 182 + 46 + 2 = 230 positives; candidates 90 + 89 + 83 = 262 with 1 + 2 + 2 positive.
        Assert.Equal(new ConversionSummary("jdsearch-sample", 409, 3, 492, 235, 0), summary);

        var (_, items, events) = TestData.Load(tmp.Path);
        Assert.Equal(409, items.Count);
        Assert.Equal(492, events.Count);
        Assert.Equal(new[] { "u2", "u3", "u4" }, events.Select(e => e.UserId).Distinct());

        // product line 2: wid 9227588, shop 76923113, cate_id_1 63959387, cate_id_2 98427937
        var first = items[0];
        Assert.Equal("9227588", first.ItemId);
        Assert.StartsWith("64817571 60257419 46968562 ", first.Title);
        Assert.DoesNotContain('\u0018', first.Title);
        Assert.Equal(new[] { "brand_81333812", "cate1_63959387", "cate2_98427937", "cate3_87842331", "cate4_26397670", "shop_76923113" }, first.Attributes);
        // The one product whose shop_id is -1 has no shop token.
        Assert.Single(items, i => !i.Attributes.Any(a => a.StartsWith("shop_", StringComparison.Ordinal)));

        var u2 = events.Where(e => e.UserId == "u2").ToList();
        Assert.Equal(182 + 90, u2.Count);
        // History entry 1: query -1 (browsing), wid 9227588, type ORD, interval 0 -> empty query at time 0.
        Assert.Equal(new EventRecord("u2", 0, "9227588", "", true), u2[0]);
        // History entry 5: wid 57364733 (CART), query "36547097^X60257419^X3663289", intervals 0,0,22967659,82448,432 -> 23050539.
        Assert.Equal("36547097 60257419 3663289", u2[4].Query);
        Assert.Equal("57364733", u2[4].ItemId);
        Assert.Equal(0L + 0 + 22967659 + 82448 + 432, u2[4].Timestamp);
        Assert.True(u2[4].Label);
        // Candidates: at the search time (sum of all 183 intervals), with the line's query; the first is the one clicked.
        var candidates = u2.Skip(182).ToList();
        Assert.All(candidates, c => Assert.Equal(30299133, c.Timestamp));
        Assert.All(candidates, c => Assert.Equal("63995226 60257419 61002446 25575117", c.Query));
        Assert.Equal(new EventRecord("u2", 30299133, "36098226", "63995226 60257419 61002446 25575117", true), candidates[0]);
        Assert.False(candidates[1].Label);
        Assert.Equal(1, candidates.Count(c => c.Label));
        // Histories are ordered in time.
        Assert.All(events.GroupBy(e => e.UserId), g => Assert.True(g.Select(e => e.Timestamp).SequenceEqual(g.Select(e => e.Timestamp).Order())));
        var u4 = events.Where(e => e.UserId == "u4").ToList();
        Assert.Equal(new long[] { 0, 27 }, u4.Take(2).Select(e => e.Timestamp));
        Assert.Equal(2, u4.Skip(2).Count(e => e.Label));
        Assert.All(u4.Skip(2), e => Assert.Equal(49687, e.Timestamp));
    }

    [Fact]
    public void Terms_replaces_0x18_and_maps_minus_one_to_empty()
    {
        Assert.Equal("1 22 333", JdSearchConverter.Terms("1\u001822\u0018333"));
        Assert.Equal("", JdSearchConverter.Terms("-1"));
    }

    const string ProductHeader = "wid\tname\tbrand_id\tbrand_name\tcate_id_1\tcate_name_1\tcate_id_2\tcate_name_2\tcate_id_3\tcate_name_3\tcate_id_4\tcate_name_4\tshop_id\n";
    const string BehaviourHeader = "query\tcandidate_wid_list\tcandidate_label_list\thistory_qry_list\thistory_wid_list\thistory_type_list\thistory_time_list\n";

    [Fact]
    public void Malformed_rows_are_counted_with_line_and_missing_files_throw_naming_the_file()
    {
        using var tmp = new TempFolder();
        string input = tmp.File("in");
        tmp.Write("in/" + JdSearchConverter.ProductFile, ProductHeader +
            "10\t1\u00182\t-1\t\t5\t\t6\t\t7\t\t8\t\t-1\n" +
            "11\t3\t4\n");                                                   // line 3: 3 fields
        tmp.Write("in/" + JdSearchConverter.BehaviourFile, BehaviourHeader +
            "7\u00188\t10_11\t1.0_0.0\t-1_9\t10_11\tCLICK_ORD\t0_5_7\n" +     // line 2: fine
            "7\t10\t1.0\t-1\t10\tCLICK\t0_x\n" +                               // line 3: bad interval
            "7\t10_11\t1.0\t-1\t10\tCLICK\t0_1\n" +                            // line 4: 2 candidates, 1 label
            "7\t10\tgood\t-1\t10\tLOOK\t0_1\n" +                               // line 5: bad label entry, unknown type (kept)
            "7\t10\n");                                                        // line 6: 2 fields
        var issues = new DataIssues();
        var summary = new JdSearchConverter().Convert(input, tmp.File("out"), issues);
        Assert.Equal(1, summary.Items);
        Assert.Equal(4 + 1, summary.Events); // line 2: 2 history + 2 candidates; line 5: 1 history
        Assert.Equal(5, summary.SkippedRows);
        Assert.Equal(4, issues.Count(ConversionIssues.MalformedRow));
        Assert.Equal(1, issues.Count(ConversionIssues.MalformedEntry));
        Assert.Equal(1, issues.Count(ConversionIssues.UnknownBehaviourType));
        string all = issues.ToString();
        foreach (var loc in new[] { "product_meta_data_sample.txt:3:", "user_behavior_data_sample.txt:3:", "user_behavior_data_sample.txt:4:", "user_behavior_data_sample.txt:5:", "user_behavior_data_sample.txt:6:" })
            Assert.Contains(loc, all);

        var (_, items, events) = TestData.Load(tmp.File("out"));
        Assert.Equal("1 2", items[0].Title);
        Assert.Equal(new[] { "cate1_5", "cate2_6", "cate3_7", "cate4_8" }, items[0].Attributes);
        Assert.Equal(new EventRecord("u2", 5, "11", "9", true), events[1]);
        Assert.Equal(new EventRecord("u2", 12, "11", "7 8", false), events[3]);

        File.Delete(Path.Combine(input, JdSearchConverter.ProductFile));
        var ex = Assert.Throws<DatasetFormatException>(() => new JdSearchConverter().Convert(input, tmp.File("out2"), new DataIssues()));
        Assert.Contains(JdSearchConverter.ProductFile, ex.Message);

        tmp.Write("in/" + JdSearchConverter.ProductFile, "wid\tname\n");
        var header = Assert.Throws<DatasetFormatException>(() => new JdSearchConverter().Convert(input, tmp.File("out3"), new DataIssues()));
        Assert.Contains(JdSearchConverter.ProductFile, header.Message);
        Assert.Contains("brand_id", header.Message);
    }
}
