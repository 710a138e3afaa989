using System.Diagnostics;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>
/// Measures approximate (product-quantized) retrieval against the exact GSU on the same requests, one thread, each
/// with the data it would keep per user: exact scans every behaviour's fused pair vector (<c>4·D</c> bytes) with the
/// blocked FMA kernel, approximate scans its byte codes. Both then take each head's top-K with the same selector; the
/// ESU that follows costs the same for both and is left out. Requests are prepared before timing (their vectors and
/// codes are stored data, not per-request work).
/// </summary>
public static class RetrievalComparison
{
    /// <summary>Prepares, checks and times every request.</summary>
    /// <param name="model">The PSU and its quantizers.</param>
    /// <param name="requests">Requests; each is prepared once and kept in memory, so size them to fit.</param>
    /// <param name="rounds">Timed passes over all requests (after warm-up passes); the median pass counts.</param>
    public static RetrievalMeasurement Measure(PqAttentionModel model, IReadOnlyList<RetrievalRequest> requests, int rounds = 5)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var psu = model.Psu;
        int d = psu.Dimension, heads = psu.Heads, k = model.TopK;
        var prepared = requests.Select(r => Prepare(model, r)).ToArray();
        var selector = new TopKSelector(k);
        var retriever = new PqRetriever(model.Codebooks, heads, k);
        var exactKept = new int[heads * k];
        var pqKept = new int[heads * k];
        var scores = new float[heads * Math.Max(1, prepared.Max(p => p.Vectors.PaddedCount))];

        double recall = 0;
        int counted = 0;
        foreach (var p in prepared)
        {
            int n = Exact(p, heads, selector, scores, exactKept);
            retriever.Retrieve(p.U, p.Codes, pqKept);
            if (n == 0) continue;
            for (int h = 0; h < heads; h++)
            {
                var exact = new HashSet<int>(exactKept.AsSpan(h * k, n).ToArray());
                recall += (double)pqKept.AsSpan(h * k, n).ToArray().Count(exact.Contains) / n;
                counted++;
            }
        }

        var exactTimes = new List<double>();
        var pqTimes = new List<double>();
        const int warmUp = 3; // JIT tiering settles over the first few hundred calls
        for (int round = 0; round < warmUp + rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            foreach (var p in prepared) Exact(p, heads, selector, scores, exactKept);
            double exactUs = clock.Elapsed.TotalMicroseconds / prepared.Length;
            clock.Restart();
            foreach (var p in prepared) retriever.Retrieve(p.U, p.Codes, pqKept);
            double pqUs = clock.Elapsed.TotalMicroseconds / prepared.Length;
            if (round < warmUp) continue; // warm-up: JIT, first touch of every buffer
            exactTimes.Add(exactUs);
            pqTimes.Add(pqUs);
        }
        return new RetrievalMeasurement(prepared.Length, prepared.Average(p => (double)p.Vectors.Count), k, Median(exactTimes), Median(pqTimes),
            counted == 0 ? 1 : recall / counted, 4 * d, model.BytesPerBehaviour);
    }

    static int Exact(Prepared p, int heads, TopKSelector selector, float[] scores, int[] kept)
    {
        int n = p.Vectors.Count, padded = p.Vectors.PaddedCount, k = selector.K;
        p.Vectors.Score(p.U, heads, scores);
        for (int h = 0; h < heads; h++) selector.Select(scores.AsSpan(h * padded, n), kept.AsSpan(h * k, k));
        return Math.Min(k, n);
    }

    sealed record Prepared(float[] U, BlockedVectors Vectors, PqCodeBlocks Codes);

    static Prepared Prepare(PqAttentionModel model, RetrievalRequest r)
    {
        var psu = model.Psu;
        int d = psu.Dimension, t = psu.QueryTokens;
        var columns = new PsuColumnOptions();
        var fusion = new PairFusion(psu);
        var u = new float[psu.Heads * d];
        fusion.FuseTarget(r.TargetItem, r.QueryTokens, columns, new float[d], u);

        // One encoder per request: its code layout is this request's stored codes.
        var encoder = new PqHistoryEncoder(model, columns, fusion);
        int n = encoder.Encode(r.HistoryItems, r.HistoryQueryTokens);
        var rows = new float[(long)n * d];
        var positions = encoder.Positions;
        for (int j = 0; j < n; j++)
        {
            int l = positions[j];
            fusion.Fuse((int)r.HistoryItems[l], r.HistoryQueryTokens.AsSpan(l * t, t), columns.HistoryQueryTokensColumn, "history query token", l, rows.AsSpan(j * d, d));
        }
        var vectors = new BlockedVectors(d, Math.Max(n, 1));
        vectors.Load(rows, n);
        return new Prepared(u, vectors, encoder.Codes);
    }

    static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
