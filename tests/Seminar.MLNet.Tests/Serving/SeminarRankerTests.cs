using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Tests.PsuScoring;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Serving;

/// <summary>
/// Issue 15, ranking requests: <see cref="SeminarRanker"/> scores one history against many candidates through the whole chain
/// (featurizer, PSU, PQ, FastTree over the PQ and PSU outputs and a per-candidate price) and gives what <c>Transform</c> gives for
/// the same rows, on the fitted and on the stock-loaded chain.
/// </summary>
public sealed class SeminarRankerTests
{
    const int D = 8, Heads = 2, TopK = 3;

    public sealed class PricedRow
    {
        public string[] HistoryItems { get; set; } = Array.Empty<string>();
        public string[] HistoryQueries { get; set; } = Array.Empty<string>();
        public string TargetItem { get; set; } = "";
        public string Query { get; set; } = "";
        public string UserId { get; set; } = "";
        public bool Label { get; set; }
        public float Price { get; set; }
    }

    internal static PricedRow[] Rows(int count, int seed)
    {
        var rng = new Random(seed + 1);
        return PsuFixtures.TrainingRows(count, seed).Select(r => new PricedRow
        {
            HistoryItems = r.HistoryItems, HistoryQueries = r.HistoryQueries, TargetItem = r.TargetItem, Query = r.Query, Label = r.Label,
            UserId = "u" + rng.Next(10), Price = (float)Math.Round(rng.NextDouble() * 100 + (r.Label ? 20 : 0), 2),
        }).ToArray();
    }

    internal static (MLContext Ml, ITransformer Model, DataViewSchema Schema) Fit(int seed)
    {
        var ml = new MLContext(seed);
        var training = ml.Data.LoadFromEnumerable(Rows(150, seed));
        var featurizer = PsuFixtures.Featurizer(ml, training);
        var featurized = featurizer.Transform(training);
        var psu = PsuEmbeddingTransformer.Create(ml, PsuFixtures.RandomWeights(featurizer.Vocabularies, D, Heads, TopK, seed + 1, 8),
            featurizer.Vocabularies, new PsuColumnOptions(), featurized);
        var head = ml.Seminar().PqAttention(new PqAttentionOptions { Quantizer = new ProductQuantizerOptions { SubSpaces = 2, Centroids = 16, Iterations = 5 }, Seed = 1 })
            .Append(ml.Transforms.Concatenate("Features", "SeminarPqInterest", "SeminarPqScore", "SeminarScore", "Price"))
            .Append(ml.BinaryClassification.Trainers.FastTree(numberOfTrees: 10, minimumExampleCountPerLeaf: 2))
            .Fit(psu.Transform(featurized));
        return (ml, new TransformerChain<ITransformer>(featurizer, psu, head), training.Schema);
    }

    internal static RankingRequest Request(PricedRow user, PricedRow[] candidates) => new()
    {
        HistoryItems = user.HistoryItems, HistoryQueries = user.HistoryQueries,
        Candidates = candidates.Select(c => new RankingCandidate { Item = c.TargetItem, Query = c.Query, Features = new Dictionary<string, float> { ["Price"] = c.Price } }).ToArray(),
    };

    /// <summary>What Transform gives for the candidates as rows that all carry <paramref name="user"/>'s history.</summary>
    static float[] TransformScores(MLContext ml, ITransformer model, PricedRow user, PricedRow[] candidates, string column = "Score")
    {
        var rows = candidates.Select(c => new PricedRow { HistoryItems = user.HistoryItems, HistoryQueries = user.HistoryQueries, TargetItem = c.TargetItem, Query = c.Query, Price = c.Price }).ToList();
        var scored = model.Transform(ml.Data.LoadFromEnumerable(rows));
        return column == "Score"
            ? scored.GetColumn<float>(column).ToArray()
            : scored.GetColumn<float[]>(column).Select(v => v[0]).ToArray();
    }

