using System.Text.Json.Serialization;

namespace Seminar.MLNet.Evaluation.Reporting;

/// <summary>
/// The report's <c>curves</c> section: what exact and approximate retrieval cost as histories grow, and how much of
/// the exact top-K the approximate one keeps as K varies (<see cref="Retrieval.RetrievalCurves"/> measures it).
/// </summary>
public sealed class RetrievalCurvesReport
{
    /// <summary>The model's K: the length points' recall is taken at it.</summary>
    [JsonPropertyName("k")] public int K { get; set; }
    /// <summary>Real test requests the recall curve is measured on.</summary>
    [JsonPropertyName("requests")] public int Requests { get; set; }
    /// <summary>Mean real behaviours per request of the recall curve.</summary>
    [JsonPropertyName("mean_length")] public double MeanLength { get; set; }
    /// <summary>Cost and recall at the model's K per history length, shortest first.</summary>
    [JsonPropertyName("lengths")] public IReadOnlyList<RetrievalLengthPoint> Lengths { get; set; } = Array.Empty<RetrievalLengthPoint>();
    /// <summary>Recall of the approximate top-K against the exact top-K on the real test requests, per K, smallest first.</summary>
    [JsonPropertyName("recall")] public IReadOnlyList<RetrievalRecallPoint> Recall { get; set; } = Array.Empty<RetrievalRecallPoint>();
}

/// <summary>Exact against approximate retrieval on requests of one history length.</summary>
public class RetrievalLengthPoint
{
    /// <summary>Real behaviours in every request.</summary>
    [JsonPropertyName("length")] public int Length { get; set; }
    /// <summary>Requests measured.</summary>
    [JsonPropertyName("requests")] public int Requests { get; set; }
    /// <summary>Exact GSU microseconds per request (scan and top-K, one thread).</summary>
    [JsonPropertyName("exact_us")] public double ExactMicroseconds { get; set; }
    /// <summary>Approximate GSU microseconds per request (lookup tables, scan and top-K, one thread).</summary>
    [JsonPropertyName("pq_us")] public double PqMicroseconds { get; set; }
    /// <summary>exact_us / pq_us.</summary>
    [JsonPropertyName("speedup")] public double Speedup { get; set; }
    /// <summary>
    /// Recall of the approximate top-K against the exact top-K at the model's K, per head, averaged; NaN in the report's
    /// curves when the length is at most 4K, where recall is trivially 1 or close to it.
    /// </summary>
    [JsonPropertyName("recall@k")] public double Recall { get; set; }
}

/// <summary>Recall of approximate retrieval at one K.</summary>
public sealed class RetrievalRecallPoint
{
    /// <summary>Behaviours kept per head.</summary>
    [JsonPropertyName("k")] public int K { get; set; }
    /// <summary>
    /// Mean over requests whose history is longer than 4K and over heads of |approximate top-K ∩ exact top-K| / K; NaN when
    /// no history is that long. Shorter histories make recall trivially 1 or close to it (<see cref="RecallAllLengths"/>).
    /// </summary>
    [JsonPropertyName("recall@k")] public double Recall { get; set; }
    /// <summary>Requests counted in <see cref="Recall"/> (histories of at least 4K + 1 behaviours).</summary>
    [JsonPropertyName("requests")] public int Requests { get; set; }
    /// <summary>The same mean over every request with a history, whatever its length (min(K, behaviours) in the denominator).</summary>
    [JsonPropertyName("recall_all_lengths")] public double RecallAllLengths { get; set; }
}

/// <summary>Recall of approximate retrieval over the requests whose history length lies in one band.</summary>
public sealed class RetrievalRecallBand
{
    /// <summary>Shortest history in the band (behaviours).</summary>
    [JsonPropertyName("min_length")] public int MinLength { get; set; }
    /// <summary>Longest history in the band; null for the open last band.</summary>
    [JsonPropertyName("max_length")] public int? MaxLength { get; set; }
    /// <summary>Requests in the band.</summary>
    [JsonPropertyName("requests")] public int Requests { get; set; }
    /// <summary>Mean recall over them and over heads.</summary>
    [JsonPropertyName("recall")] public double Recall { get; set; }
}
