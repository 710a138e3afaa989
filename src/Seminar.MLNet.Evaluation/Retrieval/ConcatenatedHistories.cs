using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>
/// Builds requests of a chosen history length from real ones: request <c>i</c> keeps real request <c>i</c>'s target
/// (cycling through them) and its history is the real behaviours of the real histories from request <c>i</c>'s on,
/// concatenated in order and wrapping round to the first, until it holds exactly the length asked for. Padding is
/// left out, so every behaviour is a real one.
/// </summary>
internal static class ConcatenatedHistories
{
    /// <summary>Real (non-padding) behaviours over all <paramref name="requests"/>.</summary>
    public static long RealBehaviours(IReadOnlyList<RetrievalRequest> requests) =>
        requests.Sum(r => (long)r.HistoryItems.Count(i => i != Vocabulary.Padding));

    /// <summary><paramref name="count"/> requests of exactly <paramref name="length"/> real behaviours each.</summary>
    /// <param name="requests">Real requests; together they must hold at least one real behaviour.</param>
    /// <param name="length">Behaviours per built request, at least 1.</param>
    /// <param name="count">Requests to build, at least 1.</param>
    /// <param name="queryTokens">Query tokens per behaviour (T).</param>
    public static RetrievalRequest[] Build(IReadOnlyList<RetrievalRequest> requests, int length, int count, int queryTokens)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (RealBehaviours(requests) == 0) throw new ArgumentException("The requests hold no real behaviour to build histories from.", nameof(requests));
        int t = queryTokens;
        var built = new RetrievalRequest[count];
        for (int i = 0; i < count; i++)
        {
            var own = requests[i % requests.Count];
            var items = new long[length];
            var tokens = new long[(long)length * t];
            int filled = 0;
            for (int r = i % requests.Count; filled < length; r = (r + 1) % requests.Count)
            {
                var from = requests[r];
                for (int l = 0; l < from.HistoryItems.Length && filled < length; l++)
                {
                    if (from.HistoryItems[l] == Vocabulary.Padding) continue;
                    items[filled] = from.HistoryItems[l];
                    Array.Copy(from.HistoryQueryTokens, (long)l * t, tokens, (long)filled * t, t);
                    filled++;
                }
            }
            built[i] = new RetrievalRequest(items, tokens, own.TargetItem, own.QueryTokens);
        }
        return built;
    }
}
