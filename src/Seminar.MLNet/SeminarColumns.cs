namespace Seminar.MLNet;

/// <summary>Default column names of the SEMINAR column contract; every component takes them as options.</summary>
public static class SeminarColumns
{
    /// <summary>History item ids, oldest first (vector of text).</summary>
    public const string HistoryItems = "HistoryItems";
    /// <summary>Query of each history behaviour, same length as <see cref="HistoryItems"/>; empty = browsing (vector of text).</summary>
    public const string HistoryQueries = "HistoryQueries";
    /// <summary>Timestamp of each history behaviour (vector of Int64), optional.</summary>
    public const string HistoryTimestamps = "HistoryTimestamps";
    /// <summary>The target item id (text).</summary>
    public const string TargetItem = "TargetItem";
    /// <summary>The target query (text; empty for recommendation).</summary>
    public const string Query = "Query";
    /// <summary>The label for fine-tuning and evaluation (Boolean).</summary>
    public const string Label = "Label";
    /// <summary>The user id (text); used for grouped metrics.</summary>
    public const string UserId = "UserId";
    /// <summary>Whether a training row is held out for validation (Boolean): early stopping and choices made on validation read it.</summary>
    public const string IsValidation = "IsValidation";
}
