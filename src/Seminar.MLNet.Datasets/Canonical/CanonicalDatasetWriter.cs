using System.Globalization;
using System.Runtime.InteropServices;

namespace Seminar.MLNet.Datasets.Canonical;

/// <summary>
/// Writes a canonical dataset folder row by row (nothing is held in memory). Declare modalities with
/// <see cref="AddFeature"/> before the first item; call <see cref="Complete"/> to write <c>dataset.json</c>.
/// Tabs and line breaks inside text fields are written as spaces, since they would break the TSV.
/// </summary>
public sealed class CanonicalDatasetWriter : IDisposable
{
    readonly string _folder;
    readonly DatasetManifest _manifest;
    readonly StreamWriter _items, _events;
    readonly Dictionary<string, FileStream> _features = new(StringComparer.Ordinal);
    bool _itemsStarted;

    /// <summary>Creates (or overwrites) the dataset files in <paramref name="folder"/>.</summary>
    public CanonicalDatasetWriter(string folder, string name)
    {
        _folder = folder;
        Directory.CreateDirectory(folder);
        _manifest = new DatasetManifest { Name = name };
        _items = new StreamWriter(Path.Combine(folder, CanonicalDataset.ItemsFile));
        _events = new StreamWriter(Path.Combine(folder, CanonicalDataset.EventsFile));
        _items.Write(string.Join('\t', CanonicalDataset.ItemColumns) + "\n");
        _events.Write(string.Join('\t', CanonicalDataset.EventColumns) + "\n");
    }

    /// <summary>
    /// What the events' timestamps mean (<see cref="DatasetManifest.TimeClock"/>, the default, or <see cref="DatasetManifest.OrdinalClock"/>
    /// for formats that only order each user's events), written to <c>dataset.json</c>.
    /// </summary>
    public string Clock
    {
        get => _manifest.Clock;
        set => _manifest.Clock = value is DatasetManifest.TimeClock or DatasetManifest.OrdinalClock ? value
            : throw new ArgumentException($"Unknown clock '{value}'; expected '{DatasetManifest.TimeClock}' or '{DatasetManifest.OrdinalClock}'.", nameof(value));
    }

    /// <summary>Number of items written.</summary>
    public int ItemCount { get; private set; }

    /// <summary>Number of events written.</summary>
    public long EventCount { get; private set; }

    /// <summary>Declares a modality of precomputed vectors with its dimension.</summary>
    public void AddFeature(string modality, int dimension)
    {
        if (_itemsStarted) throw new InvalidOperationException("Declare features before writing the first item.");
        if (dimension <= 0) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "Dimension must be positive.");
        if (_features.ContainsKey(modality)) throw new ArgumentException($"Feature '{modality}' is already declared.", nameof(modality));
        Directory.CreateDirectory(Path.Combine(_folder, CanonicalDataset.FeaturesFolder));
        _manifest.Features[modality] = dimension;
        _features[modality] = new FileStream(Path.Combine(_folder, CanonicalDataset.FeaturesFolder, modality + ".f32"), FileMode.Create);
    }

    /// <summary>
    /// Writes an item. <paramref name="features"/> must hold a vector of the declared dimension for every
    /// declared modality the item has; a modality the item lacks is written as zeros.
    /// </summary>
    public void WriteItem(string itemId, string title, IEnumerable<string> attributes, IReadOnlyDictionary<string, float[]>? features = null)
    {
        if (string.IsNullOrEmpty(itemId)) throw new ArgumentException("Item id must not be empty.", nameof(itemId));
        _itemsStarted = true;
        _items.Write(Clean(itemId));
        _items.Write('\t');
        _items.Write(Clean(title));
        _items.Write('\t');
        _items.Write(string.Join(' ', attributes.Select(a => Clean(a).Replace(' ', '_')).Where(a => a.Length > 0)));
        _items.Write('\n');
        foreach (var (modality, stream) in _features)
        {
            int dim = _manifest.Features[modality];
            if (features != null && features.TryGetValue(modality, out var v))
            {
                if (v.Length != dim) throw new ArgumentException($"Item '{itemId}': feature '{modality}' has {v.Length} values, declared {dim}.", nameof(features));
                stream.Write(MemoryMarshal.AsBytes(v.AsSpan()));
            }
            else stream.Write(new byte[dim * sizeof(float)]);
        }
        if (features != null)
            foreach (var k in features.Keys)
                if (!_features.ContainsKey(k)) throw new ArgumentException($"Item '{itemId}': feature '{k}' was not declared.", nameof(features));
        ItemCount++;
    }

    /// <summary>Writes an event.</summary>
    public void WriteEvent(in EventRecord e)
    {
        if (string.IsNullOrEmpty(e.UserId) || string.IsNullOrEmpty(e.ItemId)) throw new ArgumentException("User and item ids must not be empty.", nameof(e));
        _events.Write(Clean(e.UserId));
        _events.Write('\t');
        _events.Write(e.Timestamp.ToString(CultureInfo.InvariantCulture));
        _events.Write('\t');
        _events.Write(Clean(e.ItemId));
        _events.Write('\t');
        _events.Write(Clean(e.Query));
        _events.Write('\t');
        _events.Write(e.Label ? '1' : '0');
        _events.Write('\n');
        EventCount++;
    }

    /// <summary>Flushes every file and writes <c>dataset.json</c>.</summary>
    public void Complete()
    {
        _items.Flush();
        _events.Flush();
        foreach (var s in _features.Values) s.Flush();
        _manifest.Write(Path.Combine(_folder, CanonicalDataset.ManifestFile));
    }

    /// <summary>Closes the files; without <see cref="Complete"/> no manifest is written, so the folder does not open as a dataset.</summary>
    public void Dispose()
    {
        _items.Dispose();
        _events.Dispose();
        foreach (var s in _features.Values) s.Dispose();
    }

    static string Clean(string s) =>
        s.AsSpan().IndexOfAny('\t', '\n', '\r') < 0 ? s : s.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' ');
}
