namespace Seminar.MLNet.Featurization;

/// <summary>
/// An input row whose history columns keep their values from row to row until <see cref="HistoryVersion"/> changes: a
/// ranking request's candidates all carry the request's history. The featurizer then reads and compares the history once
/// per version instead of once per row, which at L = 10,000 costs more than featurizing the candidate.
/// </summary>
internal interface ISharedHistoryRow
{
    /// <summary>Changes whenever the history columns may hold other values; equal versions mean equal histories.</summary>
    long HistoryVersion { get; }
}
