using Microsoft.ML;

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

    /// <summary>
    /// The history's item ids and queries as the row's owner holds them, for the featurizer to read in place rather than
    /// through the columns' getters, which convert every behaviour's text into a buffer (about 6% of a one-candidate
    /// request at L = 10,000). False when <paramref name="items"/> or <paramref name="queries"/> is not the row's history
    /// column or the owner cannot hand its texts out as spans; the getters then serve.
    /// </summary>
    /// <param name="items">The history item column the featurizer reads.</param>
    /// <param name="queries">The history query column it reads, or null.</param>
    /// <param name="itemTexts">Receives the item ids (a null id reads as empty).</param>
    /// <param name="queryTexts">Receives the queries, one per item; empty when the history has none (every behaviour browses).</param>
    bool HistoryTexts(DataViewSchema.Column items, DataViewSchema.Column? queries, out ReadOnlySpan<string?> itemTexts, out ReadOnlySpan<string?> queryTexts);
}
