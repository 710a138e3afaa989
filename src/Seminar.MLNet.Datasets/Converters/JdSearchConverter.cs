using System.Globalization;
using Seminar.MLNet.Datasets.Canonical;

namespace Seminar.MLNet.Datasets.Converters;

/// <summary>
/// Converts the JDsearch personalized product search files <c>product_meta_data_sample.txt</c> (items) and
/// <c>user_behavior_data_sample.txt</c> (one user per line); the dataset name is the input folder's name.
/// </summary>
/// <remarks>
/// <para>Items: id = <c>wid</c>; title = the <c>name</c> term ids joined by single spaces; attributes
/// <c>brand_&lt;brand_id&gt;</c>, <c>cate1_&lt;cate_id_1&gt;</c> .. <c>cate4_&lt;cate_id_4&gt;</c> and
/// <c>shop_&lt;shop_id&gt;</c>, leaving out empty and <c>-1</c> values.</para>
/// <para>Users: each line of the behaviour file is one user with id <c>u&lt;line number in the file&gt;</c> (the
/// header is line 1, so the first user is <c>u2</c>). Lists are joined by <c>_</c>; a query's term ids are joined
/// by byte 0x18, which becomes a space; a history query of <c>-1</c> (browsing) becomes the empty query.</para>
/// <para>Time: <c>history_time_list</c> holds intervals in seconds, each since the previous behaviour (the first
/// is 0), and is one longer than the history because its last entry leads to the test search. Timestamps are
/// therefore the running sums: behaviour i is at the sum of intervals 0..i, and the search at the sum of all.</para>
/// <para>Events: every history behaviour (CLICK, CART, ORD, FLW) is a positive event with its own query; each
/// candidate of the test search is an event at the search time with the line's query, positive when its graded
/// label (0 none, 1 click, 2 cart, 3 purchase) is above 0.</para>
/// </remarks>
public sealed class JdSearchConverter : IDatasetConverter
{
    /// <summary>The format name, <c>jdsearch</c>.</summary>
    public const string FormatName = "jdsearch";

    /// <summary>Item file name.</summary>
    public const string ProductFile = "product_meta_data_sample.txt";

    /// <summary>Behaviour file name.</summary>
    public const string BehaviourFile = "user_behavior_data_sample.txt";

    /// <summary>Separator of term ids inside a query or name (byte 0x18).</summary>
    public const char TermSeparator = '\u0018';

    static readonly string[] KnownTypes = { "CLICK", "CART", "ORD", "FLW" };
    static readonly string[] BehaviourColumns =
        { "query", "candidate_wid_list", "candidate_label_list", "history_qry_list", "history_wid_list", "history_type_list", "history_time_list" };

    /// <inheritdoc/>
    public string Format => FormatName;

