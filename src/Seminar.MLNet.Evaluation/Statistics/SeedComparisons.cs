using Seminar.MLNet.Evaluation.Models;
using Seminar.MLNet.Evaluation.Reporting;

namespace Seminar.MLNet.Evaluation.Statistics;

/// <summary>One model's results over seeds, in seed order.</summary>
/// <param name="Name">Report name.</param>
/// <param name="Reports">Metrics of each seed's training.</param>
/// <param name="Probabilities">Test probabilities of each seed's training, in sample order.</param>
internal sealed record SeedRuns(string Name, IReadOnlyList<ModelReport> Reports, IReadOnlyList<float[]> Probabilities);

/// <summary>
/// Turns per-seed results into the report: each model's metrics as mean and standard deviation over seeds, and the paired
/// comparisons with their interval over seeds and their bootstrap interval over test users.
/// </summary>
internal static class SeedComparisons
{
    /// <summary>Mean and sample standard deviation over seeds of every metric; costs are averaged too.</summary>
    public static ModelReport Aggregate(IReadOnlyList<ModelReport> perSeed)
    {
        if (perSeed.Count == 0) throw new ArgumentException("At least one seed's report is needed.", nameof(perSeed));
        var report = new ModelReport
        {
            Seeds = perSeed.Count,
            TrainSeconds = perSeed.Average(r => r.TrainSeconds),
            ScoreMicrosPerRow = perSeed.Average(r => r.ScoreMicrosPerRow),
        };
        for (int m = 0; m < ReportMetrics.Names.Length; m++)
        {
            var values = perSeed.Select(r => ReportMetrics.Get(r, m)).ToArray();
            ReportMetrics.Set(report, m, SampleMoments.Mean(values), SampleMoments.StandardDeviation(values));
        }
        // Auto stacking may choose differently per seed: one name when every seed agrees, else each seed's choice in order.
        var stackings = perSeed.Select(r => r.Stacking).Where(s => s != null).ToArray();
        if (stackings.Length > 0)
            report.Stacking = stackings.Distinct().Count() == 1 ? stackings[0] : string.Join(",", stackings);
        var validation = perSeed.Select(r => r.StackingValidationAuc).OfType<Dictionary<string, double>>().ToArray();
        if (validation.Length > 0)
            report.StackingValidationAuc = validation.SelectMany(d => d).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Average(kv => kv.Value));
        return report;
    }

    /// <summary>
    /// The (model, against) pairs compared among <paramref name="names"/>, in report order: every model against
    /// <c>fasttree_baseline</c>; each ablation and predecessor against <c>seminar_neural</c>, its full model; and
    /// <c>fasttree_seminar_pq</c> against <c>fasttree_seminar</c>, what approximate retrieval costs.
    /// </summary>
    public static IEnumerable<(string Model, string Against)> Pairs(IReadOnlyList<string> names)
    {
        bool Has(string name) => names.Contains(name, StringComparer.Ordinal);
        foreach (string name in names)
        {
            if (name != FastTreeBaseline.ModelName && Has(FastTreeBaseline.ModelName)) yield return (name, FastTreeBaseline.ModelName);
            if (SeminarVariant.All.Any(v => v.Name == name) && Has(SeminarNeural.ModelName)) yield return (name, SeminarNeural.ModelName);
            if (name == FastTreeSeminar.PqModelName && Has(FastTreeSeminar.ModelName)) yield return (name, FastTreeSeminar.ModelName);
        }
    }

    /// <summary>
    /// Every comparison of <see cref="Pairs"/> for every metric. The t-interval is over the per-seed paired differences (seed k of
    /// the model against seed k of the reference); the bootstrap interval (when <paramref name="replicates"/> &gt; 0) is the
    /// percentile interval of the same seed-mean difference over resamples of the test users, seeded by <paramref name="seed"/>.
    /// </summary>
    public static List<ComparisonReport> Compare(IReadOnlyList<SeedRuns> models, TestUsers users, int replicates, int seed)
    {
        var byName = models.ToDictionary(m => m.Name, StringComparer.Ordinal);
        var pairs = Pairs(models.Select(m => m.Name).ToArray()).ToArray();
        int seeds = models.Count == 0 ? 0 : models[0].Reports.Count;
        if (models.Any(m => m.Reports.Count != seeds || m.Probabilities.Count != seeds))
            throw new ArgumentException("Every model needs one report and one set of probabilities per seed.", nameof(models));

        // Tables per (model, seed) for the models that take part in a comparison; the bootstrap shares one draw across all of them.
        var involved = pairs.SelectMany(p => new[] { p.Model, p.Against }).Distinct().ToArray();
        var tableIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        double[][] replicateValues = Array.Empty<double[]>();
        if (replicates > 0 && involved.Length > 0)
        {
            var tables = new List<UserMetricTable>();
            foreach (string name in involved)
            {
                tableIndex[name] = tables.Count;
                tables.AddRange(byName[name].Probabilities.Select(p => new UserMetricTable(users, p)));
            }
            replicateValues = UserBootstrap.Replicates(users.Count, tables, replicates, seed);
        }

        int metrics = ReportMetrics.Names.Length;
        var result = new List<ComparisonReport>();
        var differences = new double[seeds];
        foreach (var (model, against) in pairs)
            for (int m = 0; m < metrics; m++)
            {
                for (int k = 0; k < seeds; k++)
                    differences[k] = ReportMetrics.Get(byName[model].Reports[k], m) - ReportMetrics.Get(byName[against].Reports[k], m);
                var interval = PairedInterval.Of(differences);
                bool defined = differences.All(double.IsFinite);
                var comparison = new ComparisonReport
                {
                    Model = model, Against = against, Metric = ReportMetrics.Names[m], Seeds = seeds,
                    Difference = defined ? interval.Difference : double.NaN,
                    Low = defined ? interval.Low : null, High = defined ? interval.High : null,
                };
                if (tableIndex.Count > 0)
                    (comparison.BootstrapLow, comparison.BootstrapHigh) = UserBootstrap.PercentileInterval(Enumerable.Range(0, replicates).Select(r =>
                    {
                        double sum = 0;
                        for (int k = 0; k < seeds; k++)
                            sum += replicateValues[tableIndex[model] + k][r * metrics + m] - replicateValues[tableIndex[against] + k][r * metrics + m];
                        return sum / seeds;
                    }));
                result.Add(comparison);
            }
        return result;
    }
}
