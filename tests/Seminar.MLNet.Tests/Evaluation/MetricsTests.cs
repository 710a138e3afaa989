using Seminar.MLNet.Evaluation.Metrics;

namespace Seminar.MLNet.Tests.Evaluation;

public class MetricsTests
{
    const bool T = true, F = false;
    const double Tol = 1e-12;

    // ---------------------------------------------------------------- AUC

    [Fact]
    public void Auc_is_one_for_a_perfect_ranking_and_zero_for_an_inverted_one()
    {
        float[] scores = [0.9f, 0.1f, 0.8f, 0.2f];
        // Both positives (0.9, 0.8) beat both negatives (0.1, 0.2): 4 of 4 pairs.
        Assert.Equal(1.0, BinaryMetrics.Auc(scores, [T, F, T, F]));
        // Positives 0.1 and 0.2 lose to both negatives 0.9 and 0.8: 0 of 4 pairs.
        Assert.Equal(0.0, BinaryMetrics.Auc(scores, [F, T, F, T]));
    }

    [Fact]
    public void Auc_counts_a_tie_between_a_positive_and_a_negative_as_half()
    {
        // Positives 0.3, 0.5; negatives 0.5, 0.1.
        // 0.3: loses to 0.5 (0), beats 0.1 (1) -> 1.  0.5: ties 0.5 (1/2), beats 0.1 (1) -> 1.5.
        // AUC = 2.5 / 4 = 0.625.
        Assert.Equal(0.625, BinaryMetrics.Auc([0.3f, 0.5f, 0.5f, 0.1f], [T, T, F, F]));
        // -0 and +0 are the same score: a tie, 1/2.
        Assert.Equal(0.5, BinaryMetrics.Auc([-0f, 0f], [T, F]));
        // Everything tied: every pair is 1/2.
        Assert.Equal(0.5, BinaryMetrics.Auc([0.4f, 0.4f, 0.4f, 0.4f, 0.4f], [T, F, F, T, F]));
    }

    [Fact]
    public void Auc_is_NaN_when_a_class_is_absent()
    {
        Assert.True(double.IsNaN(BinaryMetrics.Auc([0.1f, 0.7f, 0.3f], [T, T, T])));
        Assert.True(double.IsNaN(BinaryMetrics.Auc([0.1f, 0.7f, 0.3f], [F, F, F])));
        Assert.True(double.IsNaN(BinaryMetrics.Auc([], [])));
    }

    [Fact]
    public void Auc_rejects_mismatched_lengths_and_NaN_scores()
    {
        var e = Assert.Throws<ArgumentException>(() => BinaryMetrics.Auc([0.1f, 0.2f, 0.3f], [T, F, T, F]));
        Assert.Contains("scores has 3", e.Message);
        Assert.Contains("labels has 4", e.Message);
        var nan = Assert.Throws<ArgumentException>(() => BinaryMetrics.Auc([0.1f, float.NaN], [T, F]));
        Assert.Contains("scores[1]", nan.Message);
    }

    // ---------------------------------------------------------------- LogLoss

    [Fact]
    public void LogLoss_matches_a_hand_computed_value()
    {
        // Exactly representable probabilities. Per item:
        //  0.75  label 1: -ln 0.75  = 0.2876820724517809
        //  0.25  label 0: -ln 0.75  = 0.2876820724517809
        //  0.125 label 0: -ln 0.875 = 0.1335313926245226
        //  0.5   label 1: -ln 0.5   = 0.6931471805599453
        // Sum 1.4020427180880297, mean 0.3505106795220074.
        double loss = BinaryMetrics.LogLoss([0.75f, 0.25f, 0.125f, 0.5f], [T, F, F, T]);
        Assert.Equal(0.3505106795220074, loss, 1e-9);
    }