    /// <inheritdoc/>
    public ConversionSummary Convert(string inputFolder, string outputFolder, DataIssues issues)
    {
        InputFiles.RequireFolder(inputFolder);
        string productPath = InputFiles.Require(inputFolder, ProductFile);
        string behaviourPath = InputFiles.Require(inputFolder, BehaviourFile);
        var product = Columns(productPath, new[] { "wid", "name", "brand_id", "cate_id_1", "cate_id_2", "cate_id_3", "cate_id_4", "shop_id" }, out int productWidth);
        var behaviour = Columns(behaviourPath, BehaviourColumns, out int behaviourWidth);
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(inputFolder)));

        using var output = new ConversionOutput(outputFolder, name, issues);
        WriteItems(productPath, product, productWidth, output);
        WriteEvents(behaviourPath, behaviour, behaviourWidth, output);
        return output.Complete();
    }

    /// <summary>Turns a JDsearch term-id list (joined by 0x18) into space-separated terms; <c>-1</c> becomes empty.</summary>
    public static string Terms(string raw)
    {
        raw = raw.Trim();
        if (raw == "-1") return "";
        return string.Join(' ', raw.Split(TermSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    static int[] Columns(string path, string[] required, out int width)
    {
        var names = InputFiles.Header(path, string.Join("\t", required));
        width = names.Length;
        var index = new int[required.Length];
        for (int i = 0; i < required.Length; i++)
        {
            index[i] = Array.IndexOf(names, required[i]);
            if (index[i] < 0) throw new DatasetFormatException(path, 1, $"header lacks column '{required[i]}' (found: {string.Join(", ", names)})");
        }
        return index;
    }

    static void WriteItems(string path, int[] col, int width, ConversionOutput output)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string[] prefixes = { "brand_", "cate1_", "cate2_", "cate3_", "cate4_", "shop_" };
        var attrs = new List<string>(6);
        foreach (var (line, text) in InputFiles.Lines(path, skip: 1))
        {
            var f = text.Split('\t');
            if (f.Length != width) { output.Skip(ConversionIssues.MalformedRow, path, line, $"{f.Length} fields, header has {width}"); continue; }
            string wid = f[col[0]].Trim();
            if (wid.Length == 0 || wid == "-1") { output.Skip(ConversionIssues.MalformedRow, path, line, $"wid '{wid}' is not an id"); continue; }
            if (!seen.Add(wid)) { output.Skip(ConversionIssues.DuplicateId, path, line, wid); continue; }
            attrs.Clear();
            for (int a = 0; a < prefixes.Length; a++)
            {
                string v = f[col[a + 2]].Trim();
                if (v.Length > 0 && v != "-1") attrs.Add(prefixes[a] + v);
            }
            output.Item(wid, Terms(f[col[1]]), attrs);
        }
    }

    static void WriteEvents(string path, int[] col, int width, ConversionOutput output)
    {
        foreach (var (line, text) in InputFiles.Lines(path, skip: 1))
        {
            var f = text.Split('\t');
            if (f.Length != width) { output.Skip(ConversionIssues.MalformedRow, path, line, $"{f.Length} fields, header has {width}"); continue; }
            var cands = List(f[col[1]]);
            var labels = List(f[col[2]]);
            var queries = List(f[col[3]]);
            var wids = List(f[col[4]]);
            var types = List(f[col[5]]);
            var times = List(f[col[6]]);
            if (labels.Length != cands.Length)
            { output.Skip(ConversionIssues.MalformedRow, path, line, $"{cands.Length} candidates but {labels.Length} labels"); continue; }
            if (queries.Length != wids.Length || types.Length != wids.Length || times.Length != wids.Length + 1)
            {
                output.Skip(ConversionIssues.MalformedRow, path, line,
                    $"history lists disagree: {queries.Length} queries, {wids.Length} wids, {types.Length} types, {times.Length} times (expected wids + 1)");
                continue;
            }
            var at = new long[times.Length];
            long clock = 0;
            string? badTime = null;
            for (int i = 0; i < times.Length; i++)
            {
                if (!long.TryParse(times[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out long dt) || dt < 0 || dt > long.MaxValue - clock)
                { badTime = times[i]; break; }
                clock += dt;
                at[i] = clock;
            }
            if (badTime != null) { output.Skip(ConversionIssues.MalformedRow, path, line, $"time interval '{badTime}' is not a non-negative integer"); continue; }

            string user = "u" + line.ToString(CultureInfo.InvariantCulture);
            for (int i = 0; i < wids.Length; i++)
            {
                if (wids[i].Length == 0 || wids[i] == "-1") { output.Skip(ConversionIssues.MalformedEntry, path, line, $"history entry {i + 1}: wid '{wids[i]}' is not an id"); continue; }
                if (Array.IndexOf(KnownTypes, types[i]) < 0) output.Note(ConversionIssues.UnknownBehaviourType, path, line, $"history entry {i + 1}: type '{types[i]}'");
                output.Event(user, at[i], wids[i], Terms(queries[i]), true);
            }
            string query = Terms(f[col[0]]);
            long searchTime = at[^1];
            for (int i = 0; i < cands.Length; i++)
            {
                if (cands[i].Length == 0 || cands[i] == "-1") { output.Skip(ConversionIssues.MalformedEntry, path, line, $"candidate {i + 1}: wid '{cands[i]}' is not an id"); continue; }
                if (!RecBoleConverter.TryNumber(labels[i], out double grade))
                { output.Skip(ConversionIssues.MalformedEntry, path, line, $"candidate {i + 1}: label '{labels[i]}' is not a number"); continue; }
                output.Event(user, searchTime, cands[i], query, grade > 0);
            }
        }
    }

    static string[] List(string field)
    {
        field = field.Trim();
        return field.Length == 0 ? Array.Empty<string>() : field.Split('_', StringSplitOptions.TrimEntries);
    }
}
