using Microsoft.ML;
using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Evaluation.Models;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Evaluation.Reporting;
using Seminar.MLNet.Evaluation.Retrieval;
using Seminar.MLNet.Evaluation.Statistics;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Evaluation;

/// <summary>What <see cref="Evaluator.Run"/> produced.</summary>
/// <param name="Report">The report (the JSON contract).</param>
/// <param name="Issues">Counted problems in the input files.</param>
/// <param name="Split">The samples.</param>
/// <param name="Runs">Each model's fitted pipeline and test probabilities from the first seed's training (<see cref="EvaluationOptions.Seed"/>).</param>
/// <param name="TrainSchema">Input schema of the fitted pipelines, for saving them.</param>
public sealed record EvaluationResult(EvaluationReport Report, DataIssues Issues, SampleSplit Split, IReadOnlyList<ModelRun> Runs, DataViewSchema TrainSchema);

/// <summary>The <c>evaluate</c> job: read a canonical dataset, split it, fit and score every compared model.</summary>
public static class Evaluator
{
    /// <summary>Every model <c>evaluate</c> knows, in report order: the baseline, SEMINAR's three, then <see cref="SeminarVariant.All"/>.</summary>
    public static IReadOnlyList<string> ModelNames { get; } = new[] { FastTreeBaseline.ModelName, SeminarNeural.ModelName, FastTreeSeminar.ModelName, FastTreeSeminar.PqModelName }
        .Concat(SeminarVariant.All.Select(v => v.Name)).ToArray();

    /// <summary>
    /// The models named in <paramref name="options"/> (all by default). <c>seminar_neural</c>, <c>fasttree_seminar</c> and
    /// <c>fasttree_seminar_pq</c> share one featurizer + PSU stage over <paramref name="catalog"/>; each variant fits its own.
    /// PSU progress goes to <paramref name="progress"/>. The options are not changed.
    /// </summary>
    public static IReadOnlyList<IComparedModel> Models(IDataView catalog, EvaluationOptions options, IProgress<EvaluationProgress>? progress = null) =>
        Models(catalog, options, 0, progress);

    /// <summary>
    /// Fresh models for the training with seed <see cref="EvaluationOptions.Seed"/> + <paramref name="seedOffset"/>: the PSU and
    /// PQ seeds (their own when the options set them, else <see cref="EvaluationOptions.Seed"/>) move by the same offset.
    /// </summary>
    internal static IReadOnlyList<IComparedModel> Models(IDataView catalog, EvaluationOptions options, int seedOffset, IProgress<EvaluationProgress>? progress)
    {
        var names = options.Models ?? ModelNames;
        var unknown = names.Where(n => !ModelNames.Contains(n, StringComparer.Ordinal)).ToArray();
        if (unknown.Length > 0)
            throw new ArgumentException($"Unknown model(s) {string.Join(", ", unknown)}; known: {string.Join(", ", ModelNames)}.", nameof(options));
        var pq = options.Pq?.Clone() ?? new PqAttentionOptions();
        pq.Seed = (pq.Seed ?? options.Seed) + seedOffset;
        var stage = new SeminarStage(catalog, Featurizer(options), Psu(options, seedOffset, "SEMINAR", progress), pq);
        var all = new List<IComparedModel> { new FastTreeBaseline(), new SeminarNeural(stage), new FastTreeSeminar(stage, stacking: options.Stacking, crossFitFolds: options.CrossFitFolds), new FastTreeSeminar(stage, approximate: true, stacking: options.Stacking, crossFitFolds: options.CrossFitFolds) };
        var stages = new Dictionary<string, SeminarStage>(StringComparer.Ordinal);
        foreach (var variant in SeminarVariant.All.Where(v => names.Contains(v.Name, StringComparer.Ordinal)))
        {
            if (variant.SameNetworkAs is { } same && stages.TryGetValue(same, out var shared))
            {
                all.Add(new SeminarNeural(shared, variant.Name));
                continue;
            }
            var featurizer = Featurizer(options);
            var psu = Psu(options, seedOffset, variant.Name, progress);
            variant.Configure(featurizer, psu);
            stages[variant.Name] = new SeminarStage(catalog, featurizer, psu, pq);
            all.Add(new SeminarNeural(stages[variant.Name], variant.Name));
        }
        return all.Where(m => names.Contains(m.Name, StringComparer.Ordinal)).ToArray();
    }

    static SequenceFeaturizerOptions Featurizer(EvaluationOptions options) => new() { MaxHistory = options.MaxHistory };

