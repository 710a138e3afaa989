using System.Diagnostics;
using Seminar.MLNet.Quantization;

namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>
/// Measures approximate (product-quantized) retrieval against the exact GSU on the same requests, one thread, each
/// with the data it would keep per user: exact scans every behaviour's fused pair vector (<c>4·D</c> bytes) with the
/// blocked FMA kernel, approximate scans its item's 4-bit catalog codes, adds the exact query part and re-ranks a shortlist exactly. Both then take each head's top-K with the same selector; the
/// ESU that follows costs the same for both and is left out. Requests are prepared before timing (their vectors and
/// codes are stored data, not per-request work).
/// </summary>
public static class RetrievalComparison
{
    /// <summary>Prepares, checks and times every request.</summary>
    /// <param name="model">The PSU and its quantizers.</param>
    /// <param name="requests">Requests (at least one); each is prepared once and kept in memory, so size them to fit.</param>
    /// <param name="rounds">Timed passes over all requests (after warm-up passes); the median pass counts.</param>
    internal static RetrievalMeasurement Measure(PqAttentionModel model, IReadOnlyList<RetrievalRequest> requests, int rounds = 5)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        if (requests.Count == 0) throw new ArgumentException("No requests to measure.", nameof(requests));
        return Measure(model, requests.Select(r => PreparedRequest.Prepare(model, r)).ToArray(), rounds);
    }

    /// <summary>Checks and times requests already prepared for <paramref name="model"/> (at least one).</summary>
    internal static RetrievalMeasurement Measure(PqAttentionModel model, IReadOnlyList<PreparedRequest> prepared, int rounds)
    {
        var pass = new RetrievalPass(model, model.TopK);
        var recall = pass.Recall(prepared);

        var exactTimes = new List<double>();
        var pqTimes = new List<double>();
        const int warmUp = 3; // JIT tiering settles over the first few hundred calls
        for (int round = 0; round < warmUp + rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            foreach (var p in prepared) pass.Exact(p);
            double exactUs = clock.Elapsed.TotalMicroseconds / prepared.Count;
            clock.Restart();
            foreach (var p in prepared) pass.Approximate(p);
            double pqUs = clock.Elapsed.TotalMicroseconds / prepared.Count;
            if (round < warmUp) continue; // warm-up: JIT, first touch of every buffer
            exactTimes.Add(exactUs);
            pqTimes.Add(pqUs);
        }
        return new RetrievalMeasurement(prepared.Count, prepared.Average(p => (double)p.Length), model.TopK, Median(exactTimes), Median(pqTimes),
            recall, 4 * model.Psu.Dimension, model.BytesPerBehaviour, model.BytesPerItem);
    }

    static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
