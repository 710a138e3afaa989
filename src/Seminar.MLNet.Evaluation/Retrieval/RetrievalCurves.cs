using Seminar.MLNet.Evaluation.Reporting;
using Seminar.MLNet.Quantization;

namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>
/// Measures the report's retrieval curves on real test requests, one thread, exact against approximate GSU as
/// <see cref="RetrievalComparison"/> runs them:
/// cost against history length — for each length, requests of exactly that many behaviours made by concatenating the
/// real test histories (each keeps a real request's target), timed as <see cref="RetrievalComparison.Measure(PqAttentionModel, IReadOnlyList{RetrievalRequest}, int)"/> times
/// them, with recall at the model's K; and recall against K — on the real requests as they are, the share of the exact
/// top-K the approximate top-K keeps, for each K.
/// </summary>
public static class RetrievalCurves
{
    /// <summary>Measures both curves.</summary>
    /// <param name="model">The PSU and its quantizers.</param>
    /// <param name="requests">Real test requests (<see cref="RetrievalRequests.Read"/>), at least one. Each is prepared and
    /// kept in memory for the recall curve, so size the list to fit.</param>
    /// <param name="options">Lengths, K values and bounds; defaults when null.</param>
    /// <param name="progress">Receives a stage per length and for the recall curve.</param>
    /// <returns>The report's <c>curves</c> section. Its lengths are empty when the requests hold no behaviour at all.</returns>
    internal static RetrievalCurvesReport Measure(PqAttentionModel model, IReadOnlyList<RetrievalRequest> requests, RetrievalCurvesOptions? options = null,
        IProgress<EvaluationProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(requests);
        if (requests.Count == 0) throw new ArgumentException("No requests to measure.", nameof(requests));
        return Measure(model, requests, requests.Select(r => PreparedRequest.Prepare(model, r)).ToArray(), options, progress);
    }

    /// <summary>Both curves, with <paramref name="requests"/> already prepared for <paramref name="model"/> (same order).</summary>
    internal static RetrievalCurvesReport Measure(PqAttentionModel model, IReadOnlyList<RetrievalRequest> requests, IReadOnlyList<PreparedRequest> prepared,
        RetrievalCurvesOptions? options, IProgress<EvaluationProgress>? progress)
    {
        options ??= new RetrievalCurvesOptions();
        options.Validate();

        progress?.Report(new EvaluationProgress("measuring recall against K", double.NaN));
        var recall = options.Ks.Distinct().Order().Select(k => new RetrievalPass(model, k).Recall(prepared))
            .Select(r => new RetrievalRecallPoint { K = r.K, Recall = r.Long, Requests = r.LongRequests, RecallAllLengths = r.All }).ToArray();
        double meanLength = prepared.Average(p => (double)p.Length);

        var lengths = new List<RetrievalLengthPoint>();
        if (ConcatenatedHistories.RealBehaviours(requests) > 0)
            foreach (int length in options.Lengths.Distinct().Order())
            {
                progress?.Report(new EvaluationProgress($"measuring retrieval cost at L = {length:N0}", double.NaN));
                var built = ConcatenatedHistories.Build(requests, length, options.RequestsAt(length, model.Psu.Dimension), model.Psu.QueryTokens);
                var m = RetrievalComparison.Measure(model, built, options.Rounds);
                lengths.Add(new RetrievalLengthPoint
                {
                    Length = length, Requests = m.Requests, ExactMicroseconds = m.ExactMicroseconds, PqMicroseconds = m.PqMicroseconds,
                    Speedup = m.Speedup, Recall = m.Recall.Long,
                });
            }
        return new RetrievalCurvesReport { K = model.TopK, Requests = requests.Count, MeanLength = meanLength, Lengths = lengths, Recall = recall };
    }
}
