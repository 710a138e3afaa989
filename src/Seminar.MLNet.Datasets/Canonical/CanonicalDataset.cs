using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Seminar.MLNet.Datasets.Canonical;

/// <summary>
/// A canonical dataset folder: <c>items.tsv</c>, <c>events.tsv</c>, optional <c>features/&lt;modality&gt;.f32</c>
/// and <c>dataset.json</c>. Readers stream line by line; bad rows are skipped and counted in
/// <see cref="DataIssues"/> with file and line, or thrown, as <see cref="Policy"/> says.
/// </summary>
public sealed class CanonicalDataset
{
    /// <summary>File name of the item catalog.</summary>
    public const string ItemsFile = "items.tsv";
    /// <summary>File name of the events.</summary>
    public const string EventsFile = "events.tsv";
    /// <summary>File name of the manifest.</summary>
    public const string ManifestFile = "dataset.json";
    /// <summary>Folder holding the modality vectors.</summary>
    public const string FeaturesFolder = "features";

    /// <summary>Header of <c>items.tsv</c>.</summary>
    public static readonly string[] ItemColumns = { "item_id", "title", "attributes" };
    /// <summary>Header of <c>events.tsv</c>.</summary>
    public static readonly string[] EventColumns = { "user_id", "timestamp", "item_id", "query", "label" };

    /// <summary>Issue kind: a row that could not be parsed and was skipped.</summary>
    public const string MalformedRow = "malformed row skipped";
    /// <summary>Issue kind: a second line for an item id; the first is kept.</summary>
    public const string DuplicateItem = "duplicate item id (first line kept)";
    /// <summary>Issue kind: an event whose item is not in items.tsv; the event is kept (out of catalog).</summary>
    public const string UnknownItem = "event item not in items.tsv (kept, no content)";

    CanonicalDataset(string folder, DatasetManifest manifest)
    {
        Folder = folder;
        Manifest = manifest;
    }

    /// <summary>The folder.</summary>
    public string Folder { get; }

    /// <summary>The parsed <c>dataset.json</c>.</summary>
    public DatasetManifest Manifest { get; }

    /// <summary>Path of <c>items.tsv</c>.</summary>
    public string ItemsPath => Path.Combine(Folder, ItemsFile);

    /// <summary>Path of <c>events.tsv</c>.</summary>
    public string EventsPath => Path.Combine(Folder, EventsFile);

    /// <summary>What readers do with a bad row. Default: skip and count.</summary>
    public BadRowPolicy Policy { get; init; } = BadRowPolicy.SkipAndCount;