    static PsuEmbeddingOptions Psu(EvaluationOptions options, int seedOffset, string label, IProgress<EvaluationProgress>? progress)
    {
        var psu = options.Psu?.Clone() ?? new PsuEmbeddingOptions();
        psu.LabelColumnName = SeminarColumns.Label;
        psu.Seed = (psu.Seed ?? options.Seed) + seedOffset;
        // Each user's lifelong sequence once per pretraining epoch, not once per sample row (five per positive with sampled negatives).
        psu.PretrainingUserColumnName ??= SeminarColumns.UserId;
        if (options.SideFeatures) psu.SideFeaturesColumnName = SeminarStage.SideFeaturesColumnName;
        if (progress != null)
            psu.Progress = new SynchronousProgress<PsuTrainingProgress>(p => progress.Report(new EvaluationProgress(
                $"{label} {p.Stage} | epoch {p.Epoch}: {p.Rows:N0}/{p.TotalRows:N0} rows, {p.RowsPerSecond:N0}/s, {Left(p.SecondsLeft)} left" +
                string.Concat(p.Losses.Select(kv => $", {kv.Key} {kv.Value:F3}")), p.Fraction)));
        return psu;

        static string Left(double seconds) => double.IsFinite(seconds) ? TimeSpan.FromSeconds(Math.Round(seconds)).ToString(@"h\:mm\:ss") : "?";
    }

    /// <summary>
    /// Runs the evaluation: samples once with <see cref="EvaluationOptions.Seed"/>, then fits and scores every model once per seed
    /// (<see cref="EvaluationOptions.Seeds"/>). Without <paramref name="models"/> each seed gets fresh models; given ones are fitted
    /// again for each seed with that seed's <see cref="MLContext"/> on a fresh training view (seeds set in their own options stay).
    /// The <c>pq</c> and <c>roundtrip</c> sections measure the first seed's models.
    /// </summary>
    public static EvaluationResult Run(string datasetFolder, EvaluationOptions options, IReadOnlyList<IComparedModel>? models = null,
        IProgress<EvaluationProgress>? progress = null, BadRowPolicy policy = BadRowPolicy.SkipAndCount)
    {
        options.Validate();
        var dataset = CanonicalDataset.Open(datasetFolder, policy);
        // items.tsv is parsed once: the event log's ids and attributes and the featurizer's catalog come from the same read.
        var issues = new DataIssues();
        var items = dataset.ReadCatalog(issues);
        var log = EventLog.Load(dataset, items, issues, Stage(progress, "reading events"));
        var split = SampleBuilder.Build(log, options, Stage(progress, "building samples"));
        if (split.TrainNegativesSampled || split.TestNegativesSampled) options.ValidateNegatives(log.ItemIds.Length);
        var train = new SampleDataView(split.Train);
        var test = new SampleDataView(split.Test);

        var catalog = new CatalogDataView(items);
        var (ml, compared, runs) = RunSeed(0, catalog, options, models, train, test, progress);
        var perModel = runs.Select(r => (r.Name, Reports: new List<ModelReport> { r.Report }, Probabilities: new List<float[]> { r.Probabilities })).ToArray();
        for (int k = 1; k < options.Seeds; k++)
        {
            // A fresh view: stages cache their fit per training view, and every seed must refit them.
            var (_, _, more) = RunSeed(k, catalog, options, models, new SampleDataView(split.Train), test, progress);
            foreach (var (all, run) in perModel.Zip(more))
            {
                all.Reports.Add(run.Report);
                all.Probabilities.Add(run.Probabilities);
            }
        }
        var seeds = perModel.Select(m => new SeedRuns(m.Name, m.Reports, m.Probabilities)).ToArray();

        var report = new EvaluationReport
        {
            Dataset = dataset.Manifest.Name,
            Users = log.UserIds.Length,
            Items = log.CatalogItemCount,
            Samples = new SampleCounts { Train = split.Train.Count, Test = split.Test.Count },
            History = HistoryStatistics(split),
            Models = seeds.ToDictionary(s => s.Name, s => SeedComparisons.Aggregate(s.Reports)),
            Protocol = ProtocolSummary.Describe(split, options),
            TorchThreads = options.Psu?.Threads ?? 0,
        };
        progress?.Report(new EvaluationProgress("comparing models (intervals over seeds, bootstrap over test users)", double.NaN));
        report.Comparisons = SeedComparisons.Compare(seeds, new TestUsers(test.Samples.Labels(), test.Samples.Users(), test.Samples.RankGroups()),
            options.BootstrapReplicates, options.Seed);
        if (compared.OfType<FastTreeSeminar>().FirstOrDefault(m => m.Approximate)?.Stage is { Pq: { } pq, Featurizer: { } featurizer })
        {
            progress?.Report(new EvaluationProgress("measuring approximate retrieval", double.NaN));
            var requests = RetrievalRequests.Read(featurizer.Transform(test), options.PqRequests);
            // Both sections measure the same test requests: their vectors and codes are prepared once.
            var prepared = requests.Select(r => PreparedRequest.Prepare(pq.Model, r)).ToArray();
            report.Pq = PqSection(RetrievalComparison.Measure(pq.Model, prepared, rounds: 3));
            progress?.Report(new EvaluationProgress("measuring retrieval cost by history length and recall by K", double.NaN));
            report.Curves = RetrievalCurves.Measure(pq.Model, requests, prepared, options.Curves, progress);
        }
        if (runs.FirstOrDefault(r => r.Name == FastTreeSeminar.PqModelName) is { } pqRun)
        {
            progress?.Report(new EvaluationProgress("saving, loading and re-scoring " + pqRun.Name, double.NaN));
            string zip = options.RoundTripZip ?? Path.Combine(Path.GetTempPath(), $"seminar-roundtrip-{Guid.NewGuid():N}.zip");
            try
            {
                report.Roundtrip = RoundTrip.Measure(ml, pqRun, compared.First(m => m.Name == pqRun.Name).ProbabilityColumn, train.Schema, test, zip);
            }
            finally
            {
                if (options.RoundTripZip == null) File.Delete(zip);
            }
        }
        return new EvaluationResult(report, log.Issues, split, runs, train.Schema);
    }

