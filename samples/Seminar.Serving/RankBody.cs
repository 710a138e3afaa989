using Seminar.MLNet;

namespace Seminar.Serving;

/// <summary>
/// The JSON body of <c>POST /rank</c>, field for field a <see cref="RankingRequest"/> (web defaults: camelCase names).
/// Everything is nullable here so a missing field is told apart from an empty one.
/// </summary>
sealed class RankBody
{
    public List<string>? HistoryItems { get; set; }
    public List<string>? HistoryQueries { get; set; }
    public Dictionary<string, float>? Features { get; set; }
    public Dictionary<string, string>? Text { get; set; }
    public List<CandidateBody?>? Candidates { get; set; }

    /// <summary>The request to rank; <see cref="RequestException"/> (400) names a missing or null field or too many candidates.</summary>
    public RankingRequest ToRequest(int maxCandidates)
    {
        if (HistoryItems is null)
            throw new RequestException("The request has no 'historyItems' (send [] for an empty history).");
        if (Candidates is null)
            throw new RequestException("The request has no 'candidates' (send [] to rank none).");
        if (Candidates.Count > maxCandidates)
            throw new RequestException($"The request has {Candidates.Count} candidates; this service ranks at most {maxCandidates} per request (Seminar:MaxCandidates).");
        var candidates = new RankingCandidate[Candidates.Count];
        for (int c = 0; c < candidates.Length; c++)
        {
            var candidate = Candidates[c] ?? throw new RequestException($"candidates[{c}] is null; each candidate is an object with at least an 'item'.");
            candidates[c] = new RankingCandidate
            {
                Item = candidate.Item ?? throw new RequestException($"candidates[{c}] has no 'item'."),
                Query = candidate.Query,
                Features = candidate.Features,
            };
        }
        return new RankingRequest { HistoryItems = HistoryItems, HistoryQueries = HistoryQueries, Features = Features, Text = Text, Candidates = candidates };
    }
}

/// <summary>One element of <see cref="RankBody.Candidates"/>.</summary>
sealed class CandidateBody
{
    public string? Item { get; set; }
    public string? Query { get; set; }
    public Dictionary<string, float>? Features { get; set; }
}

/// <summary>The answer of <c>POST /rank</c>: one score per candidate, in the request's order.</summary>
sealed record RankResponse(float[] Scores);

/// <summary>The answer of <c>GET /health</c>.</summary>
sealed record HealthResponse(string Status, string Model);
