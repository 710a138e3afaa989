using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seminar.MLNet.Datasets.Canonical;

/// <summary>The content of <c>dataset.json</c>: the dataset's name and its precomputed modality vectors.</summary>
public sealed class DatasetManifest
{
    /// <summary>Dataset name, used in reports.</summary>
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>Modality name to vector dimension; each has <c>features/&lt;modality&gt;.f32</c>.</summary>
    [JsonPropertyName("features")]
    public Dictionary<string, int> Features { get; set; } = new();

    /// <summary>The timestamp column's timestamps are real times.</summary>
    public const string TimeClock = "time";
    /// <summary>The timestamps only order each user's events (formats without time): splits are made per user.</summary>
    public const string OrdinalClock = "ordinal";

    /// <summary>
    /// What <c>events.tsv</c>'s timestamps mean: <see cref="TimeClock"/> (the default when absent) or <see cref="OrdinalClock"/>,
    /// written by converters of formats that only give each user's order.
    /// </summary>
    [JsonPropertyName("clock")]
    public string Clock { get; set; } = TimeClock;

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Reads and checks a manifest file.</summary>
    public static DatasetManifest Read(string path)
    {
        if (!File.Exists(path)) throw new DatasetFormatException(path, 0, "missing; a canonical dataset folder needs dataset.json");
        DatasetManifest? m;
        try { m = JsonSerializer.Deserialize<DatasetManifest>(File.ReadAllText(path)); }
        catch (JsonException e) { throw new DatasetFormatException(path, (int)(e.LineNumber ?? -1) + 1, "invalid JSON: " + e.Message); }
        if (m == null) throw new DatasetFormatException(path, 1, "empty manifest");
        m.Name ??= "";
        m.Features ??= new();
        m.Clock ??= TimeClock;
        if (m.Clock != TimeClock && m.Clock != OrdinalClock)
            throw new DatasetFormatException(path, 0, $"clock '{m.Clock}' is unknown; expected '{TimeClock}' or '{OrdinalClock}'");
        foreach (var (modality, dim) in m.Features)
        {
            if (dim <= 0) throw new DatasetFormatException(path, 0, $"feature '{modality}' has dimension {dim}; it must be positive");
            if (modality.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || modality.Length == 0)
                throw new DatasetFormatException(path, 0, $"feature name '{modality}' cannot be a file name");
        }
        return m;
    }

    /// <summary>Writes the manifest as indented JSON.</summary>
    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Indented));
}
