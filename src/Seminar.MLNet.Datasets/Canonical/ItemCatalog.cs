namespace Seminar.MLNet.Datasets.Canonical;

/// <summary>
/// The kept items of <c>items.tsv</c>, read once by header names, each with its own line's content and its own
/// feature rows: a skipped malformed line or a duplicate id never lends its vector to another item.
/// </summary>
public sealed class ItemCatalog
{
    readonly ItemRecord[] _items;
    readonly int[] _lines;
    readonly Dictionary<string, (int Dimension, float[] Values)> _features;

    internal ItemCatalog(ItemRecord[] items, int[] lines, Dictionary<string, (int Dimension, float[] Values)> features)
    {
        _items = items;
        _lines = lines;
        _features = features;
        Modalities = features.Keys.OrderBy(m => m, StringComparer.Ordinal).ToArray();
    }

    /// <summary>The kept items in file order (first line of each id).</summary>
    public IReadOnlyList<ItemRecord> Items => _items;

    /// <summary>The 1-based line of <c>items.tsv</c> each kept item was read from, parallel to <see cref="Items"/>.</summary>
    public IReadOnlyList<int> Lines => _lines;

    /// <summary>The modalities of <c>dataset.json</c>, in ordinal order.</summary>
    public IReadOnlyList<string> Modalities { get; }

    /// <summary>The vector dimension of a modality.</summary>
    /// <exception cref="KeyNotFoundException">The dataset has no such modality.</exception>
    public int Dimension(string modality) => Feature(modality).Dimension;

    /// <summary>The vector of kept item <paramref name="item"/> (an index into <see cref="Items"/>) for a modality.</summary>
    public ReadOnlySpan<float> Vector(string modality, int item)
    {
        var (dim, values) = Feature(modality);
        return values.AsSpan(checked(item * dim), dim);
    }

    /// <summary>Every kept item's vectors of a modality, row i for item i.</summary>
    public ReadOnlyMemory<float> Vectors(string modality) => Feature(modality).Values;

    (int Dimension, float[] Values) Feature(string modality) =>
        _features.TryGetValue(modality, out var f) ? f : throw new KeyNotFoundException($"The catalog has no feature '{modality}' (it has: {string.Join(", ", Modalities)}).");
}
