namespace Seminar.MLNet.Evaluation.Protocol;

/// <summary>What a ranking group of a sample set is.</summary>
public enum RankingGroupKind
{
    /// <summary>A positive and its sampled negatives (the period has no label-0 events).</summary>
    Positive,
    /// <summary>One search: the same user, timestamp and query (real exposures shown together).</summary>
    Search,
    /// <summary>
    /// All of a user's samples: real labels whose events are not shown together (ratings, one event per timestamp), where
    /// most positives would have no negative in their search.
    /// </summary>
    User,
}
