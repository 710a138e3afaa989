using System.Globalization;
using System.Text.Json;
using Seminar.MLNet.Datasets.Canonical;

namespace Seminar.MLNet.Datasets.Converters;

/// <summary>
/// Converts the processed data of S3-Rec (CIKM 2020): <c>&lt;name&gt;.txt</c>, one line per user
/// <c>user_id item_id item_id ...</c> (oldest first), and <c>&lt;name&gt;_item2attributes.json</c>,
/// <c>{"&lt;item_id&gt;": [attribute_id, ...]}</c>. The dataset name is given, since one folder of the published
/// release holds several datasets (and files such as <c>&lt;name&gt;_sample.txt</c> that are not sequences).
/// </summary>
/// <remarks>
/// <para>Items: every item of the attribute file and every item of the sequences, in ascending id order; the
/// published files list the same items in both, so an item only in the sequences is written without attributes
/// and counted as <see cref="ConversionIssues.MissingAttributes"/>. The format has no text, so titles are empty.
/// Attributes are the attribute ids prefixed with <c>a</c> (<c>a123</c>), tokens of their own rather than numbers
/// that could be mistaken for item ids.</para>
/// <para>Events: every interaction is positive (label 1) with an empty query; its timestamp is its 0-based
/// position in the user's sequence, so <c>dataset.json</c> says <c>"clock": "ordinal"</c>. Ids must be positive
/// integers (written without leading zeros or signs). A line that is empty, has an id that is not a positive
/// integer, or names a user without items is skipped whole (dropping one entry would shift the positions after
/// it); a second line for a user is skipped as a duplicate.</para>
/// </remarks>
public sealed class S3RecConverter : IDatasetConverter
{
    /// <summary>The format name, <c>s3rec</c>.</summary>
    public const string FormatName = "s3rec";

    /// <summary>Suffix of the sequence file after the dataset name.</summary>
    public const string SequenceSuffix = ".txt";

    /// <summary>Suffix of the attribute file after the dataset name.</summary>
    public const string AttributeSuffix = "_item2attributes.json";

    /// <summary>Prefix that turns an attribute id into an attribute token.</summary>
    public const string AttributePrefix = "a";

    /// <summary>Creates the converter for the dataset <paramref name="name"/> (the stem of <c>&lt;name&gt;.txt</c>).</summary>
    /// <param name="name">
    /// The dataset name, for example <c>Toys_and_Games</c>; when null or blank, <see cref="Convert"/> fails and lists
    /// the names the input folder holds.
    /// </param>
    public S3RecConverter(string? name = null) => Name = string.IsNullOrWhiteSpace(name) ? null : name.Trim();

    /// <summary>The dataset name: the stem of the input files and the name written to <c>dataset.json</c>.</summary>
    public string? Name { get; }

    /// <inheritdoc/>
    public string Format => FormatName;

    /// <inheritdoc/>
    public ConversionSummary Convert(string inputFolder, string outputFolder, DataIssues issues)
    {
        InputFiles.RequireFolder(inputFolder);
        if (Name == null)
            throw new DatasetFormatException(inputFolder, 0, $"the s3rec format needs a dataset name, the NAME of NAME{SequenceSuffix} (--name NAME); {Available(inputFolder)}");
        string sequencePath = Path.Combine(inputFolder, Name + SequenceSuffix);
        if (!File.Exists(sequencePath)) throw new DatasetFormatException(sequencePath, 0, $"missing; {Available(inputFolder)}");
        string attributePath = InputFiles.Require(inputFolder, Name + AttributeSuffix);

        using var output = new ConversionOutput(outputFolder, Name, issues, DatasetManifest.OrdinalClock);
        var attributes = ReadAttributes(attributePath, output);
        var sequenceItems = WriteEvents(sequencePath, output);
        var ids = new SortedSet<int>(attributes.Keys);
        ids.UnionWith(sequenceItems);
        foreach (int id in ids)
        {
            string item = id.ToString(CultureInfo.InvariantCulture);
            if (!attributes.TryGetValue(id, out var tokens))
            {
                output.Note(ConversionIssues.MissingAttributes, attributePath, 0, $"item {item}");
                tokens = Array.Empty<string>();
            }
            output.Item(item, "", tokens);
        }
        return output.Complete();
    }

