using Microsoft.ML;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;

namespace Seminar.MLNet.Tests.PsuScoring;

/// <summary>
/// Issue 15, history reuse: a scorer that keeps the last history's fused rows (PSU) or codes (PQ) gives, row for row, the
/// bits a fresh scorer gives, whether histories repeat, alternate or change in one item or one query token; the history
/// arrays are mutated in place between rows, as ML.NET reuses its input buffers.
/// </summary>
public sealed class HistoryReuseTests
{
    const int D = 12, Heads = 3, TopK = 5;

    static (SequenceVocabularies V, PsuScoringModel Psu, PqAttentionModel Pq) Models()
    {
        var ml = new MLContext(3);
        var training = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(120, 3));
        var featurizer = PsuFixtures.Featurizer(ml, training);
        var v = featurizer.Vocabularies;
        var psu = PsuEmbeddingTransformer.Create(ml, PsuFixtures.RandomWeights(v, D, Heads, TopK, 4, 8), v, new PsuColumnOptions(), featurizer.Transform(training));
        var pq = ml.Seminar().PqAttention(new PqAttentionOptions { Quantizer = new ProductQuantizerOptions { SubSpaces = 4, Centroids = 16, Iterations = 5 }, Seed = 5 })
            .Fit(psu.Transform(featurizer.Transform(training)));
        return (v, psu.Model, pq.Model);
    }

    /// <summary>One row's outputs as bits: logit, then the interest (and the target for the PSU).</summary>
    delegate int[] Scorer(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens, PsuIndexRow target);

    static Scorer Psu(PsuScoringModel model) => Psu(new PsuRowScorer(model));

    static Scorer Psu(PsuRowScorer scorer) => (items, tokens, row) =>
    {
        var target = new float[D];
        var interest = new float[D];
        float logit = scorer.Score(items, tokens, row.SeminarTargetItem[0], row.SeminarQueryTokens, target, interest);
        return Bits(interest.Prepend(logit).Concat(target));
    };

    static Scorer Pq(PqAttentionModel model) => Pq(new PqRowScorer(model));

    static Scorer Pq(PqRowScorer scorer) => (items, tokens, row) =>
    {
        var interest = new float[D];
        float logit = scorer.Score(items, tokens, row.SeminarTargetItem[0], row.SeminarQueryTokens, interest);
        return Bits(interest.Prepend(logit));
    };

    static int[] Bits(IEnumerable<float> values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    public static TheoryData<string> Paths => new() { "psu", "pq" };

    static (Func<Scorer> Fresh, SequenceVocabularies V) Fresh(string path)
    {
        var (v, psu, pq) = Models();
        return (path == "psu" ? () => Psu(psu) : () => Pq(pq), v);
    }

    static PsuIndexRow[] Rows(SequenceVocabularies v, int seed) => PsuFixtures.IndexRows(v, TopK, 120, seed);

    [Theory, MemberData(nameof(Paths))]
    public void Consecutive_and_alternating_equal_histories_give_a_fresh_scorers_bits(string path)
    {
        var (fresh, v) = Fresh(path);
        var rows = Rows(v, 11);
        var users = rows.Where(r => r.SeminarHistoryItems.Count(i => i != 0) > 3 * TopK).Take(3).ToArray();
        Assert.Equal(3, users.Length);
        var reused = fresh();
        // One buffer per column, refilled per row as a cursor does: same user for a run of candidates, then another, then back.
        var items = new long[users.Max(u => u.SeminarHistoryItems.Length)];
        var tokens = new long[users.Max(u => u.SeminarHistoryQueryTokens.Length)];
        int[] order = { 0, 0, 0, 0, 1, 1, 0, 2, 2, 2, 1, 0, 0 };
        int rowsWithDifferentOutputs = 0;
        int[]? previous = null;
        for (int i = 0; i < order.Length; i++)
        {
            var user = users[order[i]];
            var candidate = rows[i + 40];
            var h = items.AsSpan(0, user.SeminarHistoryItems.Length);
            var q = tokens.AsSpan(0, user.SeminarHistoryQueryTokens.Length);
            user.SeminarHistoryItems.CopyTo(h);
            user.SeminarHistoryQueryTokens.CopyTo(q);
            var got = reused(h, q, candidate);
            var expected = fresh()(user.SeminarHistoryItems, user.SeminarHistoryQueryTokens, candidate);
            Assert.True(expected.SequenceEqual(got), $"row {i} (user {order[i]}): the reusing scorer's bits differ from a fresh scorer's");
            if (previous != null && !previous.SequenceEqual(got)) rowsWithDifferentOutputs++;
            previous = got;
        }
        Assert.True(rowsWithDifferentOutputs >= order.Length - 2, "candidates must change the outputs, else equal bits show nothing");
    }

    [Theory, MemberData(nameof(Paths))]
    public void A_history_changed_in_one_item_or_one_query_token_is_not_served_from_the_cache(string path)
    {
        var (fresh, v) = Fresh(path);
        var rows = Rows(v, 12);
        var user = rows.First(r => r.SeminarHistoryItems.Count(i => i != 0) > 3 * TopK && r.SeminarHistoryQueryTokens.Any(k => k != 0));
        var candidate = rows.First(r => r != user && r.SeminarHistoryItems.Length > 0);
        int t = v.MaxQueryTokens;
        var original = fresh()(user.SeminarHistoryItems, user.SeminarHistoryQueryTokens, candidate);

        // Every single-item and single-token edit that changes a fresh scorer's output must change the reusing scorer's too.
        int itemEdits = 0, tokenEdits = 0;
        for (int l = 0; l < user.SeminarHistoryItems.Length; l++)
        {
            if (user.SeminarHistoryItems[l] == 0) continue;
            var items = (long[])user.SeminarHistoryItems.Clone();
            items[l] = 1 + (items[l] % (v.Items.Size - 1));
            if (Edited(fresh, original, user.SeminarHistoryItems, user.SeminarHistoryQueryTokens, items, user.SeminarHistoryQueryTokens, candidate)) itemEdits++;
            var tokens = (long[])user.SeminarHistoryQueryTokens.Clone();
            tokens[l * t] = 1 + (tokens[l * t] % (v.Tokens.Size - 1));
            if (Edited(fresh, original, user.SeminarHistoryItems, user.SeminarHistoryQueryTokens, user.SeminarHistoryItems, tokens, candidate)) tokenEdits++;
        }
        Assert.True(itemEdits > 0, "some one-item edit must change the outputs");
        Assert.True(tokenEdits > 0, "some one-token edit must change the outputs");
    }

    /// <summary>
    /// Scores the original history then the edited one on one scorer, the edit written into the same buffers; asserts the
    /// second row has a fresh scorer's bits. True when the edit changes the outputs.
    /// </summary>
    static bool Edited(Func<Scorer> fresh, int[] original, long[] items, long[] tokens, long[] editedItems, long[] editedTokens, PsuIndexRow candidate)
    {
        var scorer = fresh();
        var itemBuffer = (long[])items.Clone();
        var tokenBuffer = (long[])tokens.Clone();
        Assert.True(original.SequenceEqual(scorer(itemBuffer, tokenBuffer, candidate)));
        editedItems.CopyTo(itemBuffer, 0);
        editedTokens.CopyTo(tokenBuffer, 0);
        var expected = fresh()(editedItems, editedTokens, candidate);
        var got = scorer(itemBuffer, tokenBuffer, candidate);
        Assert.True(expected.SequenceEqual(got), "an edited history must be scored as a fresh scorer scores it");
        return !expected.SequenceEqual(original);
    }

    [Fact]
    public void A_history_that_failed_half_way_is_not_remembered()
    {
        var (v, psu, _) = Models();
        var rows = Rows(v, 13);
        var user = rows.First(r => r.SeminarHistoryItems.Count(i => i != 0) > 3 * TopK);
        var scorer = Psu(psu);
        var bad = (long[])user.SeminarHistoryItems.Clone();
        bad[^1] = v.Items.Size;
        var e = Assert.Throws<ArgumentException>(() => scorer(bad, user.SeminarHistoryQueryTokens, rows[0]));
        Assert.Contains($"history item index {v.Items.Size} is outside the item vocabulary", e.Message);
        // The same history again must fail again, not be served from rows fused before the error.
        e = Assert.Throws<ArgumentException>(() => scorer(bad, user.SeminarHistoryQueryTokens, rows[1]));
        Assert.Contains("is outside the item vocabulary", e.Message);
        Assert.True(Psu(psu)(user.SeminarHistoryItems, user.SeminarHistoryQueryTokens, rows[1]).SequenceEqual(scorer(user.SeminarHistoryItems, user.SeminarHistoryQueryTokens, rows[1])));
    }

    [Fact]
    public void Pq_candidates_scored_in_one_call_give_the_row_paths_bits_and_refuse_short_buffers_by_name()
    {
        var (v, _, pq) = Models();
        var rows = Rows(v, 13);
        var users = rows.Where(r => r.SeminarHistoryItems.Count(i => i != 0) > 3 * TopK).Take(2)
            .Append(rows.First(r => r.SeminarHistoryItems.All(i => i == 0))).ToArray();
        var candidates = rows.Take(9).ToArray();
        var batch = new PqRowScorer(pq);
        foreach (var user in users)
        {
            var logits = new float[candidates.Length];
            var targets = new float[candidates.Length * D];
            var interests = new float[candidates.Length * D];
            batch.ScoreCandidates(user.SeminarHistoryItems, user.SeminarHistoryQueryTokens, candidates.Select(c => c.SeminarTargetItem[0]).ToArray(),
                candidates.SelectMany(c => c.SeminarQueryTokens).ToArray(), ReadOnlySpan<float>.Empty, logits, targets, interests);
            for (int c = 0; c < candidates.Length; c++)
            {
                var alone = new PqRowScorer(pq);
                var interest = new float[D];
                float logit = alone.Score(user.SeminarHistoryItems, user.SeminarHistoryQueryTokens, candidates[c].SeminarTargetItem[0], candidates[c].SeminarQueryTokens, interest);
                Assert.Equal(Bits(interest.Prepend(logit)), Bits(interests.Skip(c * D).Take(D).Prepend(logits[c])));
            }
            Assert.True(logits.Distinct().Count() > 1, "candidates must score differently");
        }
        var e = Assert.Throws<ArgumentException>(() => batch.ScoreCandidates(users[0].SeminarHistoryItems, users[0].SeminarHistoryQueryTokens, new long[] { 1, 2 },
            new long[2 * pq.Psu.QueryTokens], ReadOnlySpan<float>.Empty, new float[1], Span<float>.Empty, Span<float>.Empty));
        Assert.StartsWith("'logits' holds 1 logits; the candidates need 2.", e.Message);
        e = Assert.Throws<ArgumentException>(() => batch.ScoreCandidates(users[0].SeminarHistoryItems, users[0].SeminarHistoryQueryTokens[1..], new long[] { 1 },
            new long[pq.Psu.QueryTokens], ReadOnlySpan<float>.Empty, new float[1], Span<float>.Empty, Span<float>.Empty));
        Assert.Contains("'SeminarHistoryQueryTokens' holds", e.Message);
    }
}
