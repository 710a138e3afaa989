using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;
using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Evaluation.Reporting;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Retrieval;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>Options of the <c>bench</c> job.</summary>
public sealed class RetrievalBenchOptions
{
    /// <summary>History lengths measured. Default 1,000, 10,000 and 100,000.</summary>
    public IReadOnlyList<int> Lengths { get; set; } = new[] { 1_000, 10_000, 100_000 };
    /// <summary>Seed of training, sampling and request drawing. Default 1.</summary>
    public int Seed { get; set; } = 1;
    /// <summary>Timed passes over the requests of a length (the median counts). Default 5.</summary>
    public int Rounds { get; set; } = 5;
    /// <summary>
    /// Exact-scan bytes the requests of one length should hold together (default 96 MB, three times this machine's L3),
    /// so each request's data comes from memory as it would for distinct users; between 3 and <see cref="MaxRequests"/> requests.
    /// </summary>
    public long BytesPerLength { get; set; } = 96L << 20;
    /// <summary>Most requests per length. Default 64.</summary>
    public int MaxRequests { get; set; } = 64;
    /// <summary>Training samples the PSU and codebooks are fitted on (the first ones). Default 20,000: the bench measures retrieval, not accuracy.</summary>
    public int TrainingRows { get; set; } = 20_000;
    /// <summary>PSU options (pretraining only, one epoch over histories cut to 200 by default).</summary>
    public PsuEmbeddingOptions Psu { get; set; } = new() { LabelColumnName = null, PretrainingMaxEpoch = 1, TrainingMaxHistory = 200 };
    /// <summary>Product quantization options.</summary>
    public PqAttentionOptions Pq { get; set; } = new();

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        if (Lengths.Count == 0 || Lengths.Any(l => l < 1)) throw new ArgumentOutOfRangeException(nameof(Lengths), "Lengths must be positive.");
        ArgumentOutOfRangeException.ThrowIfLessThan(Rounds, 1, nameof(Rounds));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequests, 1, nameof(MaxRequests));
        ArgumentOutOfRangeException.ThrowIfLessThan(BytesPerLength, 1, nameof(BytesPerLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(TrainingRows, 1, nameof(TrainingRows));
    }
}

/// <summary>The <c>bench</c> report (docs/architecture.md, "Report JSON"): field names are a contract.</summary>
public sealed class RetrievalBenchReport
{
    /// <summary>Single-thread sequential read bandwidth of this machine, GB/s.</summary>
    [JsonPropertyName("memory_bandwidth_gbps")] public double MemoryBandwidthGbps { get; set; }
    /// <summary>Behaviours kept per head.</summary>
    [JsonPropertyName("k")] public int K { get; set; }
    /// <summary>Dataset the PSU and codebooks were trained on and the behaviours drawn from.</summary>
    [JsonPropertyName("dataset")] public string Dataset { get; set; } = "";
    /// <summary>Code sets (item modalities, then the query part) of the quantizer.</summary>
    [JsonPropertyName("code_sets")] public IReadOnlyList<string> CodeSets { get; set; } = Array.Empty<string>();
    /// <summary>Whether the byte-table (AVX-512 VBMI) scan ran; otherwise the float scan.</summary>
    [JsonPropertyName("byte_scan")] public bool ByteScan { get; set; }
    /// <summary>One entry per history length.</summary>
    [JsonPropertyName("lengths")] public List<RetrievalBenchLength> Lengths { get; set; } = new();

    static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    /// <summary>Serialises the report.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);
}

/// <summary>
/// Exact against approximate retrieval at one history length: the cost and recall of a curves point (its fields first,
/// in the same order: the serializer writes a derived type's own properties first unless ordered after), then what the
/// scans read and the memory bound that sets.
/// </summary>
public sealed class RetrievalBenchLength : RetrievalLengthPoint
{
    /// <summary>Bytes the exact scan reads per behaviour.</summary>
    [JsonPropertyName("exact_bytes_per_behaviour"), JsonPropertyOrder(1)] public int ExactBytesPerBehaviour { get; set; }
    /// <summary>Bytes the approximate scan reads per behaviour.</summary>
    [JsonPropertyName("pq_bytes_per_behaviour"), JsonPropertyOrder(1)] public int PqBytesPerBehaviour { get; set; }
    /// <summary>Time to read the approximate scan's bytes at the measured bandwidth, microseconds: its memory bound.</summary>
    [JsonPropertyName("pq_bandwidth_bound_us"), JsonPropertyOrder(1)] public double PqBandwidthBoundMicroseconds { get; set; }
    /// <summary>pq_us / pq_bandwidth_bound_us: 1 means the scan runs at memory speed.</summary>
    [JsonPropertyName("pq_over_bound"), JsonPropertyOrder(1)] public double PqOverBound { get; set; }
    /// <summary>Time to read the exact scan's bytes at the measured bandwidth, microseconds.</summary>
    [JsonPropertyName("exact_bandwidth_bound_us"), JsonPropertyOrder(1)] public double ExactBandwidthBoundMicroseconds { get; set; }
}

