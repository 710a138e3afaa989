using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>Options of <c>bench --serving</c>.</summary>
public sealed class ServingBenchOptions
{
    /// <summary>History lengths of the requests. Default 100, 1,000 and 10,000 (add 100,000 explicitly: the stock-loaded chain then takes seconds per request).</summary>
    public IReadOnlyList<int> Lengths { get; set; } = new[] { 100, 1_000, 10_000 };
    /// <summary>Candidates per request. Default 1 and 100.</summary>
    public IReadOnlyList<int> Candidates { get; set; } = new[] { 1, 100 };
    /// <summary>Seed of the weights, catalog and requests. Default 1.</summary>
    public int Seed { get; set; } = 1;
    /// <summary>Seconds of untimed requests before each setting's timed ones. Default 1.</summary>
    public double WarmupSeconds { get; set; } = 1;
    /// <summary>Seconds of timed requests per setting (at least <see cref="MinRequests"/> requests either way). Default 2.</summary>
    public double MeasureSeconds { get; set; } = 2;
    /// <summary>Fewest timed requests per setting. Default 20.</summary>
    public int MinRequests { get; set; } = 20;
    /// <summary>Most timed requests per setting. Default 20,000.</summary>
    public int MaxRequests { get; set; } = 20_000;
    /// <summary>Distinct users (histories) the requests of a setting cycle through, so no request finds its history cached. Default 4.</summary>
    public int Users { get; set; } = 4;
    /// <summary>Catalog items. Default 5,000.</summary>
    public int CatalogItems { get; set; } = 5_000;
    /// <summary>PSU width D. Default 64.</summary>
    public int Dimension { get; set; } = 64;
    /// <summary>Attention heads. Default 4.</summary>
    public int Heads { get; set; } = 4;
    /// <summary>Behaviours kept per head. Default 50.</summary>
    public int TopK { get; set; } = 50;
    /// <summary>A load run of the serving sample over the exact chain after the single-thread rows, or null for none (the default).</summary>
    public ServingLoadOptions? Load { get; set; }

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        if (Lengths.Count == 0 || Lengths.Any(l => l < 1)) throw new ArgumentOutOfRangeException(nameof(Lengths), "Lengths must be positive.");
        if (Candidates.Count == 0 || Candidates.Any(c => c < 1)) throw new ArgumentOutOfRangeException(nameof(Candidates), "Candidate counts must be positive.");
        if (!(WarmupSeconds >= 0) || !(MeasureSeconds >= 0)) throw new ArgumentOutOfRangeException(nameof(WarmupSeconds), "Warm-up and measuring seconds must be 0 or more.");
        ArgumentOutOfRangeException.ThrowIfLessThan(MinRequests, 1, nameof(MinRequests));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequests, MinRequests, nameof(MaxRequests));
        ArgumentOutOfRangeException.ThrowIfLessThan(Users, 1, nameof(Users));
        ArgumentOutOfRangeException.ThrowIfLessThan(CatalogItems, 2, nameof(CatalogItems));
        ArgumentOutOfRangeException.ThrowIfLessThan(Dimension, 1, nameof(Dimension));
        ArgumentOutOfRangeException.ThrowIfLessThan(Heads, 1, nameof(Heads));
        ArgumentOutOfRangeException.ThrowIfLessThan(TopK, 1, nameof(TopK));
        Load?.Validate();
    }
}

