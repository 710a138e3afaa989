using Microsoft.ML;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Tests.PsuScoring;

public class PsuRowScorerTests
{
    const int D = 12, Heads = 3, TopK = 5;

    static SequenceVocabularies Vocabularies()
    {
        var ml = new MLContext(1);
        return PsuFixtures.Featurizer(ml, ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(60, 2))).Vocabularies;
    }

    static void AssertClose(double expected, float actual, double tolerance, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected}, got {actual}");

    [Fact]
    public void Fixture_covers_the_cases_the_spec_distinguishes()
    {
        var v = Vocabularies();
        var c = v.Content;
        int c7 = v.Items.IndexOf("c7"), d1 = v.Items.IndexOf("d1");
        Assert.True(d1 >= 2 + v.CatalogItems, "d1 is a data-only item");
        Assert.True(c.Title(c7).ToArray().All(k => k == 0) && c.AttributesOf(c7).ToArray().All(k => k == 0));
        Assert.False(c.Modalities[0].HasVector[c7] || c.Modalities[1].HasVector[c7] || c.Modalities[0].HasVector[d1]);
        Assert.Equal(2, c.Modalities.Count);
        var model = new PsuScoringModel(PsuFixtures.RandomWeights(v, D, Heads, TopK, 3, 8), v);
        Assert.Equal(new[] { "id", "title", "attributes", "Image", "TextVector" }, model.ModalityNames);
        Assert.True(model.HasModality(c7, 0) && !model.HasModality(c7, 1) && !model.HasModality(c7, 3) && !model.HasModality(0, 0));
    }

    [Fact]
    public void Scorer_matches_the_naive_spec_implementation_on_random_rows()
    {
        var v = Vocabularies();
        var weights = PsuFixtures.RandomWeights(v, D, Heads, TopK, 3, 8);
        var scorer = new PsuRowScorer(new PsuScoringModel(weights, v));
        var naive = new NaivePsu(weights, v);
        var target = new float[D];
        var interest = new float[D];
        var rows = PsuFixtures.IndexRows(v, TopK, 300, 4);
        Assert.Contains(rows, r => r.SeminarHistoryItems.Length == 0);
        Assert.Contains(rows, r => r.SeminarHistoryItems.Count(i => i != 0) > TopK);
        Assert.Contains(rows, r => r.SeminarHistoryItems.Length > 0 && r.SeminarHistoryItems.All(i => i == 0));
        Assert.Contains(rows, r => r.SeminarQueryTokens.All(k => k == 0));
        for (int r = 0; r < rows.Length; r++)
        {
            var row = rows[r];
            float score = scorer.Score(row.SeminarHistoryItems, row.SeminarHistoryQueryTokens, row.SeminarTargetItem[0], row.SeminarQueryTokens, target, interest);
            var expected = naive.Score(row.SeminarHistoryItems, row.SeminarHistoryQueryTokens, row.SeminarTargetItem[0], row.SeminarQueryTokens);
            for (int j = 0; j < D; j++)
            {
                AssertClose(expected.Target[j], target[j], 1e-5, $"row {r} target[{j}]");
                AssertClose(expected.Interest[j], interest[j], 1e-5, $"row {r} interest[{j}]");
            }
            AssertClose(expected.Score, score, 1e-5, $"row {r} score");
        }
        Assert.True(rows.Select(r => naive.Score(r.SeminarHistoryItems, r.SeminarHistoryQueryTokens, r.SeminarTargetItem[0], r.SeminarQueryTokens).Score).Distinct().Count() > 250,
            "scores must vary with the rows");
    }

    [Fact]
    public void Empty_and_padding_only_histories_give_the_learned_empty_interest()
    {
        var v = Vocabularies();
        var weights = PsuFixtures.RandomWeights(v, D, Heads, TopK, 5, 8);
        var model = new PsuScoringModel(weights, v);
        var scorer = new PsuRowScorer(model);
        var target = new float[D];
        var interest = new float[D];
        var query = new long[v.MaxQueryTokens];
        scorer.Score(ReadOnlySpan<long>.Empty, ReadOnlySpan<long>.Empty, 2, query, target, interest);
        Assert.Equal(weights.EmptyInterest, interest);
        scorer.Score(new long[] { 0, 0 }, new long[2 * v.MaxQueryTokens], 2, query, target, interest);
        Assert.Equal(weights.EmptyInterest, interest);
        // The target pair without a query is the fused item row.
        Assert.Equal(model.ItemTable.Slice(2 * D, D).ToArray(), target);

    }

    [Fact]
    public void Per_modality_tables_sum_to_the_fused_item_table()
    {
        var v = Vocabularies();
        var model = new PsuScoringModel(PsuFixtures.RandomWeights(v, D, Heads, TopK, 7, 8), v);
        var naive = new NaivePsu(model.Weights, v);
        var sum = new double[model.ItemTable.Length];
        for (int m = 0; m < model.ModalityNames.Count; m++)
        {
            var table = model.ItemModalityTable(m);
            Assert.True(table.Equals(model.ItemModalityTable(m)), "computed once");
            for (int i = 0; i < model.ItemCount; i++)
            {
                bool zero = table.Slice(i * D, D).ToArray().All(x => x == 0);
                Assert.Equal(!model.HasModality(i, m), zero);
            }
            for (int k = 0; k < sum.Length; k++) sum[k] += table.Span[k];
        }
        for (int i = 0; i < model.ItemCount; i++)
        {
            var expected = naive.Item(i);
            for (int j = 0; j < D; j++)
            {
                AssertClose(expected[j], model.ItemTable.Span[i * D + j], 1e-5, $"item {i} fused[{j}]");
                AssertClose(expected[j], (float)sum[i * D + j], 1e-5, $"item {i} modality sum[{j}]");
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ItemModalityTable(model.ModalityNames.Count));
    }

    [Fact]
    public void A_warmed_up_scorer_allocates_nothing_per_row()
    {
        var v = Vocabularies();
        var scorer = new PsuRowScorer(new PsuScoringModel(PsuFixtures.RandomWeights(v, D, Heads, TopK, 8, 8), v));
        var rows = PsuFixtures.IndexRows(v, TopK, 50, 9);
        var target = new float[D];
        var interest = new float[D];
        void ScoreAll()
        {
            foreach (var r in rows) scorer.Score(r.SeminarHistoryItems, r.SeminarHistoryQueryTokens, r.SeminarTargetItem[0], r.SeminarQueryTokens, target, interest);
        }
        ScoreAll();
        long before = GC.GetAllocatedBytesForCurrentThread();
        ScoreAll();
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void A_bad_token_in_a_history_longer_than_K_names_its_behaviour_after_the_one_pass_check()
    {
        // Longer than K: the exact search checks every token in one pass, then falls back to the behaviour-by-behaviour
        // check for the message. End to end: the right behaviour and value, and a later valid request still scores (the
        // one-pass check itself is pinned by PairFusionKernelTests; valid histories score as before by the parity tests).
        var v = Vocabularies();
        var scorer = new PsuRowScorer(new PsuScoringModel(PsuFixtures.RandomWeights(v, D, Heads, TopK, 10, 8), v));
        int t = v.MaxQueryTokens, n = TopK + 6;
        var items = Enumerable.Range(0, n).Select(i => (long)(2 + i % (v.Items.Size - 2))).ToArray();
        var tokens = new long[n * t];
        tokens[(TopK + 3) * t + t - 1] = v.Tokens.Size;
        var target = new float[D];
        var interest = new float[D];
        var e = Assert.Throws<ArgumentException>(() => scorer.Score(items, tokens, 2, new long[t], target, interest));
        Assert.StartsWith($"Column 'SeminarHistoryQueryTokens' at behaviour {TopK + 3}: history query token index {v.Tokens.Size} is outside the token vocabulary", e.Message);
        tokens[(TopK + 3) * t + t - 1] = -1;
        e = Assert.Throws<ArgumentException>(() => scorer.Score(items, tokens, 2, new long[t], target, interest));
        Assert.StartsWith($"Column 'SeminarHistoryQueryTokens' at behaviour {TopK + 3}: history query token index -1 is outside the token vocabulary", e.Message);
        tokens[(TopK + 3) * t + t - 1] = 0;
        scorer.Score(items, tokens, 2, new long[t], target, interest);
        Assert.All(interest, x => Assert.True(float.IsFinite(x)));
    }

    [Fact]
    public void Out_of_range_indices_and_mismatched_lengths_fail_naming_the_column()
    {
        var v = Vocabularies();
        var scorer = new PsuRowScorer(new PsuScoringModel(PsuFixtures.RandomWeights(v, D, Heads, TopK, 10, 8), v));
        var target = new float[D];
        var interest = new float[D];
        int t = v.MaxQueryTokens;
        var query = new long[t];
        var e = Assert.Throws<ArgumentException>(() => scorer.Score(new long[] { 2, v.Items.Size }, new long[2 * t], 2, query, target, interest));
        Assert.Equal($"Column 'SeminarHistoryItems' at behaviour 1: history item index {v.Items.Size} is outside the item vocabulary (valid indices 0 to {v.Items.Size - 1}).", e.Message);
        e = Assert.Throws<ArgumentException>(() => scorer.Score(new long[] { 2 }, new long[] { 0, -3, 0 }, 2, query, target, interest));
        Assert.StartsWith("Column 'SeminarHistoryQueryTokens' at behaviour 0: history query token index -3 is outside the token vocabulary", e.Message);
        e = Assert.Throws<ArgumentException>(() => scorer.Score(Array.Empty<long>(), Array.Empty<long>(), -1, query, target, interest));
        Assert.StartsWith("Column 'SeminarTargetItem': target item index -1 is outside the item vocabulary", e.Message);
        e = Assert.Throws<ArgumentException>(() => scorer.Score(Array.Empty<long>(), Array.Empty<long>(), 2, new long[] { v.Tokens.Size, 0, 0 }, target, interest));
        Assert.StartsWith($"Column 'SeminarQueryTokens': query token index {v.Tokens.Size} is outside the token vocabulary", e.Message);
        e = Assert.Throws<ArgumentException>(() => scorer.Score(new long[] { 2, 3 }, new long[t], 2, query, target, interest));
        Assert.StartsWith($"'SeminarHistoryQueryTokens' holds {t} token indices but 'SeminarHistoryItems' has 2 behaviours: expected {t} per behaviour ({2 * t})", e.Message);
    }
}
