using Seminar.MLNet.Featurization;

namespace Seminar.MLNet;

/// <summary>
/// What fitting the sequence featurizer learned: the item, token (shared by queries and titles) and
/// attribute vocabularies, the catalog's content per item index, and the limits the outputs follow.
/// Later components (the PSU) build their embedding tables from it.
/// </summary>
public sealed class SequenceVocabularies
{
    // Only fitting builds vocabularies: the token forms and content tables it fills are internal.
    internal SequenceVocabularies() { }

    /// <summary>Item ids: catalog ids first, then ids seen only in the data.</summary>
    public required Vocabulary Items { get; init; }
    /// <summary>Lower-cased query and title tokens.</summary>
    public required Vocabulary Tokens { get; init; }
    /// <summary>Token surface forms (as written) to token indices: what queries are looked up in.</summary>
    internal TokenLookup TokenForms { get; init; } = null!;
    /// <summary>Catalog attribute tokens.</summary>
    public required Vocabulary Attributes { get; init; }
    /// <summary>Catalog content per item index.</summary>
    internal ItemContentTables Content { get; init; } = null!;
    /// <summary>Number of catalog items (item indices 2 .. 2 + CatalogItems - 1).</summary>
    public required int CatalogItems { get; init; }
    /// <summary>Behaviours kept per row.</summary>
    public required int MaxHistory { get; init; }
    /// <summary>Tokens kept per query.</summary>
    public required int MaxQueryTokens { get; init; }
    /// <summary>Fit-time counts: item occurrences (history or target) whose id the catalog lacks.</summary>
    public long ItemsOutsideCatalog { get; init; }
    /// <summary>Fit-time counts: rows scanned.</summary>
    public long RowsScanned { get; init; }
    /// <summary>
    /// False for vocabularies rebuilt from a saved featurizer graph: the graph maps ids and query tokens, but the catalog's
    /// titles, attributes and vectors per item were folded into the PSU's tables and are not in the zip.
    /// </summary>
    internal bool HasCatalogContent { get; init; } = true;

    /// <summary>
    /// The vocabularies a saved featurizer graph holds: items and token surface forms from its two lookups (LabelEncoders),
    /// the rest from its configuration. The catalog content is empty (<see cref="HasCatalogContent"/> false).
    /// </summary>
    /// <exception cref="InvalidDataException">A lookup is missing or its indices are not the vocabulary's.</exception>
    internal static SequenceVocabularies FromGraph(global::Onnx.ModelProto graph, SequenceFeaturizerGraph.Config config)
    {
        var (itemKeys, itemValues) = SavedGraphs.LabelEncoder(graph, config.ItemLookup);
        var items = new string?[itemKeys.Length - 1];
        for (int i = 0; i < itemKeys.Length; i++)
        {
            // "" maps to Unknown in the graph (an empty id is unknown); every entry e has its index e + Reserved.
            if (itemKeys[i].Length == 0) continue;
            long slot = itemValues[i] - Vocabulary.Reserved;
            if (slot < 0 || slot >= items.Length || items[slot] != null)
                throw new InvalidDataException($"The item lookup maps '{itemKeys[i]}' to {itemValues[i]}, not a free index of its {items.Length} entries.");
            items[slot] = itemKeys[i];
        }
        if (Array.IndexOf(items, null) is int gap and >= 0) throw new InvalidDataException($"The item lookup has no entry for index {gap + Vocabulary.Reserved}.");

        var forms = new List<KeyValuePair<string, int>>();
        if (config.TokenLookup != null)
        {
            var (keys, values) = SavedGraphs.LabelEncoder(graph, config.TokenLookup);
            for (int i = 0; i < keys.Length; i++)
                if (keys[i].Length > 0) forms.Add(new(keys[i], checked((int)values[i])));
        }
        return new SequenceVocabularies
        {
            Items = new Vocabulary(items!),
            Tokens = new Vocabulary(TokenEntries(forms)),
            TokenForms = new TokenLookup(forms),
            Attributes = new Vocabulary(config.Attributes),
            Content = new ItemContentTables(0, 1, 1, config.Modalities.Select(m => (m.Name, m.Dimension)).ToArray()),
            CatalogItems = config.CatalogItems,
            MaxHistory = config.MaxHistory,
            MaxQueryTokens = config.MaxQueryTokens,
            ItemsOutsideCatalog = config.ItemsOutsideCatalog,
            RowsScanned = config.RowsScanned,
            HasCatalogContent = false,
        };
    }

    /// <summary>
    /// The token vocabulary behind surface forms: entries are lower-cased, so each index's entry is its one form that
    /// lower-casing leaves as it is (the lookup adds UPPER, Capitalized and seen forms beside it).
    /// </summary>
    static List<string> TokenEntries(List<KeyValuePair<string, int>> forms)
    {
        int size = forms.Count == 0 ? Vocabulary.Reserved : forms.Max(f => f.Value) + 1;
        var entries = new string?[size - Vocabulary.Reserved];
        foreach (var (form, index) in forms.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            if (index < Vocabulary.Reserved) throw new InvalidDataException($"The token lookup maps '{form}' to the reserved index {index}.");
            if (form == form.ToLowerInvariant()) entries[index - Vocabulary.Reserved] ??= form;
        }
        if (Array.IndexOf(entries, null) is int gap and >= 0) throw new InvalidDataException($"The token lookup has no lower-case form for index {gap + Vocabulary.Reserved}.");
        return entries.ToList()!;
    }
}
