using Seminar.MLNet.Evaluation.Reporting;

namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>
/// Recall of an approximate top-K against the exact top-K over a set of requests: the mean over requests and heads of
/// |approximate ∩ exact| / min(K, behaviours). <see cref="Long"/> counts only histories of at least
/// <see cref="MinLength"/> = 4K + 1 behaviours: a shorter history makes recall trivially 1 or close to it (at most K
/// behaviours are kept whole by both sides, and the shortlist re-ranks every behaviour of a history no longer than K′
/// exactly), so counting them would flatter the mean. <see cref="All"/> and <see cref="ByLength"/> show them apart.
/// </summary>
/// <param name="K">Behaviours kept per head.</param>
/// <param name="Long">Recall over histories of at least <see cref="MinLength"/> behaviours; NaN when there is none.</param>
/// <param name="LongRequests">Requests counted in <see cref="Long"/>.</param>
/// <param name="All">Recall over every request with a history (1 when none has one).</param>
/// <param name="Requests">Requests with a history.</param>
/// <param name="ByLength">Recall per history-length band (K, 2K, 4K, 8K and 16K bound them), bands without requests left out.</param>
internal sealed record RecallSummary(int K, double Long, int LongRequests, double All, int Requests, IReadOnlyList<RetrievalRecallBand> ByLength)
{
    /// <summary>The shortest history <see cref="Long"/> counts.</summary>
    public int MinLength => MinLengthFor(K);

    /// <summary>4K + 1.</summary>
    public static int MinLengthFor(int k) => 4 * k + 1;

    /// <summary>Upper bounds of the length bands, as multiples of K; the last band is open.</summary>
    static readonly int[] BandMultiples = { 1, 2, 4, 8, 16 };

    /// <summary>Summarises per-request recalls (each already averaged over heads) of requests with a history.</summary>
    /// <param name="k">K.</param>
    /// <param name="perRequest">(real behaviours, recall) per request with at least one behaviour.</param>
    public static RecallSummary Of(int k, IReadOnlyList<(int Length, double Recall)> perRequest)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var longOnes = perRequest.Where(r => r.Length >= MinLengthFor(k)).ToArray();
        var bands = new List<RetrievalRecallBand>();
        int low = 1;
        foreach (int bound in BandMultiples.Select(m => m * k).Append(int.MaxValue))
        {
            var inBand = perRequest.Where(r => r.Length >= low && r.Length <= bound).ToArray();
            if (inBand.Length > 0)
                bands.Add(new RetrievalRecallBand
                {
                    MinLength = low, MaxLength = bound == int.MaxValue ? null : bound, Requests = inBand.Length, Recall = inBand.Average(r => r.Recall),
                });
            if (bound == int.MaxValue) break;
            low = bound + 1;
        }
        return new RecallSummary(k, longOnes.Length == 0 ? double.NaN : longOnes.Average(r => r.Recall), longOnes.Length,
            perRequest.Count == 0 ? 1 : perRequest.Average(r => r.Recall), perRequest.Count, bands);
    }
}
