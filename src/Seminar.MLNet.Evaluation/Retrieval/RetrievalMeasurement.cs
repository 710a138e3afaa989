namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>Exact against approximate retrieval over the same requests, in one process and one thread.</summary>
/// <param name="Requests">Requests measured.</param>
/// <param name="MeanLength">Mean real behaviours per request.</param>
/// <param name="K">Behaviours kept per head.</param>
/// <param name="ExactMicroseconds">Exact GSU per request: every behaviour's relevance from its stored pair vector, then each head's top-K.</param>
/// <param name="PqMicroseconds">Approximate GSU per request: per head query parts, lookup tables, code scan, keys, shortlist and its exact re-rank.</param>
/// <param name="Recall">Recall of the approximate top-K against the exact one (see <see cref="RecallSummary"/>): over histories longer than 4K, over all, by length.</param>
/// <param name="ExactBytesPerBehaviour">Bytes the exact scan reads per behaviour (its fused pair vector).</param>
/// <param name="PqBytesPerBehaviour">Bytes the approximate scan reads per behaviour (its gathered 4-bit codes).</param>
/// <param name="PqBytesPerItem">Bytes of code stored per catalog item.</param>
internal sealed record RetrievalMeasurement(int Requests, double MeanLength, int K, double ExactMicroseconds, double PqMicroseconds, RecallSummary Recall,
    int ExactBytesPerBehaviour, int PqBytesPerBehaviour, int PqBytesPerItem = 0)
{
    /// <summary>Exact time over approximate time.</summary>
    public double Speedup => PqMicroseconds > 0 ? ExactMicroseconds / PqMicroseconds : 0;
}