    [Fact]
    public void Ranking_a_history_against_candidates_gives_the_scores_Transform_gives_fitted_and_stock_loaded()
    {
        var (ml, model, schema) = Fit(3);
        var test = Rows(60, 44);
        var user = test.OrderByDescending(r => r.HistoryItems.Length).First();
        Assert.True(user.HistoryItems.Length > TopK, "a history longer than K, so retrieval chooses");
        var candidates = test.Take(40).ToArray();

        using var ranker = new SeminarRanker(model, schema);
        // The score reads PQ attention and the PSU: the later stage, PQ, scores a request's candidates in one batch, the PSU row by row.
        Assert.IsType<PqAttentionTransformer>(ranker.BatchedStage);
        var ranked = ranker.Rank(Request(user, candidates));
        var expected = TransformScores(ml, model, user, candidates);
        // PQ's batch and the PSU's row path give Transform's bits.
        Assert.Equal(expected, ranked);
        Assert.True(ranked.Distinct().Count() > 5, "candidates must score differently, else the comparison shows little");
        // History lists that are neither arrays nor lists reach the featurizer through the columns' getters rather than in place: the same bits.
        var wrapped = Request(user, candidates);
        wrapped.HistoryItems = Array.AsReadOnly(user.HistoryItems);
        wrapped.HistoryQueries = Array.AsReadOnly(user.HistoryQueries);
        Assert.Equal(ranked, ranker.Rank(wrapped));

        // The caller's buffer, and a second request on the same ranker: no state leaks from the first.
        var other = test.OrderBy(r => r.HistoryItems.Length).First();
        var buffer = new float[candidates.Length + 2];
        ranker.Rank(Request(other, candidates), buffer);
        AssertClose(TransformScores(ml, model, other, candidates), buffer.Take(candidates.Length).ToArray(), 1e-5);
        Assert.Equal(0f, buffer[^1]);

        using var tmp = new TempFolder();
        ml.Model.Save(model, schema, tmp.File("model.zip"));
        var loadContext = new MLContext(1);
        var loaded = loadContext.Model.Load(tmp.File("model.zip"), out var loadedSchema);
        using var loadedRanker = new SeminarRanker(loaded, loadedSchema);
        Assert.False(loadedRanker.BatchesPsu, "a stock-loaded chain holds OnnxTransformers: candidate by candidate");
        var fromZip = loadedRanker.Rank(Request(user, candidates));
        Assert.Equal(TransformScores(loadContext, loaded, user, candidates), fromZip);
        for (int c = 0; c < candidates.Length; c++) Assert.True(Math.Abs(fromZip[c] - ranked[c]) <= 1e-4, $"candidate {c}: {fromZip[c]} vs {ranked[c]}");

        // A PSU output as the score (a vector of one Single); browsing history when no queries are given.
        using var logits = new SeminarRanker(model, schema, new SeminarRankerOptions { ScoreColumnName = "SeminarScore" });
        // The PSU's own score: its exact GSU scores the candidates as one matrix product.
        Assert.IsType<PsuEmbeddingTransformer>(logits.BatchedStage);
        var browsing = new PricedRow { HistoryItems = user.HistoryItems, HistoryQueries = user.HistoryItems.Select(_ => "").ToArray() };
        var request = Request(user, candidates);
        request.HistoryQueries = null;
        AssertClose(TransformScores(ml, model, browsing, candidates, "SeminarScore"), logits.Rank(request), 1e-5);
        Assert.Empty(ranker.Rank(new RankingRequest { HistoryItems = user.HistoryItems }));
    }

    [Fact]
    public void Concurrent_requests_on_one_ranker_each_get_the_scores_a_lone_request_gets()
    {
        var (_, model, schema) = Fit(7);
        var test = Rows(80, 45);
        var requests = test.Take(16).Select((u, i) => Request(u, test.Skip(20 + i).Take(10 + i).ToArray())).ToArray();
        using var ranker = new SeminarRanker(model, schema);
        var alone = requests.Select(ranker.Rank).ToArray();
        Assert.True(alone.SelectMany(a => a).Distinct().Count() > 20, "requests must score differently, else a mix-up goes unseen");

        // 8 threads through the same ranker, each request several times in shifted orders: pooled sessions must not mix requests.
        var results = new float[8][][];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            results[t] = new float[requests.Length * 3][];
            for (int i = 0; i < results[t].Length; i++) results[t][i] = ranker.Rank(requests[(i + t) % requests.Length]);
        });
        for (int t = 0; t < 8; t++)
            for (int i = 0; i < results[t].Length; i++)
                Assert.Equal(alone[(i + t) % requests.Length], results[t][i]);
    }

    static void AssertClose(float[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"candidate {i}: Transform {expected[i]}, ranker {actual[i]}");
    }

    [Fact]
    public void Requests_the_model_cannot_score_fail_with_a_message_naming_what_is_wrong()
    {
        var (_, model, schema) = Fit(5);
        using var ranker = new SeminarRanker(model, schema);
        var candidate = new RankingCandidate { Item = "c1", Features = new Dictionary<string, float> { ["Price"] = 3 } };

        var lengths = Assert.Throws<ArgumentException>(() => ranker.Rank(new RankingRequest { HistoryItems = new[] { "c1", "c2" }, HistoryQueries = new[] { "" }, Candidates = new[] { candidate } }));
        Assert.StartsWith("The request has 2 history items but 1 history queries; give one query (empty = browsing) per item, or none.", lengths.Message);

        var price = Assert.Throws<ArgumentException>(() => ranker.Rank(new RankingRequest { HistoryItems = new[] { "c1" }, Candidates = new[] { candidate, new RankingCandidate { Item = "c2" } } }));
        Assert.StartsWith("The model reads the numeric column 'Price'; neither candidate 1's Features nor the request's Features has it.", price.Message);
        // A request-level value serves every candidate.
        Assert.Equal(2, ranker.Rank(new RankingRequest { HistoryItems = new[] { "c1" }, Candidates = new[] { candidate, new RankingCandidate { Item = "c2" } }, Features = new Dictionary<string, float> { ["Price"] = 1 } }).Length);

        var item = Assert.Throws<ArgumentException>(() => ranker.Rank(new RankingRequest { HistoryItems = new[] { "c1" }, Candidates = new[] { new RankingCandidate { Item = null!, Features = candidate.Features } } }));
        Assert.StartsWith("Candidate 0 has no item id.", item.Message);

        var column = Assert.Throws<ArgumentException>(() => new SeminarRanker(model, schema, new SeminarRankerOptions { ScoreColumnName = "Relevance" }));
        Assert.StartsWith("The model has no output column 'Relevance'; set SeminarRankerOptions.ScoreColumnName (outputs: ", column.Message);
        Assert.Contains("SeminarPqScore", column.Message);
        var type = Assert.Throws<ArgumentException>(() => new SeminarRanker(model, schema, new SeminarRankerOptions { ScoreColumnName = "SeminarInterest" }));
        Assert.StartsWith("Output column 'SeminarInterest' is Vector<Single, 8>; a score must be a Single or a vector of one Single.", type.Message);
    }
}