    /// <summary>The dataset names in a folder: stems that have both a sequence and an attribute file.</summary>
    static string Available(string folder)
    {
        var names = Directory.EnumerateFiles(folder, "*" + AttributeSuffix)
            .Select(p => Path.GetFileName(p)[..^AttributeSuffix.Length])
            .Where(n => n.Length > 0 && File.Exists(Path.Combine(folder, n + SequenceSuffix)))
            .OrderBy(n => n, StringComparer.Ordinal).ToArray();
        return names.Length == 0
            ? $"the folder holds no NAME{SequenceSuffix} with a NAME{AttributeSuffix} beside it"
            : $"datasets in the folder: {string.Join(", ", names)}";
    }

    /// <summary>Attribute tokens by item id; an unusable item is skipped, an unusable attribute id dropped from its item.</summary>
    static Dictionary<int, string[]> ReadAttributes(string path, ConversionOutput output)
    {
        JsonDocument doc;
        try
        {
            // JsonDocument checks structure but not the UTF-8 of names, which would fail later, mid-way, as an
            // InvalidOperationException; check the text first so a damaged file is a format error with its line.
            doc = JsonDocument.Parse(InputFiles.ReadUtf8(path));
        }
        catch (JsonException e)
        {
            throw new DatasetFormatException(path, (int)(e.LineNumber ?? -1) + 1, "not valid JSON: " + e.Message);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new DatasetFormatException(path, 0, $"expected an object {{\"<item_id>\": [attribute_id, ...]}}, found {doc.RootElement.ValueKind}");
            var byItem = new Dictionary<int, string[]>();
            var tokens = new List<string>();
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (!TryId(entry.Name, out int item)) { output.Skip(ConversionIssues.MalformedRow, path, 0, $"item id \"{entry.Name}\" is not a positive integer"); continue; }
                if (entry.Value.ValueKind != JsonValueKind.Array)
                { output.Skip(ConversionIssues.MalformedRow, path, 0, $"item {item}: attributes are {entry.Value.ValueKind}, not a list"); continue; }
                if (byItem.ContainsKey(item)) { output.Skip(ConversionIssues.DuplicateId, path, 0, $"item {item}"); continue; }
                tokens.Clear();
                foreach (var a in entry.Value.EnumerateArray())
                {
                    if (a.ValueKind == JsonValueKind.Number && a.TryGetInt32(out int attribute) && attribute >= 0)
                        tokens.Add(AttributePrefix + attribute.ToString(CultureInfo.InvariantCulture));
                    else output.Skip(ConversionIssues.MalformedEntry, path, 0, $"item {item}: attribute {a.GetRawText()} is not a non-negative integer");
                }
                byItem[item] = tokens.ToArray();
            }
            return byItem;
        }
    }

    /// <summary>Writes each user's line as events at positions 0, 1, 2...; returns the item ids seen.</summary>
    static HashSet<int> WriteEvents(string path, ConversionOutput output)
    {
        var items = new HashSet<int>();
        var users = new HashSet<int>();
        var sequence = new List<int>();
        char[] separators = { ' ', '\t' };
        foreach (var (line, text) in InputFiles.Lines(path, includeEmpty: true))
        {
            var f = text.Split(separators, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 0) { output.Skip(ConversionIssues.MalformedRow, path, line, "empty line"); continue; }
            if (!TryId(f[0], out int user)) { output.Skip(ConversionIssues.MalformedRow, path, line, $"user id '{f[0]}' is not a positive integer"); continue; }
            if (f.Length == 1) { output.Skip(ConversionIssues.MalformedRow, path, line, $"user {user} has no items"); continue; }
            sequence.Clear();
            string? bad = null;
            for (int i = 1; i < f.Length && bad == null; i++)
            {
                if (TryId(f[i], out int item)) sequence.Add(item);
                else bad = f[i];
            }
            if (bad != null) { output.Skip(ConversionIssues.MalformedRow, path, line, $"user {user}: item id '{bad}' is not a positive integer"); continue; }
            if (!users.Add(user)) { output.Skip(ConversionIssues.DuplicateId, path, line, $"user {user}"); continue; }
            string userId = user.ToString(CultureInfo.InvariantCulture);
            for (int pos = 0; pos < sequence.Count; pos++)
            {
                output.Event(userId, pos, sequence[pos].ToString(CultureInfo.InvariantCulture), "", true);
                items.Add(sequence[pos]);
            }
        }
        return items;
    }

    static bool TryId(string s, out int id) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id > 0;
}