    /// <summary>Opens a folder and checks that its files are present and its manifest valid.</summary>
    public static CanonicalDataset Open(string folder, BadRowPolicy policy = BadRowPolicy.SkipAndCount)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Dataset folder '{folder}' does not exist.");
        var manifest = DatasetManifest.Read(Path.Combine(folder, ManifestFile));
        foreach (var f in new[] { ItemsFile, EventsFile })
            if (!File.Exists(Path.Combine(folder, f)))
                throw new DatasetFormatException(Path.Combine(folder, f), 0, "missing; a canonical dataset folder needs it");
        foreach (var modality in manifest.Features.Keys)
        {
            string p = Path.Combine(folder, FeaturesFolder, modality + ".f32");
            if (!File.Exists(p)) throw new DatasetFormatException(p, 0, $"dataset.json declares feature '{modality}' but the file is missing");
        }
        return new CanonicalDataset(folder, manifest) { Policy = policy };
    }

    /// <summary>Streams the catalog. Duplicate ids are counted and only their first line is returned.</summary>
    public IEnumerable<ItemRecord> ReadItems(DataIssues issues) => ReadItemRows(issues, null).Select(r => r.Item);

    /// <summary>
    /// Reads the catalog once, by header names, with each kept item's vectors taken from its own line's row of every
    /// <c>features/&lt;modality&gt;.f32</c> (rows follow the non-empty lines of <c>items.tsv</c>, skipped and duplicate
    /// lines included, as the writer emits them). Problems are counted in <paramref name="issues"/> as in <see cref="ReadItems"/>.
    /// </summary>
    public ItemCatalog ReadCatalog(DataIssues issues)
    {
        var rowCount = new StrongBox<int>();
        var kept = ReadItemRows(issues, rowCount).ToArray();
        var features = new Dictionary<string, (int, float[])>(StringComparer.Ordinal);
        foreach (var (modality, dim) in Manifest.Features)
        {
            var all = ReadFeatures(modality, rowCount.Value);
            var values = new float[(long)kept.Length * dim];
            for (int i = 0; i < kept.Length; i++)
                Array.Copy(all, (long)kept[i].Row * dim, values, (long)i * dim, dim);
            features[modality] = (dim, values);
        }
        return new ItemCatalog(kept.Select(k => k.Item).ToArray(), kept.Select(k => k.Line).ToArray(), features);
    }

    IEnumerable<(int Line, int Row, ItemRecord Item)> ReadItemRows(DataIssues issues, StrongBox<int>? rowCount)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (line, row, fields) in ReadTsv(ItemsPath, ItemColumns, issues, rowCount))
        {
            string id = fields[0];
            if (id.Length == 0) { Bad(issues, ItemsPath, line, "empty item_id"); continue; }
            if (!seen.Add(id)) { issues.Add(DuplicateItem, ItemsPath, line, id); continue; }
            var attrs = fields[2].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            yield return (line, row, new ItemRecord(id, fields[1], attrs));
        }
    }

    /// <summary>
    /// Streams the events. When <paramref name="knownItems"/> is given, events whose item is absent
    /// are counted under <see cref="UnknownItem"/> and still returned.
    /// </summary>
    public IEnumerable<EventRecord> ReadEvents(DataIssues issues, IReadOnlySet<string>? knownItems = null)
    {
        foreach (var (line, _, f) in ReadTsv(EventsPath, EventColumns, issues, null))
        {
            if (f[0].Length == 0) { Bad(issues, EventsPath, line, "empty user_id"); continue; }
            if (!long.TryParse(f[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out long ts))
            { Bad(issues, EventsPath, line, $"timestamp '{f[1]}' is not an integer"); continue; }
            if (f[2].Length == 0) { Bad(issues, EventsPath, line, "empty item_id"); continue; }
            bool label;
            if (f[4] == "1") label = true;
            else if (f[4] == "0") label = false;
            else { Bad(issues, EventsPath, line, $"label '{f[4]}' is not 0 or 1"); continue; }
            if (knownItems != null && !knownItems.Contains(f[2])) issues.Add(UnknownItem, EventsPath, line, f[2]);
            yield return new EventRecord(f[0], ts, f[2], f[3], label);
        }
    }

    /// <summary>
    /// Reads one modality's vectors: <paramref name="itemCount"/> rows of the manifest's dimension,
    /// row i for line i of items.tsv (duplicates included, as the file has them). Throws when the file
    /// size does not match, or when a value is NaN or infinite (naming the row).
    /// </summary>
    public float[] ReadFeatures(string modality, int itemCount)
    {
        if (!Manifest.Features.TryGetValue(modality, out int dim))
            throw new ArgumentException($"Dataset '{Manifest.Name}' has no feature '{modality}'.", nameof(modality));
        string p = Path.Combine(Folder, FeaturesFolder, modality + ".f32");
        long expected = (long)itemCount * dim * sizeof(float);
        long actual = new FileInfo(p).Length;
        if (actual != expected)
            throw new DatasetFormatException(p, 0, $"{actual} bytes, expected {expected} ({itemCount} items x {dim} floats x 4 bytes)");
        var values = new float[(long)itemCount * dim];
        using (var s = File.OpenRead(p)) s.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Feature files are little-endian float32.");
        for (long i = 0; i < values.LongLength; i++)
            if (!float.IsFinite(values[i]))
                throw new DatasetFormatException(p, 0, $"row {i / dim} (line {i / dim + 2} of items.tsv) has a non-finite value at index {i % dim}");
        return values;
    }

    void Bad(DataIssues issues, string file, int line, string detail)
    {
        if (Policy == BadRowPolicy.Throw) throw new DatasetFormatException(file, line, detail);
        issues.Add(MalformedRow, file, line, detail);
    }

    /// <summary>
    /// Lines of a TSV file as fields in the order of <paramref name="columns"/>; checks the header. Row is the line's
    /// 0-based position among the non-empty data lines (the feature files' row); <paramref name="rowCount"/> receives
    /// their number once the file is read through.
    /// </summary>
    IEnumerable<(int Line, int Row, string[] Fields)> ReadTsv(string path, string[] columns, DataIssues issues, StrongBox<int>? rowCount)
    {
        using var reader = new StreamReader(path);
        string? header = reader.ReadLine();
        if (header == null) throw new DatasetFormatException(path, 1, $"empty file; expected a header with columns {string.Join(", ", columns)}");
        var names = header.TrimEnd('\r').Split('\t');
        var index = new int[columns.Length];
        for (int c = 0; c < columns.Length; c++)
        {
            index[c] = Array.IndexOf(names, columns[c]);
            if (index[c] < 0)
                throw new DatasetFormatException(path, 1, $"header lacks column '{columns[c]}' (found: {string.Join(", ", names)})");
        }
        int lineNo = 1, row = -1;
        string? text;
        while ((text = reader.ReadLine()) != null)
        {
            lineNo++;
            if (text.Length == 0) continue;
            row++;
            if (rowCount != null) rowCount.Value = row + 1;
            var parts = text.TrimEnd('\r').Split('\t');
            if (parts.Length != names.Length)
            {
                Bad(issues, path, lineNo, $"{parts.Length} fields, header has {names.Length}");
                continue;
            }
            var fields = new string[columns.Length];
            for (int c = 0; c < columns.Length; c++) fields[c] = parts[index[c]];
            yield return (lineNo, row, fields);
        }
    }
}
