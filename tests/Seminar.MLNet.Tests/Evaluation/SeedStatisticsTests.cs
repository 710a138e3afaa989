using Seminar.MLNet.Evaluation.Metrics;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Evaluation.Reporting;
using Seminar.MLNet.Evaluation.Statistics;

namespace Seminar.MLNet.Tests.Evaluation;

public class SeedStatisticsTests
{
    // ---------------------------------------------------------------- Student t

    [Theory]
    // Two-sided 95% critical values from standard tables (p = 0.975).
    [InlineData(1, 12.706205)]
    [InlineData(2, 4.302653)]
    [InlineData(3, 3.182446)]
    [InlineData(4, 2.776445)]
    [InlineData(5, 2.570582)]
    [InlineData(9, 2.262157)]
    [InlineData(10, 2.228139)]
    [InlineData(30, 2.042272)]
    [InlineData(1000, 1.962339)]
    public void T_quantile_975_matches_the_table(int df, double expected) =>
        Assert.Equal(expected, StudentT.Quantile(0.975, df), tolerance: 1e-6);

    [Fact]
    public void T_quantile_at_other_levels_and_below_one_half_is_symmetric()
    {
        Assert.Equal(6.313752, StudentT.Quantile(0.95, 1), 5);
        Assert.Equal(2.015048, StudentT.Quantile(0.95, 5), 5);
        Assert.Equal(-4.302653, StudentT.Quantile(0.025, 2), 5);
        Assert.Equal(0, StudentT.Quantile(0.5, 7));
        // df = 2 has a closed form: P(|T| <= t) = t / sqrt(2 + t^2).
        Assert.Equal(3 / Math.Sqrt(11), StudentT.TwoSidedCoverage(3, 2), 12);
        // df = 1 is Cauchy: P(|T| <= 1) = 1/2.
        Assert.Equal(0.5, StudentT.TwoSidedCoverage(1, 1), 12);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => StudentT.Quantile(1, 3));
        Assert.StartsWith("p must be in (0, 1).", e.Message);
    }

    // ---------------------------------------------------------------- intervals over seeds

    [Fact]
    public void Paired_interval_of_a_hand_example()
    {
        // Differences 0.01, 0.02, 0.03: mean 0.02, sd 0.01, t(0.975, 2) = 4.302653, half-width 4.302653 * 0.01 / sqrt(3) = 0.0248414.
        var interval = PairedInterval.Of(new[] { 0.01, 0.02, 0.03 });
        Assert.Equal(0.02, interval.Difference, 12);
        Assert.Equal(0.01, interval.StandardDeviation, 12);
        Assert.Equal(0.02 - 0.0248414, interval.Low!.Value, 7);
        Assert.Equal(0.02 + 0.0248414, interval.High!.Value, 7);
    }

    [Fact]
    public void Paired_interval_of_one_seed_has_no_bounds_and_of_equal_differences_is_a_point()
    {
        var one = PairedInterval.Of(new[] { 0.05 });
        Assert.Equal((0.05, 0.0, (double?)null, (double?)null), (one.Difference, one.StandardDeviation, one.Low, one.High));
        var same = PairedInterval.Of(new[] { 0.25, 0.25, 0.25 });
        Assert.Equal((0.25, 0.25), (same.Low!.Value, same.High!.Value));
        Assert.Throws<ArgumentException>(() => PairedInterval.Of(ReadOnlySpan<double>.Empty));
    }

    [Fact]
    public void Aggregate_gives_mean_and_sample_std_over_seeds()
    {
        var report = SeedComparisons.Aggregate(new[]
        {
            new ModelReport { Auc = 0.70, Gauc = 0.6, LogLoss = 0.5, HitAt10 = 1, NdcgAt10 = 0.4, Mrr = 0.3, TrainSeconds = 10, ScoreMicrosPerRow = 2 },
            new ModelReport { Auc = 0.74, Gauc = 0.6, LogLoss = 0.3, HitAt10 = 1, NdcgAt10 = 0.5, Mrr = 0.2, TrainSeconds = 20, ScoreMicrosPerRow = 4 },
        });
        Assert.Equal(2, report.Seeds);
        // Mean 0.72; sd = sqrt(2 * 0.02^2 / (2 - 1)) = 0.0282843.
        Assert.Equal(0.72, report.Auc, 12);
        Assert.Equal(0.0282843, report.AucStd, 6);
        Assert.Equal((0.6, 0.0), (report.Gauc, report.GaucStd));
        Assert.Equal(0.4, report.LogLoss, 12);
        Assert.Equal(0.1414214, report.LogLossStd, 6);
        Assert.Equal(0.45, report.NdcgAt10, 12);
        Assert.Equal((15.0, 3.0), (report.TrainSeconds, report.ScoreMicrosPerRow));
        var single = SeedComparisons.Aggregate(new[] { new ModelReport { Auc = 0.7 } });
        Assert.Equal((1, 0.7, 0.0), (single.Seeds, single.Auc, single.AucStd));
    }

    [Fact]
    public void Pairs_compare_every_model_with_the_baseline_and_variants_with_their_full_model()
    {
        var names = new[] { "fasttree_baseline", "seminar_neural", "fasttree_seminar", "fasttree_seminar_pq", "seminar_no_pretrain", "din" };
        Assert.Equal(new[]
        {
            ("seminar_neural", "fasttree_baseline"), ("fasttree_seminar", "fasttree_baseline"),
            ("fasttree_seminar_pq", "fasttree_baseline"), ("fasttree_seminar_pq", "fasttree_seminar"),
            ("seminar_no_pretrain", "fasttree_baseline"), ("seminar_no_pretrain", "seminar_neural"),
            ("din", "fasttree_baseline"), ("din", "seminar_neural"),
        }, SeedComparisons.Pairs(names));
        // Without the references nothing is compared.
        Assert.Empty(SeedComparisons.Pairs(new[] { "seminar_no_pretrain", "fasttree_seminar_pq" }));
    }

    // ---------------------------------------------------------------- bootstrap over users

    // Three users, each with positives and negatives in their own ranking group.
    static readonly bool[] Labels = { true, false, false, true, false, true, false, false };
    static readonly int[] Users = { 7, 7, 7, 8, 8, 9, 9, 9 };
    static readonly int[] Groups = { 0, 0, 0, 1, 1, 2, 2, 2 };

    [Fact]
    public void User_table_with_unit_weights_gives_the_plain_metrics()
    {
        float[] p = { 0.9f, 0.3f, 0.95f, 0.6f, 0.2f, 0.5f, 0.5f, 0.1f };
        var users = new TestUsers(Labels, Users, Groups);
        var metrics = new double[ReportMetrics.Names.Length];
        new UserMetricTable(users, p).Evaluate(new double[] { 1, 1, 1 }, metrics);
        var expected = MetricSet.Compute(p, Labels, Users, Groups);
        Assert.Equal(new[] { expected.Auc, expected.Gauc, expected.LogLoss, expected.HitAt10, expected.NdcgAt10, expected.Mrr }, metrics, new Tolerance(1e-12));
    }

    [Fact]
    public void User_weights_count_a_user_as_often_as_drawn()
    {
        float[] p = { 0.9f, 0.3f, 0.95f, 0.6f, 0.2f, 0.5f, 0.5f, 0.1f };
        var users = new TestUsers(Labels, Users, Groups);
        var metrics = new double[ReportMetrics.Names.Length];
        // User 7 twice, user 8 never, user 9 once: the same as the metrics of that resample written out.
        new UserMetricTable(users, p).Evaluate(new double[] { 2, 0, 1 }, metrics);
        int[] keep = { 0, 1, 2, 0, 1, 2, 5, 6, 7 };
        // The second copy of user 7 is its own ranking group and user, as a drawn user is.
        int[] resampledUsers = { 7, 7, 7, 70, 70, 70, 9, 9, 9 }, resampledGroups = { 0, 0, 0, 10, 10, 10, 2, 2, 2 };
        var expected = MetricSet.Compute(keep.Select(i => p[i]).ToArray(), keep.Select(i => Labels[i]).ToArray(), resampledUsers, resampledGroups);
        Assert.Equal(new[] { expected.Auc, expected.Gauc, expected.LogLoss, expected.HitAt10, expected.NdcgAt10, expected.Mrr }, metrics, new Tolerance(1e-12));
    }

    [Fact]
    public void Test_users_refuse_a_ranking_group_that_spans_users()
    {
        var e = Assert.Throws<ArgumentException>(() => new TestUsers(new[] { true, false }, new[] { 1, 2 }, new[] { 5, 5 }));
        Assert.StartsWith("Ranking group 5 spans users 1 and 2", e.Message);
    }

    [Fact]
    public void Percentile_interval_interpolates_between_order_statistics_and_skips_NaN()
    {
        var values = Enumerable.Range(0, 101).Select(i => (double)i).Append(double.NaN).Reverse();
        var (lo, hi) = UserBootstrap.PercentileInterval(values);
        Assert.Equal(2.5, lo!.Value, 12);
        Assert.Equal(97.5, hi!.Value, 12);
        Assert.Equal((null, null), UserBootstrap.PercentileInterval(new[] { double.NaN }));
    }

    /// <summary>Two seeds of three models on 40 users with hand-made scores.</summary>
    static (List<ComparisonReport> Comparisons, TestUsers Users) FakeRun(Func<int, int, bool, float> score)
    {
        var labels = new List<bool>();
        var users = new List<int>();
        for (int u = 0; u < 40; u++)
            for (int i = 0; i < 5; i++)
            {
                labels.Add(i == 0);
                users.Add(u);
            }
        var set = new TestUsers(labels.ToArray(), users.ToArray(), users.ToArray());
        SeedRuns Model(string name, int model)
        {
            var probabilities = Enumerable.Range(0, 2).Select(seed =>
                Enumerable.Range(0, labels.Count).Select(s => score(model * 10 + seed, s, labels[s])).ToArray()).ToArray();
            var reports = probabilities.Select(p =>
            {
                var m = MetricSet.Compute(p, labels.ToArray(), users.ToArray(), users.ToArray());
                return new ModelReport { Auc = m.Auc, Gauc = m.Gauc, LogLoss = m.LogLoss, HitAt10 = m.HitAt10, NdcgAt10 = m.NdcgAt10, Mrr = m.Mrr };
            }).ToArray();
            return new SeedRuns(name, reports, probabilities);
        }
        var runs = new[] { Model("fasttree_baseline", 0), Model("seminar_neural", 1), Model("seminar_no_pretrain", 0) };
        return (SeedComparisons.Compare(runs, set, replicates: 300, seed: 4), set);
    }

    static float Noisy(int stream, int sample, bool label, double lift)
    {
        // Deterministic noise per (model and seed, sample); positives get the lift.
        double noise = new Random(stream * 100_003 + sample).NextDouble();
        return (float)Math.Clamp(0.2 + 0.5 * noise + (label ? lift : 0), 0.01, 0.99);
    }

    [Fact]
    public void Bootstrap_of_identical_models_is_exactly_zero()
    {
        // seminar_no_pretrain scores exactly as fasttree_baseline on both seeds.
        var (comparisons, _) = FakeRun((stream, s, label) => Noisy(stream % 10, s, label, 0.1));
        foreach (var c in comparisons.Where(c => c.Model == "seminar_no_pretrain" && c.Against == "fasttree_baseline"))
        {
            Assert.Equal((0.0, 0.0, 0.0, 0.0, 0.0), (c.Difference, c.Low!.Value, c.High!.Value, c.BootstrapLow!.Value, c.BootstrapHigh!.Value));
            Assert.Equal(2, c.Seeds);
        }
    }

    [Fact]
    public void Bootstrap_of_a_model_better_for_every_user_lies_above_zero_and_t_interval_follows_the_seeds()
    {
        // seminar_neural (stream 1x) puts each user's positive above its negatives; the baseline (stream 0x) does not.
        var (comparisons, _) = FakeRun((stream, s, label) => stream >= 10 ? Noisy(stream, s, label, 0.6) : Noisy(stream, s, label, 0.05));
        ComparisonReport Find(string metric) => comparisons.Single(c => c.Model == "seminar_neural" && c.Against == "fasttree_baseline" && c.Metric == metric);
        // Groups of five: every positive is in the top 10, so HIT@10 cannot differ.
        Assert.Equal((0.0, 0.0, 0.0), (Find("hit@10").Difference, Find("hit@10").BootstrapLow!.Value, Find("hit@10").BootstrapHigh!.Value));
        foreach (string metric in new[] { "auc", "gauc", "ndcg@10", "mrr" })
            Assert.True(Find(metric).BootstrapLow > 0, $"{metric}: bootstrap interval [{Find(metric).BootstrapLow}, {Find(metric).BootstrapHigh}]");
        Assert.True(Find("logloss").BootstrapHigh < 0, $"logloss: [{Find("logloss").BootstrapLow}, {Find("logloss").BootstrapHigh}]");
        // The seed interval is mean +- t(0.975, 1) * sd / sqrt(2) of the two per-seed differences.
        var auc = Find("auc");
        Assert.True(auc.BootstrapLow <= auc.Difference && auc.Difference <= auc.BootstrapHigh);
        Assert.Equal(2 * 6, comparisons.Count(c => c.Model == "seminar_no_pretrain"));
        Assert.Equal(auc.High!.Value - auc.Difference, auc.Difference - auc.Low!.Value, 12);
    }

    [Fact]
    public void Seed_interval_of_a_fake_two_seed_run_is_the_hand_computed_one()
    {
        var baseline = new[] { new ModelReport { Auc = 0.70 }, new ModelReport { Auc = 0.72 } };
        var model = new[] { new ModelReport { Auc = 0.73 }, new ModelReport { Auc = 0.77 } };
        var users = new TestUsers(new[] { true, false }, new[] { 1, 1 }, new[] { 1, 1 });
        var p = new[] { new[] { 0.6f, 0.4f }, new[] { 0.6f, 0.4f } };
        var comparisons = SeedComparisons.Compare(new[] { new SeedRuns("fasttree_baseline", baseline, p), new SeedRuns("fasttree_seminar", model, p) }, users, 0, 1);
        Assert.Equal(ReportMetrics.Names, comparisons.Select(c => c.Metric));
        var auc = comparisons[0];
        Assert.Equal(("fasttree_seminar", "fasttree_baseline"), (auc.Model, auc.Against));
        // Differences 0.03 and 0.05: mean 0.04, sd 0.0141421, half-width 12.706205 * 0.0141421 / sqrt(2) = 0.127062.
        Assert.Equal(0.04, auc.Difference, 12);
        Assert.Equal(0.04 - 0.127062, auc.Low!.Value, 5);
        Assert.Equal(0.04 + 0.127062, auc.High!.Value, 5);
        Assert.Null(auc.BootstrapLow);
    }

    [Fact]
    public void Options_reject_fewer_than_one_seed_and_negative_replicates()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new EvaluationOptions { Seeds = 0 }.Validate());
        Assert.StartsWith("Seeds must be at least 1.", e.Message);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => new EvaluationOptions { BootstrapReplicates = -1 }.Validate());
        Assert.StartsWith("Bootstrap replicates must be at least 0.", e.Message);
    }

    sealed class Tolerance(double epsilon) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= epsilon || (double.IsNaN(x) && double.IsNaN(y));
        public int GetHashCode(double obj) => 0;
    }
}