    [Fact]
    public void LogLoss_clips_zero_and_one()
    {
        // p = 0 with label 1 is clipped to 1e-15: -ln 1e-15 = 15 ln 10 = 34.538776394910684.
        Assert.Equal(34.538776394910684, BinaryMetrics.LogLoss([0f], [T]), 1e-9);
        // Confident and right: p = 1 with label 1 and p = 0 with label 0 cost about 1e-15, not 0 and not NaN.
        double right = BinaryMetrics.LogLoss([1f, 0f], [T, F]);
        Assert.InRange(right, 1e-16, 1e-14);
        // With epsilon 0.25: p = 1, label 0 -> 1 - 0.75 = 0.25 -> -ln 0.25 = 1.3862943611198906;
        // p = 0, label 0 -> clipped to 0.25 -> -ln 0.75 = 0.2876820724517809; mean 0.8369882167858358.
        Assert.Equal(0.8369882167858358, BinaryMetrics.LogLoss([1f, 0f], [F, F], epsilon: 0.25), 1e-9);
    }

    [Fact]
    public void LogLoss_rejects_bad_probabilities_naming_index_and_value()
    {
        var high = Assert.Throws<ArgumentException>(() => BinaryMetrics.LogLoss([0.5f, 0.25f, 1.5f], [T, F, T]));
        Assert.Contains("probabilities[2]", high.Message);
        Assert.Contains("1.5", high.Message);
        var low = Assert.Throws<ArgumentException>(() => BinaryMetrics.LogLoss([-0.25f], [T]));
        Assert.Contains("probabilities[0]", low.Message);
        Assert.Contains("-0.25", low.Message);
        var nan = Assert.Throws<ArgumentException>(() => BinaryMetrics.LogLoss([0.5f, float.NaN], [T, F]));
        Assert.Contains("probabilities[1]", nan.Message);
        Assert.Contains("NaN", nan.Message);
        var len = Assert.Throws<ArgumentException>(() => BinaryMetrics.LogLoss([0.5f, 0.5f], [T]));
        Assert.Contains("probabilities has 2", len.Message);
        Assert.Contains("labels has 1", len.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => BinaryMetrics.LogLoss([0.5f], [T], epsilon: 0.5));
    }

    [Fact]
    public void LogLoss_of_nothing_is_NaN()
        => Assert.True(double.IsNaN(BinaryMetrics.LogLoss([], [])));

    // ---------------------------------------------------------------- GAUC

    [Fact]
    public void Gauc_weights_users_by_sample_count_and_skips_single_class_users()
    {
        // User 7 (3 samples): positive 0.9 beats negatives 0.1 and 0.5 -> AUC 1.
        // User -3 (5 samples): positives 0.2, 0.4; negatives 0.6, 0.4, 0.1.
        //   0.2: 0 + 0 + 1 = 1;  0.4: 0 + 1/2 + 1 = 1.5  -> AUC 2.5 / 6.
        // User 42: positives only -> skipped (its 2 samples carry no weight).
        // GAUC = (3 * 1 + 5 * 2.5/6) / 8 = 61/96 = 0.6354166666666666.
        // (Unweighted mean would be 0.7083; weighting in user 42 would give 61/120.)
        float[] scores = [0.9f, 0.2f, 0.3f, 0.1f, 0.6f, 0.7f, 0.4f, 0.5f, 0.4f, 0.1f];
        bool[] labels  = [T,    T,    T,    F,    F,    T,    T,    F,    F,    F];
        int[] users    = [7,    -3,   42,   7,    -3,   42,   -3,   7,    -3,   -3];
        var result = GroupedMetrics.GaucDetailed(scores, labels, users);
        Assert.Equal(61.0 / 96.0, result.Gauc, Tol);
        Assert.Equal(2, result.GroupsUsed);
        Assert.Equal(1, result.GroupsSkipped);
        Assert.Equal(result.Gauc, GroupedMetrics.Gauc(scores, labels, users));
    }

