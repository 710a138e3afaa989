namespace Seminar.MLNet;

/// <summary>
/// One ranking request: a user's history, scored against every candidate. Inputs the model reads that are neither the
/// history nor a candidate's item and query come from <see cref="Features"/> and <see cref="Text"/> (the same for every
/// candidate) or from <see cref="RankingCandidate.Features"/> (per candidate, taking precedence).
/// </summary>
public sealed class RankingRequest
{
    /// <summary>History item ids, oldest first.</summary>
    public IReadOnlyList<string> HistoryItems { get; set; } = Array.Empty<string>();
    /// <summary>The query of each history behaviour (empty = browsing), as many as <see cref="HistoryItems"/>; null = all browsing.</summary>
    public IReadOnlyList<string>? HistoryQueries { get; set; }
    /// <summary>The candidates, scored in this order.</summary>
    public IReadOnlyList<RankingCandidate> Candidates { get; set; } = Array.Empty<RankingCandidate>();
    /// <summary>Numeric (Single) input columns shared by every candidate, by column name (e.g. the user's counts); null = none.</summary>
    public IReadOnlyDictionary<string, float>? Features { get; set; }
    /// <summary>Text input columns shared by every candidate, by column name (e.g. a user id the model reads); null = none.</summary>
    public IReadOnlyDictionary<string, string>? Text { get; set; }
}

/// <summary>One candidate of a <see cref="RankingRequest"/>.</summary>
public sealed class RankingCandidate
{
    /// <summary>The candidate item id.</summary>
    public string Item { get; set; } = "";
    /// <summary>The query the candidate is ranked for (empty or null = recommendation).</summary>
    public string? Query { get; set; }
    /// <summary>Numeric (Single) input columns of this candidate, by column name; null = none.</summary>
    public IReadOnlyDictionary<string, float>? Features { get; set; }
}
