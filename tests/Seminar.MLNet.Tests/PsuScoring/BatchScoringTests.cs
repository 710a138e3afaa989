using Microsoft.ML;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Retrieval;
using Seminar.MLNet.Retrieval.Strategies;
using Seminar.MLNet.Tests.Retrieval.Strategies;

namespace Seminar.MLNet.Tests.PsuScoring;

/// <summary>
/// Issue 15, many candidates: <see cref="PsuRowScorer.ScoreCandidates"/> (one history, C targets; the relevance step as one
/// matrix product over the blocked history) gives what the row path gives candidate by candidate, on every vector width
/// the kernel has (the scalar fallback included), in one chunk or many, with side features, and allocates nothing once warm.
/// </summary>
public sealed class BatchScoringTests
{
    const int D = 12, Heads = 3, TopK = 5;

    static readonly SimdPath[] Paths = { SimdPath.Best, SimdPath.Vector512, SimdPath.Vector256, SimdPath.Scalar };

    static SequenceVocabularies Vocabularies()
    {
        var ml = new MLContext(1);
        return PsuFixtures.Featurizer(ml, ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(60, 2))).Vocabularies;
    }

    sealed record Outputs(float[] Logits, float[] Targets, float[] Interests);

    static Outputs Rows(PsuRowScorer scorer, PsuIndexRow user, PsuIndexRow[] candidates, bool side)
    {
        var o = new Outputs(new float[candidates.Length], new float[candidates.Length * D], new float[candidates.Length * D]);
        for (int c = 0; c < candidates.Length; c++)
            o.Logits[c] = scorer.Score(user.SeminarHistoryItems, user.SeminarHistoryQueryTokens, candidates[c].SeminarTargetItem[0], candidates[c].SeminarQueryTokens,
                side ? candidates[c].Side : ReadOnlySpan<float>.Empty, o.Targets.AsSpan(c * D, D), o.Interests.AsSpan(c * D, D));
        return o;
    }

    static Outputs Batch(PsuRowScorer scorer, PsuIndexRow user, PsuIndexRow[] candidates, bool side, SimdPath path)
    {
        var o = new Outputs(new float[candidates.Length], new float[candidates.Length * D], new float[candidates.Length * D]);
        scorer.ScoreCandidates(user.SeminarHistoryItems, user.SeminarHistoryQueryTokens, candidates.Select(c => c.SeminarTargetItem[0]).ToArray(),
            candidates.SelectMany(c => c.SeminarQueryTokens).ToArray(), side ? candidates.SelectMany(c => c.Side).ToArray() : Array.Empty<float>(),
            o.Logits, o.Targets, o.Interests, path);
        return o;
    }

    static void AssertClose(Outputs expected, Outputs actual, double tolerance, string what)
    {
        void Close(float[] e, float[] a, string name)
        {
            Assert.Equal(e.Length, a.Length);
            for (int i = 0; i < e.Length; i++)
                Assert.True(Math.Abs(e[i] - a[i]) <= tolerance * Math.Max(1, Math.Abs(e[i])), $"{what}: {name}[{i}] row path {e[i]}, batch {a[i]}");
        }
        Close(expected.Logits, actual.Logits, "logit");
        Close(expected.Targets, actual.Targets, "target");
        Close(expected.Interests, actual.Interests, "interest");
    }

    public static TheoryData<bool, int> Cases => new() { { false, 1 << 22 }, { true, 1 << 22 }, { false, 1 }, { true, 200 } };

    [Theory, MemberData(nameof(Cases))]
    public void Many_candidates_as_one_matrix_product_give_the_row_paths_scores(bool side, int maxBatchScores)
    {
        var v = Vocabularies();
        var weights = side ? PsuFixtures.RandomSideWeights(v, D, Heads, TopK, 21, 8) : PsuFixtures.RandomWeights(v, D, Heads, TopK, 21, 8);
        var model = new PsuScoringModel(weights, v);
        var rows = PsuFixtures.IndexRows(v, TopK, 300, 22);
        // Empty, padding-only, no longer than K, and long histories; lengths not a multiple of the 16-lane block.
        var users = new[]
        {
            rows.First(r => r.SeminarHistoryItems.Length == 0),
            rows.First(r => r.SeminarHistoryItems.Length > 0 && r.SeminarHistoryItems.All(i => i == 0)),
            rows.First(r => r.SeminarHistoryItems.Count(i => i != 0) is > 0 and <= TopK),
            rows.Where(r => r.SeminarHistoryItems.Count(i => i != 0) > 3 * TopK).OrderBy(r => r.SeminarHistoryItems.Length).First(),
            rows.OrderByDescending(r => r.SeminarHistoryItems.Length).First(),
        };
        Assert.True(users[^1].SeminarHistoryItems.Count(i => i != 0) > 100 && users[^1].SeminarHistoryItems.Length % BlockedVectors.BlockSize != 0);
        var rowScorer = new PsuRowScorer(model);
        foreach (var path in Paths)
        {
            var batchScorer = new PsuRowScorer(model) { MaxBatchScores = maxBatchScores };
            foreach (var user in users)
                foreach (int count in new[] { 1, 7, 40 })
                {
                    var candidates = rows.Skip(count).Take(count).ToArray();
                    var expected = Rows(rowScorer, user, candidates, side);
                    var actual = Batch(batchScorer, user, candidates, side, path);
                    AssertClose(expected, actual, 1e-6, $"{path}, L = {user.SeminarHistoryItems.Length}, C = {count}");
                    if (count > 1) Assert.True(actual.Logits.Distinct().Count() > 1, "candidates must get different scores");
                    else Assert.Equal(expected.Logits, actual.Logits); // one candidate takes the row path itself
                }
        }
    }

    [Fact]
    public void Other_strategies_score_the_candidates_one_by_one_to_the_bit()
    {
        var v = Vocabularies();
        var weights = StrategyScoringParityTests.With(PsuFixtures.RandomWeights(v, D, Heads, TopK, 23, 8), new RecentRetrieval(4));
        var model = new PsuScoringModel(weights, v);
        var rows = PsuFixtures.IndexRows(v, TopK, 200, 24);
        var user = rows.OrderByDescending(r => r.SeminarHistoryItems.Length).First();
        var candidates = rows.Take(9).ToArray();
        var expected = Rows(new PsuRowScorer(model), user, candidates, side: false);
        var actual = Batch(new PsuRowScorer(model), user, candidates, side: false, SimdPath.Best);
        Assert.Equal(expected.Logits, actual.Logits);
        Assert.Equal(expected.Interests, actual.Interests);
    }

    [Fact]
    public void A_warmed_up_batch_allocates_nothing_and_lengths_that_disagree_are_named()
    {
        var v = Vocabularies();
        var model = new PsuScoringModel(PsuFixtures.RandomWeights(v, D, Heads, TopK, 25, 8), v);
        var rows = PsuFixtures.IndexRows(v, TopK, 200, 26);
        var users = rows.Where(r => r.SeminarHistoryItems.Length > 20).Take(3).ToArray();
        var candidates = rows.Take(30).ToArray();
        var items = candidates.Select(c => c.SeminarTargetItem[0]).ToArray();
        var queries = candidates.SelectMany(c => c.SeminarQueryTokens).ToArray();
        var logits = new float[candidates.Length];
        var scorer = new PsuRowScorer(model);
        void ScoreAll()
        {
            foreach (var u in users) scorer.ScoreCandidates(u.SeminarHistoryItems, u.SeminarHistoryQueryTokens, items, queries, default, logits, default, default);
        }
        ScoreAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        ScoreAll();
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());

        var e = Assert.Throws<ArgumentException>(() => scorer.ScoreCandidates(users[0].SeminarHistoryItems, users[0].SeminarHistoryQueryTokens, items,
            queries.AsSpan(1), default, logits, default, default));
        Assert.Equal($"'queryTokens' holds {queries.Length - 1} query token indices; the candidates need {queries.Length}. (Parameter 'queryTokens')", e.Message);
        e = Assert.Throws<ArgumentException>(() => scorer.ScoreCandidates(users[0].SeminarHistoryItems, users[0].SeminarHistoryQueryTokens, items,
            queries, default, logits.AsSpan(1), default, default));
        Assert.StartsWith($"'logits' holds {logits.Length - 1} logits; the candidates need {logits.Length}.", e.Message);
    }

    [Fact]
    public void Chunks_keep_their_scores_in_cache_while_the_history_does_and_grow_once_it_does_not()
    {
        var v = Vocabularies();
        var scorer = new PsuRowScorer(new PsuScoringModel(PsuFixtures.RandomWeights(v, D, Heads, TopK, 21, 8), v))
        {
            MaxBatchScores = 12_000, CachedBatchScores = 1_200, CachedHistoryBytes = 100 * D * sizeof(float),
        };
        // X of 100 rows is cached: 1,200 scores hold 4 candidates of 3 heads by 100, never more than asked.
        Assert.Equal(4, scorer.BatchChunk(50, 100));
        Assert.Equal(2, scorer.BatchChunk(2, 100));
        // X of 112 or 480 rows is not: the larger budget, 35 or 8 candidates.
        Assert.Equal(35, scorer.BatchChunk(50, 112));
        Assert.Equal(8, scorer.BatchChunk(50, 480));
        // A forced smaller budget wins over the cached one (the chunked cases above rely on it), and a chunk is never empty.
        scorer.MaxBatchScores = 600;
        Assert.Equal(2, scorer.BatchChunk(50, 100));
        Assert.Equal(1, scorer.BatchChunk(50, 480));
    }
}