    [Fact]
    public void Gauc_gives_a_large_user_more_weight_than_a_small_one()
    {
        // User 1 (2 samples): 0.8 T vs 0.2 F -> AUC 1.
        // User 2 (6 samples): positive 0.3 vs negatives 0.9, 0.8, 0.7, 0.6, 0.1 -> 1 of 5 -> AUC 0.2.
        // GAUC = (2 * 1 + 6 * 0.2) / 8 = 3.2 / 8 = 0.4 (the unweighted mean would be 0.6).
        float[] scores = [0.8f, 0.2f, 0.3f, 0.9f, 0.8f, 0.7f, 0.6f, 0.1f];
        bool[] labels  = [T,    F,    T,    F,    F,    F,    F,    F];
        int[] users    = [1,    1,    2,    2,    2,    2,    2,    2];
        var result = GroupedMetrics.GaucDetailed(scores, labels, users);
        Assert.Equal(0.4, result.Gauc, Tol);
        Assert.Equal(new GaucResult(result.Gauc, 2, 0), result);
    }

    [Fact]
    public void Gauc_is_NaN_when_no_user_has_both_classes()
    {
        var result = GroupedMetrics.GaucDetailed([0.1f, 0.9f, 0.5f], [T, F, T], [1, 2, 1]);
        Assert.True(double.IsNaN(result.Gauc));
        Assert.Equal(0, result.GroupsUsed);
        Assert.Equal(2, result.GroupsSkipped);
        var e = Assert.Throws<ArgumentException>(() => GroupedMetrics.Gauc([0.1f, 0.9f], [T, F], [1, 2, 3]));
        Assert.Contains("groups has 3", e.Message);
    }

    // ---------------------------------------------------------------- Ranking

    // Group 5: positives 0.9, 0.5; negatives 0.7, 0.5, 0.3.
    //   0.9 -> rank 1.  0.5 -> 1 + 1 higher (0.7) + 1 tied (0.5) = 3 (the other positive is ignored).
    // Group 2: positive 0.4; negatives 0.4, 0.4, 0.4 -> 1 + 0 + 3 = 4 (ties count against it).
    // Group 1: positive 0.2; negatives 0.9, 0.8, 0.7 -> 4.
    // Group 9: positives 0.8, 0.1 and no negative -> both skipped.
    static readonly float[] RankScores = [0.9f, 0.4f, 0.7f, 0.8f, 0.5f, 0.4f, 0.2f, 0.5f, 0.9f, 0.3f, 0.4f, 0.8f, 0.1f, 0.7f, 0.4f];
    static readonly bool[] RankLabels  = [T,    T,    F,    T,    T,    F,    T,    F,    F,    F,    F,    F,    T,    F,    F];
    static readonly int[] RankGroups   = [5,    2,    5,    9,    5,    2,    1,    5,    1,    5,    2,    1,    9,    1,    2];

    [Fact]
    public void Ranking_is_pessimistic_about_ties_and_skips_groups_without_negatives()
    {
        // Ranks 1, 3, 4, 4 with k = 10: all hits.
        // NDCG = (1/log2 2 + 1/log2 4 + 2/log2 5) / 4 = (1 + 0.5 + 2 * 0.43067655807339306) / 4 = 0.5903382790366966.
        // MRR = (1 + 1/3 + 1/4 + 1/4) / 4 = 11/24.
        var r = RankingMetrics.Evaluate(RankScores, RankLabels, RankGroups);
        Assert.Equal(1.0, r.HitAtK);
        Assert.Equal(0.5903382790366966, r.NdcgAtK, Tol);
        Assert.Equal(11.0 / 24.0, r.Mrr, Tol);
        Assert.Equal(4, r.Positives);
        Assert.Equal(2, r.PositivesSkipped);
    }

    [Fact]
    public void Ranking_coverage_counts_groups_and_what_the_ranking_metrics_skip()
    {
        // Groups 5, 2, 1 have both classes; 9 has two positives and no negative. Add group 7 with only a negative.
        var c = RankingMetrics.Coverage([.. RankLabels, F], [.. RankGroups, 7]);
        Assert.Equal(new RankingCoverage(Groups: 5, GroupsSkipped: 2, PositivesSkipped: 2), c);
        // Whatever the scores, Evaluate skips the same positives.
        Assert.Equal(RankingMetrics.Evaluate(RankScores, RankLabels, RankGroups).PositivesSkipped, c.PositivesSkipped);
        Assert.Contains("groups has 1", Assert.Throws<ArgumentException>(() => RankingMetrics.Coverage([T, F], [1])).Message);
    }