/// <summary>The <c>bench --serving</c> report: field names are a contract (issue 15).</summary>
public sealed class ServingBenchReport
{
    /// <summary>Which chains are missing and why.</summary>
    [JsonPropertyName("note")] public string Note { get; set; } = "";
    /// <summary>Whether the runtime tiers its JIT (false: every method is compiled optimised once, so no tiering happens while timing).</summary>
    [JsonPropertyName("tiered_compilation")] public bool TieredCompilation { get; set; }
    /// <summary>Whether the framework's ReadyToRun code ran (false under <c>DOTNET_ReadyToRun=0</c>, when the JIT compiles every method at full optimisation).</summary>
    [JsonPropertyName("ready_to_run")] public bool ReadyToRun { get; set; }
    /// <summary>Logical processors of the machine (the bench runs one thread).</summary>
    [JsonPropertyName("processors")] public int Processors { get; set; }
    /// <summary>PSU width D.</summary>
    [JsonPropertyName("dimension")] public int Dimension { get; set; }
    /// <summary>Attention heads.</summary>
    [JsonPropertyName("heads")] public int Heads { get; set; }
    /// <summary>Behaviours kept per head.</summary>
    [JsonPropertyName("k")] public int K { get; set; }
    /// <summary>Items of the catalog the requests' histories draw from.</summary>
    [JsonPropertyName("catalog_items")] public int CatalogItems { get; set; }
    /// <summary>Whole-chain requests through <see cref="SeminarRanker"/>: one per (length, candidates, chain, retrieval).</summary>
    [JsonPropertyName("requests")] public List<ServingBenchRow> Requests { get; set; } = new();
    /// <summary>The PSU stage alone over index vectors: the row path (candidate by candidate) against the batch path (one matrix product).</summary>
    [JsonPropertyName("psu_stage")] public List<ServingBenchRow> PsuStage { get; set; } = new();
    /// <summary>The serving sample under concurrent clients (<c>--load</c>); absent without it.</summary>
    [JsonPropertyName("load")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ServingLoadResult? Load { get; set; }

    static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    /// <summary>Serialises the report.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);
}

/// <summary>Per-request cost of one setting, one thread.</summary>
public sealed class ServingBenchRow
{
    /// <summary>The setting's name: chain or path, retrieval, L and C.</summary>
    [JsonPropertyName("setting")] public string Setting { get; set; } = "";
    /// <summary>History length L.</summary>
    [JsonPropertyName("history_length")] public int HistoryLength { get; set; }
    /// <summary>History length L, under the name for it.</summary>
    [JsonPropertyName("length")] public int Length { get; set; }
    /// <summary>Candidates per request.</summary>
    [JsonPropertyName("candidates")] public int Candidates { get; set; }
    /// <summary>fitted, fast_loaded or stock_loaded; for the PSU stage, the scorer.</summary>
    [JsonPropertyName("chain")] public string Chain { get; set; } = "";
    /// <summary>exact or pq.</summary>
    [JsonPropertyName("retrieval")] public string Retrieval { get; set; } = "";
    /// <summary>row or batch: for the PSU stage, which scorer path; for whole chains, whether the ranker scored its PSU or PQ stage once for all candidates (batch) or candidate by candidate (row).</summary>
    [JsonPropertyName("path")] public string Path { get; set; } = "";
    /// <summary>Median request time, microseconds.</summary>
    [JsonPropertyName("p50_us")] public double P50Microseconds { get; set; }
    /// <summary>99th percentile request time, microseconds.</summary>
    [JsonPropertyName("p99_us")] public double P99Microseconds { get; set; }
    /// <summary>Bytes allocated per request on the request's thread (median over the timed requests).</summary>
    [JsonPropertyName("allocated_bytes")] public long AllocatedBytes { get; set; }
    /// <summary>Timed requests.</summary>
    [JsonPropertyName("requests")] public int Requests { get; set; }
}

/// <summary>
/// <c>bench --serving</c>: ranking requests against a chain of featurizer, PSU (untrained, randomly initialised weights: the
/// cost of scoring does not depend on training), optionally PQ, and FastTree over SEMINAR's outputs and a per-candidate
/// price, fitted in this process and stock-loaded from its saved zip; each request is one user's history of L behaviours
/// and C candidates, timed one at a time on one thread after a warm-up by time.
/// </summary>
public static class ServingBench
{
    /// <summary>Runs the bench.</summary>
    public static ServingBenchReport Run(ServingBenchOptions options, IProgress<EvaluationProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        progress?.Report(new EvaluationProgress("fitting the chains", double.NaN));
        var fixture = new ServingFixture(options, Math.Max(options.Lengths.Max(), options.Load?.HistoryLength ?? 0));
        var ml = fixture.Ml;
        var chains = new (string Retrieval, ITransformer Model)[] { ("exact", fixture.Exact), ("pq", fixture.Pq) };

        var report = new ServingBenchReport
        {
            Note = "Whole chains run SeminarRanker. Fitted and fast-loaded (Seminar().LoadModel) chains run the C# stages: with the exact GSU the PSU " +
                "scores once per request for all candidates (path batch: one matrix product for all candidates and heads), with PQ the PQ stage scores once " +
                "per request (path batch: the history grouped and its codes gathered once, retrieval per candidate and head), the later stages (FastTree) " +
                "candidate by candidate. A stock-loaded chain " +
                "(Model.Load) goes candidate by candidate through ONNX Runtime. psu_stage times the PSU alone on its row path against its batch path.",
            TieredCompilation = BenchTiming.TieredCompilation, ReadyToRun = BenchTiming.ReadyToRun,
            Processors = Environment.ProcessorCount, Dimension = options.Dimension, Heads = options.Heads, K = options.TopK, CatalogItems = options.CatalogItems,
        };
        foreach (var (retrieval, fitted) in chains)
        {
            using var stream = new MemoryStream();
            ml.Model.Save(fitted, fixture.TrainingSchema, stream);
            stream.Position = 0;
            // Disposed at the end of the chain's runs: the stock-loaded stages each keep a copy of their graph in the temp folder until then.
            using var loaded = (TransformerChain<ITransformer>)ml.Model.Load(stream, out var loadedSchema);
            stream.Position = 0;
            using var fastLoaded = (TransformerChain<ITransformer>)ml.Seminar().LoadModel(stream, out var fastSchema);
            foreach (var (chain, model, schema) in new[] { ("fitted", fitted, fixture.TrainingSchema), ("fast_loaded", (ITransformer)fastLoaded, fastSchema), ("stock_loaded", loaded, loadedSchema) })
            {
                using var ranker = new SeminarRanker(model, schema);
                foreach (int length in options.Lengths)
                    foreach (int count in options.Candidates)
                    {
                        string setting = $"{chain}/{retrieval}/L={length}/C={count}";
                        progress?.Report(new EvaluationProgress($"measuring {setting}", double.NaN));
                        var requests = Enumerable.Range(0, options.Users).Select(_ => fixture.Request(length, count)).ToArray();
                        var scores = new float[count];
                        report.Requests.Add(Measure(options, i => ranker.Rank(requests[i % requests.Length], scores), setting, length, count, chain, retrieval,
                            ranker.BatchesPsu ? "batch" : "row"));
                    }
            }
        }
        MeasurePsuStage(options, fixture, report, progress);
        if (options.Load is { } load)
        {
            var requests = Enumerable.Range(0, load.Requests).Select(_ => fixture.Request(load.HistoryLength, load.Candidates)).ToArray();
            var (retrieval, model) = chains[0];
            report.Load = ServingLoad.Run(model, fixture.TrainingSchema, requests, retrieval, load, progress);
        }
        return report;
    }

