using Seminar.MLNet.Featurization;

namespace Seminar.MLNet;

/// <summary>
/// A string-to-index vocabulary with two reserved indices: <see cref="Padding"/> (0, never a real entry)
/// and <see cref="Unknown"/> (1, every string not in the vocabulary). Entries get indices 2.. in order of
/// decreasing count, ties broken by ordinal string order, so a vocabulary is the same on every machine.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>Index of padding positions.</summary>
    public const int Padding = 0;
    /// <summary>Index of out-of-vocabulary strings.</summary>
    public const int Unknown = 1;
    /// <summary>Number of reserved indices before the first entry.</summary>
    public const int Reserved = 2;

    // Not a dictionary: a request looks up every behaviour's item id, and over a large catalog the lookups of a whole
    // history at once (IndexOfEach) overlap their memory misses (see StringIndexTable).
    readonly StringIndexTable _index;

    /// <summary>Creates a vocabulary from entries in index order (entry i gets index i + <see cref="Reserved"/>).</summary>
    public Vocabulary(IReadOnlyList<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        Entries = entries.ToArray();
        _index = new StringIndexTable(Entries, Enumerable.Range(Reserved, Entries.Count).ToArray(), "Vocabulary entry");
    }

    /// <summary>Entries in index order; entry i has index i + <see cref="Reserved"/>.</summary>
    public IReadOnlyList<string> Entries { get; }

    /// <summary>Number of indices including the reserved ones (the size of an embedding table).</summary>
    public int Size => Entries.Count + Reserved;

    /// <summary>The index of a string, or <see cref="Unknown"/>.</summary>
    public int IndexOf(string value) => IndexOf(value.AsSpan());

    /// <summary>The index of a string, or <see cref="Unknown"/>, without allocating a string.</summary>
    public int IndexOf(ReadOnlySpan<char> value) => _index.TryGetValue(value, out int i) ? i : Unknown;

    /// <summary>True when the string has its own index.</summary>
    public bool Contains(string value) => _index.TryGetValue(value, out _);

    /// <summary><c>indices[i]</c> = <see cref="IndexOf(ReadOnlySpan{char})"/> of <c>values[i]</c> (a null string is the empty one), the lookups overlapped.</summary>
    internal void IndexOfEach(ReadOnlySpan<string?> values, Span<long> indices) => _index.GetEach(new StringKeys(values), indices, Unknown);

    /// <summary><c>indices[i]</c> = <see cref="IndexOf(ReadOnlySpan{char})"/> of <c>values[i]</c>, the lookups overlapped.</summary>
    internal void IndexOfEach(ReadOnlySpan<ReadOnlyMemory<char>> values, Span<long> indices) => _index.GetEach(new MemoryKeys(values), indices, Unknown);

    /// <summary>
    /// Builds a vocabulary from counts: entries seen at least <paramref name="minCount"/> times, the
    /// <paramref name="maxSize"/> most frequent kept (0 = no limit). <paramref name="always"/> entries are
    /// kept whatever their count (e.g. catalog item ids), ahead of counted ones.
    /// </summary>
    public static Vocabulary FromCounts(IReadOnlyDictionary<string, long> counts, int minCount, int maxSize, IEnumerable<string>? always = null)
    {
        if (minCount < 1) throw new ArgumentOutOfRangeException(nameof(minCount), minCount, "Minimum count must be at least 1.");
        if (maxSize < 0) throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize, "Maximum size must be 0 (no limit) or positive.");
        var fixedEntries = (always ?? Array.Empty<string>()).Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var fixedSet = fixedEntries.ToHashSet(StringComparer.Ordinal);
        var counted = counts.Where(kv => kv.Key.Length > 0 && kv.Value >= minCount && !fixedSet.Contains(kv.Key))
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key);
        var entries = fixedEntries.Concat(counted);
        if (maxSize > 0) entries = entries.Take(maxSize);
        return new Vocabulary(entries.ToList());
    }
}
