namespace Seminar.MLNet.Datasets.Canonical;

/// <summary>How a reader treats a row it cannot use.</summary>
public enum BadRowPolicy
{
    /// <summary>Skip the row and count it in <see cref="DataIssues"/> with its file and line.</summary>
    SkipAndCount,
    /// <summary>Throw a <see cref="DatasetFormatException"/> naming the file and line.</summary>
    Throw,
}

/// <summary>
/// Counted warnings about input rows: nothing is dropped or altered without being counted here,
/// and the first few locations of each kind are kept so a user can look at them.
/// </summary>
public sealed class DataIssues
{
    readonly Dictionary<string, (int Count, List<string> Examples)> _byKind = new(StringComparer.Ordinal);
    readonly object _gate = new();

    /// <summary>How many locations of each kind are kept as examples.</summary>
    public int ExamplesPerKind { get; init; } = 5;

    /// <summary>Records one occurrence of a kind of issue at a file and line.</summary>
    public void Add(string kind, string file, int line, string detail)
    {
        lock (_gate)
        {
            if (!_byKind.TryGetValue(kind, out var entry)) entry = (0, new List<string>());
            if (entry.Examples.Count < ExamplesPerKind) entry.Examples.Add($"{Path.GetFileName(file)}:{line}: {detail}");
            _byKind[kind] = (entry.Count + 1, entry.Examples);
        }
    }

    /// <summary>How many times a kind of issue occurred.</summary>
    public int Count(string kind)
    {
        lock (_gate) return _byKind.TryGetValue(kind, out var e) ? e.Count : 0;
    }

    /// <summary>Total issues of every kind.</summary>
    public int Total
    {
        get { lock (_gate) return _byKind.Values.Sum(e => e.Count); }
    }

    /// <summary>Each kind with its count and first examples, most frequent first.</summary>
    public IReadOnlyList<(string Kind, int Count, IReadOnlyList<string> Examples)> Summary()
    {
        lock (_gate)
            return _byKind.OrderByDescending(kv => kv.Value.Count)
                .Select(kv => (kv.Key, kv.Value.Count, (IReadOnlyList<string>)kv.Value.Examples.ToArray())).ToArray();
    }

    /// <summary>One line per kind: "count x kind (e.g. file:line: detail)".</summary>
    public override string ToString() =>
        string.Join(Environment.NewLine, Summary().Select(s => $"{s.Count} x {s.Kind} (e.g. {string.Join("; ", s.Examples)})"));
}
