namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>Exact against approximate retrieval over the same requests, in one process and one thread.</summary>
/// <param name="Requests">Requests measured.</param>
/// <param name="MeanLength">Mean real behaviours per request.</param>
/// <param name="K">Behaviours kept per head.</param>
/// <param name="ExactMicroseconds">Exact GSU per request: every behaviour's relevance from its stored pair vector, then each head's top-K.</param>
/// <param name="PqMicroseconds">Approximate GSU per request: lookup tables, code scan, each head's top-K.</param>
/// <param name="Recall">Mean over requests and heads of |approximate top-K ∩ exact top-K| / min(K, behaviours).</param>
/// <param name="ExactBytesPerBehaviour">Bytes the exact scan reads per behaviour (its fused pair vector).</param>
/// <param name="PqBytesPerBehaviour">Bytes the approximate scan reads per behaviour (its codes).</param>
public sealed record RetrievalMeasurement(int Requests, double MeanLength, int K, double ExactMicroseconds, double PqMicroseconds, double Recall,
    int ExactBytesPerBehaviour, int PqBytesPerBehaviour)
{
    /// <summary>Exact time over approximate time.</summary>
    public double Speedup => PqMicroseconds > 0 ? ExactMicroseconds / PqMicroseconds : 0;
}