    /// <summary>Fits and scores every model with seed <see cref="EvaluationOptions.Seed"/> + <paramref name="seedOffset"/>.</summary>
    static (MLContext Ml, IReadOnlyList<IComparedModel> Models, List<ModelRun> Runs) RunSeed(int seedOffset, IDataView catalog, EvaluationOptions options,
        IReadOnlyList<IComparedModel>? models, SampleDataView train, SampleDataView test, IProgress<EvaluationProgress>? progress)
    {
        int seed = options.Seed + seedOffset;
        if (progress != null && options.Seeds > 1)
        {
            var outer = progress;
            progress = new SynchronousProgress<EvaluationProgress>(p => outer.Report(p with { Stage = $"seed {seed} ({seedOffset + 1}/{options.Seeds}): {p.Stage}" }));
        }
        var ml = new MLContext(seed: seed);
        var compared = models ?? Models(catalog, options, seedOffset, progress);
        var runs = new List<ModelRun>();
        foreach (var model in compared)
        {
            progress?.Report(new EvaluationProgress("fitting " + model.Name, double.NaN));
            runs.Add(ModelRunner.Run(ml, model, train, test));
            progress?.Report(new EvaluationProgress("fitting " + model.Name, 1));
        }
        return (ml, compared, runs);
    }

    static PqReport PqSection(RetrievalMeasurement m) => new()
    {
        K = m.K, RecallAtK = m.Recall.Long, RecallMinLength = m.Recall.MinLength, RecallRequests = m.Recall.LongRequests,
        RecallAllLengths = m.Recall.All, RecallByLength = m.Recall.ByLength.ToList(), SpeedupVsExact = m.Speedup, BytesPerBehaviour = m.PqBytesPerBehaviour,
        ExactMicroseconds = m.ExactMicroseconds, PqMicroseconds = m.PqMicroseconds, Requests = m.Requests, MeanLength = m.MeanLength,
        ExactBytesPerBehaviour = m.ExactBytesPerBehaviour, BytesPerItem = m.PqBytesPerItem,
    };

    static HistoryStats HistoryStatistics(SampleSplit split)
    {
        double sum = 0;
        int max = 0;
        long n = 0;
        foreach (var set in new[] { split.Train, split.Test })
            for (int s = 0; s < set.Count; s++)
            {
                int len = set.History(s).Length;
                sum += len;
                max = Math.Max(max, len);
                n++;
            }
        return new HistoryStats { Mean = n == 0 ? 0 : sum / n, Max = max };
    }

    static IProgress<double>? Stage(IProgress<EvaluationProgress>? progress, string stage) =>
        progress == null ? null : new SynchronousProgress<double>(f => progress.Report(new EvaluationProgress(stage, f)));
}
