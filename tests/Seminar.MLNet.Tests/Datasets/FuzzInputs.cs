using System.Text;
using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Datasets.Converters;
using Seminar.MLNet.Evaluation.Protocol;

namespace Seminar.MLNet.Tests.Datasets;

/// <summary>
/// Small valid inputs of every reader the fuzz test mutates, each with the run that reads them: a name, its files
/// (path relative to the input folder -> bytes) and the action on an input and an output folder.
/// </summary>
internal sealed record FuzzTarget(string Name, IReadOnlyDictionary<string, byte[]> Files, Func<string, string, DataIssues, FuzzOutcome> Run)
{
    public override string ToString() => Name;
}

/// <summary>What a run that did not throw produced: rows kept and rows counted as skipped.</summary>
internal readonly record struct FuzzOutcome(long Kept, long Skipped);

internal static class FuzzInputs
{
    public static IEnumerable<FuzzTarget> All() => new[] { Canonical(), RecBole(), UniSRec(), S3Rec(), JdSearch() };

    public static FuzzTarget Get(string name) => All().Single(t => t.Name == name);

    static byte[] Text(string s) => Encoding.UTF8.GetBytes(s);
    static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    /// <summary>A canonical folder read as <c>evaluate</c> reads it: manifest, catalog with vectors, events, event log.</summary>
    static FuzzTarget Canonical() => new("canonical", new Dictionary<string, byte[]>
    {
        [CanonicalDataset.ManifestFile] = Text("{\n  \"name\": \"fz\",\n  \"features\": {\n    \"image\": 2\n  },\n  \"clock\": \"time\"\n}\n"),
        [CanonicalDataset.ItemsFile] = Text("item_id\ttitle\tattributes\nx\tred shoe\tcat_shoe brand_a\ny\tblue shoe\tcat_shoe\nz\tgreen hat\tcat_hat brand_a\nw\t\t\n"),
        [CanonicalDataset.EventsFile] = Text("user_id\ttimestamp\titem_id\tquery\tlabel\na\t10\tx\t\t1\na\t20\ty\tshoe\t0\na\t20\tz\that\t1\nb\t15\tz\t\t1\na\t30\tx\tred shoe\t1\nb\t95\tx\t\t1\na\t100\tw\t\t0\n"),
        [Path.Combine(CanonicalDataset.FeaturesFolder, "image.f32")] = Floats(1, 2, 3, 4, 5, 6, 7, 8),
    }, (input, unusedOutput, issues) =>
    {
        var dataset = CanonicalDataset.Open(input);
        var catalog = dataset.ReadCatalog(issues);
        var known = catalog.Items.Select(i => i.ItemId).ToHashSet(StringComparer.Ordinal);
        long events = dataset.ReadEvents(issues, known).LongCount();
        if (new CatalogDataView(catalog).GetRowCount() != catalog.Items.Count) throw new InvalidOperationException("catalog view lost rows");
        var log = EventLog.Load(dataset);
        if (log.Count != events) throw new InvalidOperationException($"event log holds {log.Count} events, the reader returned {events}");
        // Strict mode must stop at the first bad row with the same exception type, not crash on it.
        try
        {
            var strict = CanonicalDataset.Open(input, BadRowPolicy.Throw);
            strict.ReadCatalog(new DataIssues());
            strict.ReadEvents(new DataIssues()).Count();
        }
        catch (DatasetFormatException) when (issues.Count(CanonicalDataset.MalformedRow) > 0)
        {
        }
        return new FuzzOutcome(catalog.Items.Count + events, issues.Count(CanonicalDataset.MalformedRow) + issues.Count(CanonicalDataset.DuplicateItem));
    });

    static FuzzTarget RecBole() => new("recbole", new Dictionary<string, byte[]>
    {
        ["toy.inter"] = Text("user_id:token\titem_id:token\trating:float\ttimestamp:float\nu1\ti1\t2\t10.7\nu1\ti2\t5\t11\nu2\ti1\t5\t12\nu2\ti3\t4\t13\nu3\ti2\t1\t9\n"),
        ["toy.item"] = Text("item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\ni1\tFirst thing\t1995\tAction Comedy\ni2\tSecond\t\tDrama\ni3\tThird one\t2001\t\n"),
    }, Convert(new RecBoleConverter()));

