namespace Seminar.MLNet.Evaluation.Protocol;

/// <summary>
/// The samples of one split, column-wise. A sample is a target (item, query, time) for a user, with a
/// label, the baseline count features, and a reference into the user's positive events for its history
/// (histories are never copied: <see cref="History"/> slices the event log).
/// </summary>
public sealed class SampleSet
{
    readonly List<int> _user = new(), _item = new(), _query = new(), _historyEnd = new(), _group = new();
    readonly List<long> _time = new();
    readonly List<bool> _label = new(), _validation = new();
    readonly List<float>[] _features = Enumerable.Range(0, BaselineFeatures.Names.Length).Select(_ => new List<float>()).ToArray();

    internal SampleSet(EventLog log, int maxHistory)
    {
        Log = log;
        MaxHistory = maxHistory;
    }

    /// <summary>The event log the samples refer to.</summary>
    public EventLog Log { get; }

    /// <summary>Most recent positives kept per history.</summary>
    public int MaxHistory { get; }

    /// <summary>Number of samples.</summary>
    public int Count => _user.Count;

    /// <summary>User index of a sample.</summary>
    public int User(int s) => _user[s];
    /// <summary>Target item index of a sample.</summary>
    public int Item(int s) => _item[s];
    /// <summary>Query index of a sample (0 = empty).</summary>
    public int Query(int s) => _query[s];
    /// <summary>Time of a sample.</summary>
    public long Time(int s) => _time[s];
    /// <summary>Label of a sample.</summary>
    public bool Label(int s) => _label[s];
    /// <summary>Ranking group of a sample: a positive and the negatives it is ranked against share one.</summary>
    public int RankGroup(int s) => _group[s];
    /// <summary>True when the sample is in the latest share of the training period, held out for validation.</summary>
    public bool IsValidation(int s) => _validation[s];
    /// <summary>A baseline feature of a sample (index into <see cref="BaselineFeatures.Names"/>).</summary>
    public float Feature(int s, int feature) => _features[feature][s];

    /// <summary>Event indices of the sample's history (its user's positives strictly before its time), oldest first, truncated to <see cref="MaxHistory"/>.</summary>
    public ReadOnlySpan<int> History(int s)
    {
        int u = _user[s], start = Log.PositiveStart[u], end = start + _historyEnd[s];
        int from = Math.Max(start, end - MaxHistory);
        return Log.Positives.AsSpan(from, end - from);
    }

    /// <summary>What <see cref="RankGroup"/> stands for in this set.</summary>
    public RankingGroupKind GroupKind { get; private set; } = RankingGroupKind.Positive;

    /// <summary>Labels of all samples.</summary>
    public bool[] Labels() => _label.ToArray();
    /// <summary>User indices of all samples.</summary>
    public int[] Users() => _user.ToArray();
    /// <summary>Ranking groups of all samples.</summary>
    public int[] RankGroups() => _group.ToArray();

    /// <summary>Marks the groups as searches, or regroups by user when most positives would have no negative in their search.</summary>
    internal void SetRealExposureGroups()
    {
        var coverage = Metrics.RankingMetrics.Coverage(_label.ToArray(), _group.ToArray());
        int positives = _label.Count(l => l);
        if (coverage.PositivesSkipped * 2 <= positives)
        {
            GroupKind = RankingGroupKind.Search;
            return;
        }
        GroupKind = RankingGroupKind.User;
        for (int s = 0; s < _group.Count; s++) _group[s] = _user[s];
    }

    internal void Add(int user, int item, int query, long time, bool label, int historyEnd, int group, bool validation, ReadOnlySpan<float> features)
    {
        _user.Add(user); _item.Add(item); _query.Add(query); _time.Add(time); _label.Add(label); _historyEnd.Add(historyEnd); _group.Add(group);
        _validation.Add(validation);
        for (int f = 0; f < _features.Length; f++) _features[f].Add(features[f]);
    }
}

/// <summary>The count features a developer has without SEMINAR, computed from earlier events only.</summary>
public static class BaselineFeatures
{
    /// <summary>Column names, in feature-index order.</summary>
    public static readonly string[] Names = { HistoryLength, TargetInHistory, AttributeShare, ItemPopularity, UserPositiveRate };

    /// <summary>Number of the user's earlier positive events (lifelong, not truncated).</summary>
    public const string HistoryLength = "HistoryLength";
    /// <summary>How often the target item is among the user's earlier positives.</summary>
    public const string TargetInHistory = "TargetInHistory";
    /// <summary>Sum over the target's attribute tokens of the share of earlier positives carrying that token.</summary>
    public const string AttributeShare = "AttributeShare";
    /// <summary>Positive events of the target item, by any user, strictly before the sample's time.</summary>
    public const string ItemPopularity = "ItemPopularity";
    /// <summary>The user's smoothed positive rate so far: (positives + 1) / (events + 2).</summary>
    public const string UserPositiveRate = "UserPositiveRate";
}
