namespace Seminar.MLNet;

/// <summary>Options of <see cref="SeminarRanker"/>: which input columns a request fills, and which output is the score.</summary>
public sealed class SeminarRankerOptions
{
    /// <summary>Input: history item ids (vector of text). Default "HistoryItems".</summary>
    public string HistoryItemsColumnName { get; set; } = SeminarColumns.HistoryItems;
    /// <summary>Input: history queries (vector of text). Default "HistoryQueries".</summary>
    public string HistoryQueriesColumnName { get; set; } = SeminarColumns.HistoryQueries;
    /// <summary>Input: the candidate item id (text). Default "TargetItem".</summary>
    public string TargetItemColumnName { get; set; } = SeminarColumns.TargetItem;
    /// <summary>Input: the candidate's query (text). Default "Query".</summary>
    public string QueryColumnName { get; set; } = SeminarColumns.Query;
    /// <summary>Output read as each candidate's score (Single, or a vector of one Single such as SeminarScore). Default "Score".</summary>
    public string ScoreColumnName { get; set; } = "Score";
}