/// <summary>
/// The <c>bench</c> job: trains a PSU (pretraining) and its quantizers on a canonical dataset, draws requests whose
/// histories are <c>L</c> behaviours sampled from the dataset's histories, and measures exact against approximate
/// retrieval on the same requests in one process and one thread (<see cref="RetrievalComparison"/>).
/// </summary>
public static class RetrievalBench
{
    /// <summary>Runs the bench.</summary>
    public static RetrievalBenchReport Run(string datasetFolder, RetrievalBenchOptions options, IProgress<EvaluationProgress>? progress = null)
    {
        options.Validate();
        var dataset = CanonicalDataset.Open(datasetFolder, BadRowPolicy.SkipAndCount);
        var log = EventLog.Load(dataset, null);
        var split = SampleBuilder.Build(log, new EvaluationOptions { Seed = options.Seed }, null);
        var ml = new MLContext(options.Seed);
        var train = ml.Data.TakeRows(new SampleDataView(split.Train), options.TrainingRows);

        progress?.Report(new EvaluationProgress("featurizing", double.NaN));
        var featurizer = ml.Seminar().FeaturizeSequences(new CatalogDataView(dataset, new DataIssues()), new SequenceFeaturizerOptions()).Fit(train);
        var featurized = featurizer.Transform(train);
        var psuOptions = options.Psu;
        psuOptions.Seed ??= options.Seed;
        if (progress != null)
            psuOptions.Progress = new SynchronousProgress<PsuTrainingProgress>(p => progress.Report(new EvaluationProgress($"PSU {p.Stage} (epoch {p.Epoch})", p.Fraction)));
        var psu = ml.Seminar().PsuEmbedding(psuOptions).Fit(featurized);
        progress?.Report(new EvaluationProgress("training codebooks", double.NaN));
        options.Pq.Seed ??= options.Seed;
        var model = ml.Seminar().PqAttention(options.Pq).Fit(psu.Transform(featurized)).Model;

        // Behaviours are drawn from a bounded share of the training rows: enough variety, bounded memory.
        var pool = RetrievalRequests.Read(featurized, 20_000);
        if (!pool.Any(r => r.HistoryItems.Length > 0)) throw new InvalidOperationException("The dataset's samples have no history to draw behaviours from.");
        progress?.Report(new EvaluationProgress("measuring memory bandwidth", double.NaN));
        var report = new RetrievalBenchReport
        {
            MemoryBandwidthGbps = MemoryBandwidth.MeasureReadGigabytesPerSecond(),
            K = model.TopK,
            Dataset = dataset.Manifest.Name,
            CodeSets = model.Psu.ModalityNames.Append("query").ToArray(),
            ByteScan = PqScan.BytesSupported,
        };
        var rng = new Random(options.Seed);
        foreach (int length in options.Lengths)
        {
            progress?.Report(new EvaluationProgress($"measuring L = {length:N0}", double.NaN));
            int count = (int)Math.Clamp((options.BytesPerLength + 4L * model.Psu.Dimension * length - 1) / (4L * model.Psu.Dimension * length), 3, options.MaxRequests);
            var requests = Enumerable.Range(0, count).Select(_ => Draw(pool, length, model.Psu.QueryTokens, rng)).ToArray();
            var m = RetrievalComparison.Measure(model, requests, options.Rounds);
            double bound(int bytes) => (double)bytes * length / (report.MemoryBandwidthGbps * 1e3);
            report.Lengths.Add(new RetrievalBenchLength
            {
                Length = length, Requests = m.Requests, ExactMicroseconds = m.ExactMicroseconds, PqMicroseconds = m.PqMicroseconds,
                Speedup = m.Speedup, Recall = m.Recall, ExactBytesPerBehaviour = m.ExactBytesPerBehaviour, PqBytesPerBehaviour = m.PqBytesPerBehaviour,
                PqBandwidthBoundMicroseconds = bound(m.PqBytesPerBehaviour), PqOverBound = m.PqMicroseconds / bound(m.PqBytesPerBehaviour),
                ExactBandwidthBoundMicroseconds = bound(m.ExactBytesPerBehaviour),
            });
        }
        return report;
    }

    /// <summary>A request: the target of a random sample, and <paramref name="length"/> behaviours drawn from all samples' histories.</summary>
    static RetrievalRequest Draw(IReadOnlyList<RetrievalRequest> pool, int length, int t, Random rng)
    {
        var target = pool[rng.Next(pool.Count)];
        var items = new long[length];
        var tokens = new long[(long)length * t];
        for (int l = 0; l < length; l++)
        {
            RetrievalRequest from;
            do from = pool[rng.Next(pool.Count)]; while (from.HistoryItems.Length == 0);
            int at = rng.Next(from.HistoryItems.Length);
            items[l] = from.HistoryItems[at];
            Array.Copy(from.HistoryQueryTokens, at * t, tokens, l * t, t);
        }
        return new RetrievalRequest(items, tokens, target.TargetItem, target.QueryTokens);
    }
}
