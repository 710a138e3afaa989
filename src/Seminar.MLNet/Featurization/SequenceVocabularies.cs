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
}
