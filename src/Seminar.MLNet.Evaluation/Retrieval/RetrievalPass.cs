using Seminar.MLNet.Quantization;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>
/// Exact and approximate GSU at one K over prepared requests: exact scores every behaviour's stored pair vector with
/// the blocked FMA kernel, approximate runs <see cref="DecomposedRetriever"/> per head (fast scan of the 4-bit catalog
/// codes, exact query part, exact re-rank of the shortlist); both keep each head's top-K, ties to the lower grouped
/// index. Buffers are reused across requests. Not thread-safe.
/// </summary>
internal sealed class RetrievalPass
{
    readonly int _heads;
    readonly TopKSelector _selector;
    readonly DecomposedRetriever _retriever;
    readonly int[] _exactKept, _pqKept;
    float[] _scores = Array.Empty<float>();

    /// <summary>A pass keeping <paramref name="k"/> behaviours per head.</summary>
    public RetrievalPass(PqAttentionModel model, int k)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        _heads = model.Psu.Heads;
        K = k;
        _selector = new TopKSelector(k);
        _retriever = new DecomposedRetriever(model.Catalog, model.Decomposition, k, Math.Max(k, model.Shortlist));
        _exactKept = new int[_heads * k];
        _pqKept = new int[_heads * k];
    }

    /// <summary>Behaviours kept per head.</summary>
    public int K { get; }

    /// <summary>Exact GSU: every behaviour's relevance, then each head's top-K. Returns min(K, behaviours).</summary>
    public int Exact(PreparedRequest p)
    {
        int n = p.Vectors.Count, padded = p.Vectors.PaddedCount;
        if (_scores.Length < _heads * padded) _scores = new float[_heads * padded];
        p.Vectors.Score(p.U, _heads, _scores);
        for (int h = 0; h < _heads; h++) _selector.Select(_scores.AsSpan(h * padded, n), _exactKept.AsSpan(h * K, K));
        return Math.Min(K, n);
    }

    /// <summary>Approximate GSU per head: query parts, lookup tables, code scan, keys, shortlist, exact re-rank. Returns min(K, behaviours).</summary>
    public int Approximate(PreparedRequest p)
    {
        int d = p.U.Length / _heads, kept = 0;
        for (int h = 0; h < _heads; h++) kept = _retriever.Retrieve(p.U.AsSpan(h * d, d), p.Codes, p.History, _pqKept.AsSpan(h * K, K));
        return kept;
    }

    /// <summary>
    /// Recall of the approximate top-K against the exact one on each request with a history, averaged over heads
    /// (|approximate ∩ exact| / min(K, behaviours)), summarised as <see cref="RecallSummary"/>: over histories longer than 4K,
    /// over all, and by length.
    /// </summary>
    public RecallSummary Recall(IEnumerable<PreparedRequest> prepared)
    {
        var perRequest = new List<(int Length, double Recall)>();
        foreach (var p in prepared)
        {
            int n = Exact(p);
            Approximate(p);
            if (n == 0) continue;
            double recall = 0;
            for (int h = 0; h < _heads; h++)
            {
                var exact = new HashSet<int>(_exactKept.AsSpan(h * K, n).ToArray());
                recall += (double)_pqKept.AsSpan(h * K, n).ToArray().Count(exact.Contains) / n;
            }
            perRequest.Add((p.Length, recall / _heads));
        }
        return RecallSummary.Of(K, perRequest);
    }
}
