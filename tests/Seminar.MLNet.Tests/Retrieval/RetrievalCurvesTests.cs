using Microsoft.ML;
using Seminar.MLNet.Evaluation.Retrieval;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Tests.PsuScoring;
using Xunit.Abstractions;

namespace Seminar.MLNet.Tests.Retrieval;

public class RetrievalCurvesTests(ITestOutputHelper output)
{
    const int D = 16, Heads = 3, TopK = 5;

    /// <summary>A small random-weight PSU with lossy codes (few centroids), and the featurized test rows as requests.</summary>
    static (PqAttentionModel Model, IReadOnlyList<RetrievalRequest> Requests) Stage(int seed)
    {
        var ml = new MLContext(seed);
        var training = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(120, seed));
        var featurizer = PsuFixtures.Featurizer(ml, training);
        var v = featurizer.Vocabularies;
        var psu = PsuEmbeddingTransformer.Create(ml, PsuFixtures.RandomWeights(v, D, Heads, TopK, seed + 1, 8), v, new PsuColumnOptions(), featurizer.Transform(training));
        var options = new PqAttentionOptions { Quantizer = new ProductQuantizerOptions { SubSpaces = 4, Centroids = 16, Iterations = 10 }, Seed = 5 };
        var model = ml.Seminar().PqAttention(options).Fit(psu.Transform(featurizer.Transform(training))).Model;
        var test = ml.Data.LoadFromEnumerable(PsuFixtures.TestRows(150, seed + 2));
        return (model, RetrievalRequests.Read(featurizer.Transform(test), 150));
    }

    static int RealLength(RetrievalRequest r) => r.HistoryItems.Count(i => i != Vocabulary.Padding);

    [Fact]
    public void Curves_build_requests_of_exactly_the_asked_length_from_the_real_histories_in_order()
    {
        var (model, requests) = Stage(1);
        int t = model.Psu.QueryTokens;
        var behaviours = requests.SelectMany(r => r.HistoryItems.Select((item, l) => (Item: item, Tokens: r.HistoryQueryTokens.Skip(l * t).Take(t).ToArray())))
            .Where(b => b.Item != Vocabulary.Padding).ToArray();
        Assert.True(behaviours.Length > 100);
        foreach (int length in new[] { 1, 37, 3 * behaviours.Length + 5 })
        {
            var built = ConcatenatedHistories.Build(requests, length, 4, t);
            Assert.Equal(4, built.Length);
            for (int i = 0; i < built.Length; i++)
            {
                var b = built[i];
                Assert.Equal(length, b.HistoryItems.Length);
                Assert.Equal(length * t, b.HistoryQueryTokens.Length);
                Assert.DoesNotContain(Vocabulary.Padding, b.HistoryItems.Select(x => (int)x));
                Assert.Equal(requests[i].TargetItem, b.TargetItem);
                Assert.Equal(requests[i].QueryTokens, b.QueryTokens);
                // The behaviours of the real histories from request i's on, wrapping round.
                int start = requests.Take(i).Sum(RealLength);
                for (int l = 0; l < length; l++)
                {
                    var expected = behaviours[(start + l) % behaviours.Length];
                    Assert.Equal(expected.Item, b.HistoryItems[l]);
                    Assert.Equal(expected.Tokens, b.HistoryQueryTokens.AsSpan(l * t, t).ToArray());
                }
            }
        }
        var empty = new[] { new RetrievalRequest(new long[] { 0, 0 }, new long[2 * t], 2, new long[t]) };
        Assert.Throws<ArgumentException>(() => ConcatenatedHistories.Build(empty, 10, 1, t));
    }

    [Fact]
    public void Curves_measure_cost_at_each_length_and_recall_at_each_K()
    {
        var (model, requests) = Stage(2);
        int longest = requests.Max(RealLength);
        Assert.InRange(longest, TopK + 1, 30); // some histories longer than K, all shorter than the largest K below
        var options = new RetrievalCurvesOptions { Lengths = new[] { 2_000, 50, 300 }, Ks = new[] { 1, 3, TopK, longest, 40 }, Rounds = 2, MaxRequests = 8 };
        var curves = RetrievalCurves.Measure(model, requests, options);
        foreach (var p in curves.Lengths)
            output.WriteLine($"L = {p.Length}: {p.Requests} requests, exact {p.ExactMicroseconds:F2} us, PQ {p.PqMicroseconds:F2} us, recall@{curves.K} {p.Recall:F3}");
        foreach (var p in curves.Recall) output.WriteLine($"recall@{p.K} = {p.Recall:F4}");

        Assert.Equal(TopK, curves.K);
        Assert.Equal(requests.Count, curves.Requests);
        Assert.Equal(requests.Average(RealLength), curves.MeanLength, 9);
        Assert.Equal(new[] { 50, 300, 2_000 }, curves.Lengths.Select(p => p.Length));
        Assert.All(curves.Lengths, p =>
        {
            Assert.Equal(options.RequestsAt(p.Length, D), p.Requests);
            Assert.True(double.IsFinite(p.ExactMicroseconds) && p.ExactMicroseconds > 0, $"exact {p.ExactMicroseconds}");
            Assert.True(double.IsFinite(p.PqMicroseconds) && p.PqMicroseconds > 0, $"PQ {p.PqMicroseconds}");
            Assert.Equal(p.ExactMicroseconds / p.PqMicroseconds, p.Speedup, 9);
            Assert.InRange(p.Recall, 0, 1);
        });
        Assert.Equal(8, curves.Lengths[0].Requests); // 50 behaviours of 64 bytes: the request cap binds

        Assert.Equal(new[] { 1, 3, TopK, longest, 40 }, curves.Recall.Select(p => p.K));
        // Recall counts only histories longer than 4K: with K at least every history's length none is, so it is NaN, while
        // over all lengths every behaviour is kept on both sides.
        foreach (var p in curves.Recall)
        {
            Assert.Equal(requests.Count(r => RealLength(r) > 4 * p.K), p.Requests);
            Assert.True(p.Requests == 0 ? double.IsNaN(p.Recall) : p.Recall is >= 0 and <= 1, $"K = {p.K}: {p.Recall} over {p.Requests}");
            Assert.InRange(p.RecallAllLengths, 0, 1);
        }
        Assert.True(curves.Recall.Single(p => p.K == 1).Requests > 0, "some histories longer than 4");
        Assert.Equal(1.0, curves.Recall.Single(p => p.K == longest).RecallAllLengths);
        Assert.True(double.IsNaN(curves.Recall.Single(p => p.K == longest).Recall));
        Assert.Equal(1.0, curves.Recall.Single(p => p.K == 40).RecallAllLengths);
    }

    [Fact]
    public void Curves_without_any_behaviour_have_no_lengths_no_long_history_and_recall_one_over_all()
    {
        var (model, requests) = Stage(3);
        var empty = requests.Select(r => r with { HistoryItems = new long[r.HistoryItems.Length] }).ToArray();
        var curves = RetrievalCurves.Measure(model, empty, new RetrievalCurvesOptions { Lengths = new[] { 100 }, Ks = new[] { 10 } });
        Assert.Empty(curves.Lengths);
        Assert.Equal(0, curves.MeanLength);
        var only = Assert.Single(curves.Recall);
        Assert.Equal(1.0, only.RecallAllLengths);
        Assert.Equal(0, only.Requests);
        Assert.True(double.IsNaN(only.Recall));
        Assert.Throws<ArgumentException>(() => RetrievalCurves.Measure(model, Array.Empty<RetrievalRequest>()));
        Assert.Throws<ArgumentOutOfRangeException>(() => RetrievalCurves.Measure(model, requests, new RetrievalCurvesOptions { Ks = new[] { 0 } }));
    }

    [Fact]
    public void Curves_length_point_fields_lead_the_bench_length_entry_in_the_same_order()
    {
        var bench = new RetrievalBenchReport { Lengths = { new RetrievalBenchLength { Length = 1_000, ExactMicroseconds = 3, PqBytesPerBehaviour = 96 } } };
        using var doc = System.Text.Json.JsonDocument.Parse(bench.ToJson());
        Assert.Equal(new[] { "length", "requests", "exact_us", "pq_us", "speedup", "recall@k", "exact_bytes_per_behaviour", "pq_bytes_per_behaviour",
                             "pq_bandwidth_bound_us", "pq_over_bound", "exact_bandwidth_bound_us", "setting", "candidates", "catalog_items", "approximate_us",
                             "exact_p90_us", "approximate_p90_us", "samples", "evicted", "recall_counted", "code_bytes_per_behaviour", "index_bytes_per_behaviour",
                             "rerank_copy_bytes_per_behaviour", "rerank_bytes_per_candidate", "approximate_stages_us" },
            doc.RootElement.GetProperty("lengths")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(1_000, doc.RootElement.GetProperty("lengths")[0].GetProperty("length").GetInt32());
    }
}