    [Fact]
    public void Ranking_cuts_hit_and_ndcg_at_k_but_not_mrr()
    {
        // k = 3: ranks 1 and 3 are in, the two rank-4 positives are out.
        // HIT@3 = 2/4; NDCG@3 = (1 + 1/log2 4 + 0 + 0) / 4 = 0.375.
        var r3 = RankingMetrics.Evaluate(RankScores, RankLabels, RankGroups, k: 3);
        Assert.Equal(0.5, r3.HitAtK);
        Assert.Equal(0.375, r3.NdcgAtK, Tol);
        Assert.Equal(11.0 / 24.0, r3.Mrr, Tol);
        // k = 2: only rank 1 -> HIT@2 = NDCG@2 = 1/4.
        var r2 = RankingMetrics.Evaluate(RankScores, RankLabels, RankGroups, k: 2);
        Assert.Equal(0.25, r2.HitAtK);
        Assert.Equal(0.25, r2.NdcgAtK, Tol);
        Assert.Throws<ArgumentOutOfRangeException>(() => RankingMetrics.Evaluate(RankScores, RankLabels, RankGroups, k: 0));
    }

    [Fact]
    public void Ranking_at_rank_two_gives_ndcg_one_over_log2_three()
    {
        // Positive 0.6 against negatives 0.7 and 0.2: rank 2 -> NDCG 1/log2 3 = 0.6309297535714575, MRR 1/2.
        var r = RankingMetrics.Evaluate([0.7f, 0.6f, 0.2f], [F, T, F], [0, 0, 0]);
        Assert.Equal(1.0, r.HitAtK);
        Assert.Equal(0.6309297535714575, r.NdcgAtK, Tol);
        Assert.Equal(0.5, r.Mrr);
    }

