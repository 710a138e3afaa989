using Seminar.MLNet.Datasets.Canonical;

namespace Seminar.MLNet.Datasets.Converters;

/// <summary>
/// Wraps a <see cref="CanonicalDatasetWriter"/> and keeps the counts of a <see cref="ConversionSummary"/>:
/// items, distinct users, events, positives and skipped rows (each skip is also recorded in the issues).
/// </summary>
internal sealed class ConversionOutput : IDisposable
{
    readonly CanonicalDatasetWriter _writer;
    readonly HashSet<string> _users = new(StringComparer.Ordinal);
    readonly DataIssues _issues;
    long _positives;
    int _skipped;

    public ConversionOutput(string outputFolder, string name, DataIssues issues, string clock = DatasetManifest.TimeClock)
    {
        Name = name;
        _issues = issues;
        _writer = new CanonicalDatasetWriter(outputFolder, name) { Clock = clock };
    }

    public string Name { get; }

    public void AddFeature(string modality, int dimension) => _writer.AddFeature(modality, dimension);

    public void Item(string id, string title, IEnumerable<string> attributes, IReadOnlyDictionary<string, float[]>? features = null) =>
        _writer.WriteItem(id, title, attributes, features);

    public void Event(string user, long timestamp, string item, string query, bool label)
    {
        _writer.WriteEvent(new EventRecord(user, timestamp, item, query, label));
        _users.Add(user);
        if (label) _positives++;
    }

    /// <summary>Records a skipped row (or entry) under <paramref name="kind"/> and counts it.</summary>
    public void Skip(string kind, string file, int line, string detail)
    {
        _issues.Add(kind, file, line, detail);
        _skipped++;
    }

    /// <summary>Records an issue that did not skip anything.</summary>
    public void Note(string kind, string file, int line, string detail) => _issues.Add(kind, file, line, detail);

    public ConversionSummary Complete()
    {
        _writer.Complete();
        return new ConversionSummary(Name, _writer.ItemCount, _users.Count, _writer.EventCount, _positives, _skipped);
    }

    public void Dispose() => _writer.Dispose();
}