    static FuzzTarget UniSRec()
    {
        const string header = "user_id:token\titem_id_list:token_seq\titem_id:token\n";
        return new("unisrec", new Dictionary<string, byte[]>
        {
            ["toy.text"] = Text("item_id:token\ttext:token_seq\nA\tAlpha one\nB\tBeta\nC\tGamma ray\n"),
            ["toy.item2index"] = Text("A\t0\nB\t1\nC\t2\n"),
            ["toy.user2index"] = Text("U\t0\nV\t1\n"),
            ["toy.train.inter"] = Text(header + "0\t0\t1\n1\t2\t0\n"),
            ["toy.valid.inter"] = Text(header + "0\t0 1\t2\n1\t2 0\t1\n"),
            ["toy.test.inter"] = Text(header + "0\t0 1 2\t0\n1\t2 0 1\t2\n"),
            ["toy.feat1CLS"] = Floats(1, 2, 3, 4, 5, 6),
            ["toy.feat3CLS"] = Floats(0.5f, -1, 2),
        }, Convert(new UniSRecConverter()));
    }

    static FuzzTarget S3Rec() => new("s3rec", new Dictionary<string, byte[]>
    {
        ["toy.txt"] = Text("1 3 1 2\n2 1 2 3 4\n3 4 4 1\n"),
        ["toy_item2attributes.json"] = Text("{\"1\": [10, 11], \"2\": [], \"3\": [12], \"4\": [13, 10]}"),
    }, Convert(new S3RecConverter("toy")));

    static FuzzTarget JdSearch() => new("jdsearch", new Dictionary<string, byte[]>
    {
        [JdSearchConverter.ProductFile] = Text("wid\tname\tbrand_id\tbrand_name\tcate_id_1\tcate_name_1\tcate_id_2\tcate_name_2\tcate_id_3\tcate_name_3\tcate_id_4\tcate_name_4\tshop_id\n" +
            "10\t1\u00182\t-1\t\t5\t\t6\t\t7\t\t8\t\t-1\n11\t3\t4\t\t5\t\t\t\t\t\t\t\t9\n12\t4\u00185\t4\t\t-1\t\t\t\t\t\t\t\t9\n"),
        [JdSearchConverter.BehaviourFile] = Text("query\tcandidate_wid_list\tcandidate_label_list\thistory_qry_list\thistory_wid_list\thistory_type_list\thistory_time_list\n" +
            "7\u00188\t10_11\t1.0_0.0\t-1_9\t10_11\tCLICK_ORD\t0_5_7\n" +
            "3\t12_10_11\t0_2_0\t4\u00185_-1_-1\t12_11_10\tCART_FLW_CLICK\t0_1_2_3\n"),
    }, Convert(new JdSearchConverter()));

    /// <summary>
    /// Runs a converter, then reads what it wrote strictly: a conversion that succeeds must leave a canonical folder that
    /// reads back without a single bad row, with the counts of its summary.
    /// </summary>
    static Func<string, string, DataIssues, FuzzOutcome> Convert(IDatasetConverter converter) => (input, output, issues) =>
    {
        var summary = converter.Convert(input, output, issues);
        if (issues.Total < summary.SkippedRows) throw new InvalidOperationException($"{summary.SkippedRows} rows skipped but only {issues.Total} issues counted");
        var readBack = new DataIssues();
        int items;
        long events;
        try
        {
            var dataset = CanonicalDataset.Open(output, BadRowPolicy.Throw);
            items = dataset.ReadCatalog(readBack).Items.Count;
            events = dataset.ReadEvents(readBack).LongCount();
        }
        catch (DatasetFormatException e)
        {
            // The input was accepted, so this is the converter's fault, not a format error of the input.
            throw new InvalidOperationException("the converted folder does not read back: " + e.Message, e);
        }
        if (readBack.Total != 0 || items != summary.Items || events != summary.Events)
            throw new InvalidOperationException($"converted folder reads back as {items} items, {events} events ({readBack}); summary says {summary}");
        return new FuzzOutcome(items + events, summary.SkippedRows);
    };
}
