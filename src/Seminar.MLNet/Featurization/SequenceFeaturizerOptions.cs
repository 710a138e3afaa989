namespace Seminar.MLNet;

/// <summary>Options of the sequence featurizer: input and output column names, history and vocabulary limits.</summary>
public sealed class SequenceFeaturizerOptions
{
    /// <summary>History item ids, oldest first (vector of text). Default <see cref="SeminarColumns.HistoryItems"/>.</summary>
    public string HistoryItemsColumnName { get; set; } = SeminarColumns.HistoryItems;
    /// <summary>
    /// Query per history behaviour (vector of text, same length; empty = browsing). Optional: when the input lacks it, or this is
    /// null (queries ignored even when present), every behaviour is browsing.
    /// </summary>
    public string? HistoryQueriesColumnName { get; set; } = SeminarColumns.HistoryQueries;
    /// <summary>Target item id (text).</summary>
    public string TargetItemColumnName { get; set; } = SeminarColumns.TargetItem;
    /// <summary>Target query (text). Optional: when the input lacks it, or this is null (query ignored), the target query is empty.</summary>
    public string? QueryColumnName { get; set; } = SeminarColumns.Query;

    /// <summary>Output: item index per kept behaviour (vector of Int64, variable length).</summary>
    public string OutputHistoryItemIndicesColumnName { get; set; } = "SeminarHistoryItems";
    /// <summary>Output: <see cref="MaxQueryTokens"/> token indices per kept behaviour, flattened (vector of Int64, variable length; 0 pads).</summary>
    public string OutputHistoryQueryTokensColumnName { get; set; } = "SeminarHistoryQueryTokens";
    /// <summary>Output: number of kept behaviours (vector of Int64 of size 1).</summary>
    public string OutputHistoryLengthColumnName { get; set; } = "SeminarHistoryLength";
    /// <summary>Output: target item index (vector of Int64 of size 1).</summary>
    public string OutputTargetItemIndexColumnName { get; set; } = "SeminarTargetItem";
    /// <summary>Output: target query token indices (vector of Int64 of size <see cref="MaxQueryTokens"/>; 0 pads).</summary>
    public string OutputQueryTokensColumnName { get; set; } = "SeminarQueryTokens";

    /// <summary>Most recent behaviours kept per row. Default 10,000.</summary>
    public int MaxHistory { get; set; } = 10_000;
    /// <summary>Tokens kept per query (the first ones). Default 8.</summary>
    public int MaxQueryTokens { get; set; } = 8;
    /// <summary>Tokens kept per title in the catalog tables. Default 16.</summary>
    public int MaxTitleTokens { get; set; } = 16;
    /// <summary>Attribute tokens kept per item in the catalog tables. Default 8.</summary>
    public int MaxAttributes { get; set; } = 8;
    /// <summary>A query or title token needs this many occurrences to get its own index. Default 1.</summary>
    public int MinTokenCount { get; set; } = 1;
    /// <summary>Most frequent tokens kept (0 = no limit). Default 100,000.</summary>
    public int MaxTokens { get; set; } = 100_000;
    /// <summary>An item id seen only in the data (not in the catalog) needs this many occurrences to get its own index. Default 1.</summary>
    public int MinItemCount { get; set; } = 1;
    /// <summary>Most item ids kept beyond the catalog's own (0 = no limit). Default 0.</summary>
    public int MaxExtraItems { get; set; }

    /// <summary>Catalog: item id column (text).</summary>
    public string CatalogItemIdColumnName { get; set; } = "ItemId";
    /// <summary>Catalog: title column (text; may be empty).</summary>
    public string CatalogTitleColumnName { get; set; } = "Title";
    /// <summary>Catalog: attributes column (text of space-separated tokens, or vector of text). Optional.</summary>
    public string CatalogAttributesColumnName { get; set; } = "Attributes";
    /// <summary>Catalog: float vector columns holding precomputed modality embeddings. Null = every known-size Single vector column of the catalog.</summary>
    public string[]? CatalogModalityColumnNames { get; set; }

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        if (MaxHistory < 1) throw new ArgumentOutOfRangeException(nameof(MaxHistory), MaxHistory, "MaxHistory must be at least 1.");
        if (MaxQueryTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxQueryTokens), MaxQueryTokens, "MaxQueryTokens must be at least 1.");
        if (MaxTitleTokens < 1) throw new ArgumentOutOfRangeException(nameof(MaxTitleTokens), MaxTitleTokens, "MaxTitleTokens must be at least 1.");
        if (MaxAttributes < 1) throw new ArgumentOutOfRangeException(nameof(MaxAttributes), MaxAttributes, "MaxAttributes must be at least 1.");
        if (MinTokenCount < 1) throw new ArgumentOutOfRangeException(nameof(MinTokenCount), MinTokenCount, "MinTokenCount must be at least 1.");
        if (MinItemCount < 1) throw new ArgumentOutOfRangeException(nameof(MinItemCount), MinItemCount, "MinItemCount must be at least 1.");
        if (MaxTokens < 0) throw new ArgumentOutOfRangeException(nameof(MaxTokens), MaxTokens, "MaxTokens must be 0 (no limit) or positive.");
        if (MaxExtraItems < 0) throw new ArgumentOutOfRangeException(nameof(MaxExtraItems), MaxExtraItems, "MaxExtraItems must be 0 (no limit) or positive.");
    }
}