    /// <summary>The PSU alone on index vectors: candidate by candidate (history reused) against all candidates at once.</summary>
    static void MeasurePsuStage(ServingBenchOptions options, ServingFixture fixture, ServingBenchReport report, IProgress<EvaluationProgress>? progress)
    {
        var model = fixture.Psu.Model;
        int d = model.Dimension, t = model.QueryTokens;
        long Index(int size) => fixture.Index(size);
        foreach (int length in options.Lengths)
            foreach (int count in options.Candidates)
            {
                var users = Enumerable.Range(0, options.Users).Select(_ => (
                    Items: Enumerable.Range(0, length).Select(_ => Index(model.ItemCount)).ToArray(),
                    Tokens: Enumerable.Range(0, length * t).Select(_ => fixture.Coin() ? 0 : Index(model.TokenCount)).ToArray())).ToArray();
                var targets = Enumerable.Range(0, count).Select(_ => Index(model.ItemCount)).ToArray();
                var queries = Enumerable.Range(0, count * t).Select(_ => Index(model.TokenCount)).ToArray();
                var logits = new float[count];
                var target = new float[d];
                var interest = new float[d];
                foreach (string path in new[] { "row", "batch" })
                {
                    string setting = $"psu/{path}/L={length}/C={count}";
                    progress?.Report(new EvaluationProgress($"measuring {setting}", double.NaN));
                    var scorer = new PsuRowScorer(model);
                    Action<int> request = path == "row"
                        ? i =>
                        {
                            var u = users[i % users.Length];
                            for (int c = 0; c < count; c++) logits[c] = scorer.Score(u.Items, u.Tokens, targets[c], queries.AsSpan(c * t, t), target, interest);
                        }
                        : i =>
                        {
                            var u = users[i % users.Length];
                            scorer.ScoreCandidates(u.Items, u.Tokens, targets, queries, default, logits, default, default);
                        };
                    report.PsuStage.Add(Measure(options, request, setting, length, count, "psu_scorer", "exact", path));
                }
            }
    }

    /// <summary>Warms up for the options' seconds, then times requests one by one: median and 99th percentile, bytes allocated per request.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    static ServingBenchRow Measure(ServingBenchOptions options, Action<int> request, string setting, int length, int candidates, string chain, string retrieval, string path)
    {
        int i = 0;
        var warm = Stopwatch.StartNew();
        // At least two calls, so the first call's one-off work (buffers growing to L) is out of the timed part.
        while (i < 2 || warm.Elapsed.TotalSeconds < options.WarmupSeconds) request(i++);
        var times = new List<double>();
        var bytes = new List<long>();
        var clock = Stopwatch.StartNew();
        while (times.Count < options.MaxRequests && (times.Count < options.MinRequests || clock.Elapsed.TotalSeconds < options.MeasureSeconds))
        {
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            long start = Stopwatch.GetTimestamp();
            request(i++);
            long end = Stopwatch.GetTimestamp();
            bytes.Add(GC.GetAllocatedBytesForCurrentThread() - allocated);
            times.Add((end - start) * 1e6 / Stopwatch.Frequency);
        }
        times.Sort();
        bytes.Sort();
        return new ServingBenchRow
        {
            Setting = setting, HistoryLength = length, Length = length, Candidates = candidates, Chain = chain, Retrieval = retrieval, Path = path,
            P50Microseconds = Math.Round(BenchTiming.Percentile(times, 0.5), 1), P99Microseconds = Math.Round(BenchTiming.Percentile(times, 0.99), 1),
            AllocatedBytes = bytes[bytes.Count / 2], Requests = times.Count,
        };
    }
}