    [Fact]
    public void A_constant_scorer_gets_the_worst_rank()
    {
        // Each positive ties its 4 negatives: rank 5. k = 4 -> no hits; MRR 1/5.
        float[] scores = Enumerable.Repeat(0.5f, 10).ToArray();
        bool[] labels = [T, F, F, F, F, F, F, F, F, T];
        int[] groups =  [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
        var r = RankingMetrics.Evaluate(scores, labels, groups, k: 4);
        Assert.Equal(0.0, r.HitAtK);
        Assert.Equal(0.0, r.NdcgAtK);
        Assert.Equal(0.2, r.Mrr, Tol);
        Assert.Equal(2, r.Positives);
    }

    [Fact]
    public void Ranking_is_NaN_when_no_positive_has_a_negative()
    {
        var r = RankingMetrics.Evaluate([0.1f, 0.2f, 0.3f], [T, T, F], [1, 1, 2]);
        Assert.True(double.IsNaN(r.HitAtK) && double.IsNaN(r.NdcgAtK) && double.IsNaN(r.Mrr));
        Assert.Equal(0, r.Positives);
        Assert.Equal(2, r.PositivesSkipped);
    }

    // ---------------------------------------------------------------- MetricSet

    [Fact]
    public void MetricSet_computes_all_six()
    {
        // p: 0.75 T, 0.25 F, 0.125 T, 0.5 F.
        // AUC: 0.75 beats both negatives (2), 0.125 beats none (0) -> 2/4 = 0.5.
        // GAUC, users [1,1,2,2]: user 1 -> 1, user 2 (0.125 T vs 0.5 F) -> 0; weights 2, 2 -> 0.5.
        // LogLoss: (-ln .75 - ln .75 - ln .125 - ln .5) / 4 = 0.8369882167858358.
        // Ranking, one group: 0.75 -> rank 1; 0.125 -> rank 3. HIT 1, NDCG (1 + 0.5)/2 = 0.75, MRR (1 + 1/3)/2.
        var m = MetricSet.Compute([0.75f, 0.25f, 0.125f, 0.5f], [T, F, T, F], [1, 1, 2, 2], [0, 0, 0, 0]);
        Assert.Equal(0.5, m.Auc);
        Assert.Equal(0.5, m.Gauc, Tol);
        Assert.Equal(0.8369882167858358, m.LogLoss, 1e-9);
        Assert.Equal(1.0, m.HitAt10);
        Assert.Equal(0.75, m.NdcgAt10, Tol);
        Assert.Equal(2.0 / 3.0, m.Mrr, Tol);
        var e = Assert.Throws<ArgumentException>(() => MetricSet.Compute([0.5f, 0.5f], [T, F], [1, 1], [0]));
        Assert.Contains("rankingGroups has 1", e.Message);
    }

    // ---------------------------------------------------------------- Randomized against O(n^2) references

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_inputs_with_many_ties_match_naive_references(int seed)
    {
        var rng = new Random(seed);
        const int n = 1000;
        var scores = new float[n];
        var labels = new bool[n];
        var groups = new int[n];
        for (int i = 0; i < n; i++)
        {
            scores[i] = (float)Math.Round(rng.NextDouble(), 1); // 11 distinct values: many ties
            labels[i] = rng.NextDouble() < 0.3;
            groups[i] = rng.Next(-100, 200);                    // ~3 items per group: many single-class groups
        }

        Assert.Equal(NaiveAuc(scores, labels, groups, null), BinaryMetrics.Auc(scores, labels), Tol);

        // GAUC by brute force over each group.
        double weighted = 0; int weight = 0, used = 0, skipped = 0;
        foreach (int g in groups.Distinct())
        {
            double auc = NaiveAuc(scores, labels, groups, g);
            int size = groups.Count(x => x == g);
            if (double.IsNaN(auc)) { skipped++; continue; }
            used++; weighted += auc * size; weight += size;
        }
        var gauc = GroupedMetrics.GaucDetailed(scores, labels, groups);
        Assert.Equal(weighted / weight, gauc.Gauc, Tol);
        Assert.Equal(used, gauc.GroupsUsed);
        Assert.Equal(skipped, gauc.GroupsSkipped);
        Assert.True(skipped > 0 && used > 0);

        foreach (int k in new[] { 1, 2, 10 })
        {
            double hits = 0, ndcg = 0, mrr = 0; int positives = 0, positivesSkipped = 0;
            for (int i = 0; i < n; i++)
            {
                if (!labels[i]) continue;
                int negatives = 0, atLeast = 0;
                for (int j = 0; j < n; j++)
                {
                    if (labels[j] || groups[j] != groups[i]) continue;
                    negatives++;
                    if (scores[j] >= scores[i]) atLeast++;
                }
                if (negatives == 0) { positivesSkipped++; continue; }
                positives++;
                int rank = 1 + atLeast;
                mrr += 1.0 / rank;
                if (rank <= k) { hits++; ndcg += 1.0 / Math.Log2(rank + 1); }
            }
            var r = RankingMetrics.Evaluate(scores, labels, groups, k);
            Assert.Equal(hits / positives, r.HitAtK, Tol);
            Assert.Equal(ndcg / positives, r.NdcgAtK, Tol);
            Assert.Equal(mrr / positives, r.Mrr, Tol);
            Assert.Equal(positives, r.Positives);
            Assert.Equal(positivesSkipped, r.PositivesSkipped);
            Assert.True(positivesSkipped > 0);
        }
    }

    /// <summary>Pairwise AUC over all items, or over one group's items.</summary>
    static double NaiveAuc(float[] scores, bool[] labels, int[] groups, int? group)
    {
        double wins = 0; long pairs = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            if (!labels[i] || (group is { } g && groups[i] != g)) continue;
            for (int j = 0; j < scores.Length; j++)
            {
                if (labels[j] || (group is { } h && groups[j] != h)) continue;
                pairs++;
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
            }
        }
        return pairs == 0 ? double.NaN : wins / pairs;
    }
}
