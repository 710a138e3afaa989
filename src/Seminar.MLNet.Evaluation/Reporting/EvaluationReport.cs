using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seminar.MLNet.Evaluation.Reporting;

/// <summary>
/// The report JSON of <c>evaluate</c> and <c>demo</c>. Field names are a contract (docs/architecture.md,
/// "Report JSON"): scripts and other teams read them. Sections a run did not produce are written as null.
/// </summary>
public sealed class EvaluationReport
{
    /// <summary>Dataset name from dataset.json.</summary>
    [JsonPropertyName("dataset")] public string Dataset { get; set; } = "";
    /// <summary>Distinct users with events.</summary>
    [JsonPropertyName("users")] public int Users { get; set; }
    /// <summary>Items in the catalog.</summary>
    [JsonPropertyName("items")] public int Items { get; set; }
    /// <summary>Sample counts per split.</summary>
    [JsonPropertyName("samples")] public SampleCounts Samples { get; set; } = new();
    /// <summary>History lengths over all samples (after truncation to max history).</summary>
    [JsonPropertyName("history")] public HistoryStats History { get; set; } = new();
    /// <summary>libtorch intra-op threads every PSU training of the run used (<c>PsuEmbeddingOptions.Threads</c>; 0 = one per core).</summary>
    [JsonPropertyName("torch_threads")] public int TorchThreads { get; set; }
    /// <summary>Metrics per model name.</summary>
    [JsonPropertyName("models")] public Dictionary<string, ModelReport> Models { get; set; } = new();
    /// <summary>Approximate retrieval quality and cost; null until the PQ component runs.</summary>
    [JsonPropertyName("pq")] public PqReport? Pq { get; set; }
    /// <summary>Save/load parity; null until a saved SEMINAR pipeline is round-tripped.</summary>
    [JsonPropertyName("roundtrip")] public RoundtripReport? Roundtrip { get; set; }
    /// <summary>
    /// Paired differences with 95% intervals: every model against <c>fasttree_baseline</c>, each ablation and predecessor against
    /// <c>seminar_neural</c>, <c>fasttree_seminar_pq</c> against <c>fasttree_seminar</c>; one entry per metric. Empty when no pair ran.
    /// </summary>
    [JsonPropertyName("comparisons")] public List<ComparisonReport> Comparisons { get; set; } = new();
    /// <summary>Retrieval cost against history length and recall against K; null unless measured.</summary>
    [JsonPropertyName("curves")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RetrievalCurvesReport? Curves { get; set; }
    /// <summary>How the samples were made (clock, negative sampling, dropped events, target-in-history shares, skipped groups); null unless filled.</summary>
    [JsonPropertyName("protocol")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ProtocolReport? Protocol { get; set; }

    static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Serialises the report.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Parses a report.</summary>
    public static EvaluationReport FromJson(string json) =>
        JsonSerializer.Deserialize<EvaluationReport>(json, Options) ?? throw new JsonException("Empty report.");
}

/// <summary>Sample counts per split.</summary>
public sealed class SampleCounts
{
    /// <summary>Training samples.</summary>
    [JsonPropertyName("train")] public int Train { get; set; }
    /// <summary>Test samples.</summary>
    [JsonPropertyName("test")] public int Test { get; set; }
}

/// <summary>History length statistics.</summary>
public sealed class HistoryStats
{
    /// <summary>Mean history length.</summary>
    [JsonPropertyName("mean")] public double Mean { get; set; }
    /// <summary>Longest history.</summary>
    [JsonPropertyName("max")] public int Max { get; set; }
}

/// <summary>Test metrics and costs of one model.</summary>
public sealed class ModelReport
{
    /// <summary>ROC AUC over all test samples.</summary>
    [JsonPropertyName(ReportMetrics.Auc)] public double Auc { get; set; }
    /// <summary>Per-user AUC weighted by the user's sample count, over users with both classes.</summary>
    [JsonPropertyName(ReportMetrics.Gauc)] public double Gauc { get; set; }
    /// <summary>Mean binary cross-entropy (natural log) of the predicted probability.</summary>
    [JsonPropertyName(ReportMetrics.LogLoss)] public double LogLoss { get; set; }
    /// <summary>Share of positives ranked in the top 10 of their group.</summary>
    [JsonPropertyName(ReportMetrics.HitAt10)] public double HitAt10 { get; set; }
    /// <summary>NDCG@10 of each positive within its group, averaged.</summary>
    [JsonPropertyName(ReportMetrics.NdcgAt10)] public double NdcgAt10 { get; set; }
    /// <summary>Mean reciprocal rank of each positive within its group.</summary>
    [JsonPropertyName(ReportMetrics.Mrr)] public double Mrr { get; set; }
    /// <summary>Wall-clock seconds to fit the pipeline (mean over seeds).</summary>
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; set; }
    /// <summary>Microseconds per test row to score with the fitted pipeline (mean over seeds).</summary>
    [JsonPropertyName("score_us_per_row")] public double ScoreMicrosPerRow { get; set; }
    /// <summary>With <c>fasttree_seminar</c>: the SEMINAR features the trees used, <c>in_sample_pretrained</c> or <c>cross_fitted</c>.</summary>
    [JsonPropertyName("stacking")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Stacking { get; set; }
    /// <summary>When the stacking was chosen on validation: each candidate's validation AUC, by its <c>stacking</c> name.</summary>
    [JsonPropertyName("stacking_validation_auc")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, double>? StackingValidationAuc { get; set; }
    /// <summary>
    /// Trainings the metrics average over (seeds S..S+N-1 on the same split); each metric above is their mean. 0 in a report
    /// written before seeds existed.
    /// </summary>
    [JsonPropertyName("seeds")] public int Seeds { get; set; }
    /// <summary>Sample standard deviation of <see cref="Auc"/> over seeds (0 for one seed).</summary>
    [JsonPropertyName(ReportMetrics.Auc + "_std")] public double AucStd { get; set; }
    /// <summary>Sample standard deviation of <see cref="Gauc"/> over seeds.</summary>
    [JsonPropertyName(ReportMetrics.Gauc + "_std")] public double GaucStd { get; set; }
    /// <summary>Sample standard deviation of <see cref="LogLoss"/> over seeds.</summary>
    [JsonPropertyName(ReportMetrics.LogLoss + "_std")] public double LogLossStd { get; set; }
    /// <summary>Sample standard deviation of <see cref="HitAt10"/> over seeds.</summary>
    [JsonPropertyName(ReportMetrics.HitAt10 + "_std")] public double HitAt10Std { get; set; }
    /// <summary>Sample standard deviation of <see cref="NdcgAt10"/> over seeds.</summary>
    [JsonPropertyName(ReportMetrics.NdcgAt10 + "_std")] public double NdcgAt10Std { get; set; }
    /// <summary>Sample standard deviation of <see cref="Mrr"/> over seeds.</summary>
    [JsonPropertyName(ReportMetrics.Mrr + "_std")] public double MrrStd { get; set; }
}

/// <summary>
/// One metric's paired difference between two models trained with the same seeds on the same split, with its 95% intervals.
/// Differences are model minus against for every metric, so a negative <c>logloss</c> difference favours the model.
/// </summary>
public sealed class ComparisonReport
{
    /// <summary>The model compared.</summary>
    [JsonPropertyName("model")] public string Model { get; set; } = "";
    /// <summary>The reference model.</summary>
    [JsonPropertyName("against")] public string Against { get; set; } = "";
    /// <summary>Metric name, as in the models section.</summary>
    [JsonPropertyName("metric")] public string Metric { get; set; } = "";
    /// <summary>Mean over seeds of the per-seed difference, model minus against.</summary>
    [JsonPropertyName("difference")] public double Difference { get; set; }
    /// <summary>Lower bound of the 95% Student-t interval over seeds (N - 1 degrees of freedom); null with one seed.</summary>
    [JsonPropertyName("low")] public double? Low { get; set; }
    /// <summary>Upper bound of the 95% Student-t interval over seeds; null with one seed.</summary>
    [JsonPropertyName("high")] public double? High { get; set; }
    /// <summary>Seeds the difference averages over.</summary>
    [JsonPropertyName("seeds")] public int Seeds { get; set; }
    /// <summary>
    /// Lower bound of the 95% percentile interval of <see cref="Difference"/> when test users are resampled with replacement
    /// (both models scored on the same resample); null when the bootstrap was off or the metric undefined.
    /// </summary>
    [JsonPropertyName("bootstrap_low")] public double? BootstrapLow { get; set; }
    /// <summary>Upper bound of the bootstrap interval over test users; null when not computed.</summary>
    [JsonPropertyName("bootstrap_high")] public double? BootstrapHigh { get; set; }
}

/// <summary>Approximate retrieval section.</summary>
public sealed class PqReport
{
    /// <summary>Retrieved positions per request.</summary>
    [JsonPropertyName("k")] public int K { get; set; }
    /// <summary>
    /// Recall of the approximate top-K against the exact top-K over the test histories of at least
    /// <see cref="RecallMinLength"/> (4K + 1) behaviours; NaN when there is none. Shorter histories make recall trivially 1 or
    /// close to it: see <see cref="RecallAllLengths"/> and <see cref="RecallByLength"/>.
    /// </summary>
    [JsonPropertyName("recall@k")] public double RecallAtK { get; set; }
    /// <summary>Exact time over approximate time on the same requests.</summary>
    [JsonPropertyName("speedup_vs_exact")] public double SpeedupVsExact { get; set; }
    /// <summary>Bytes of code the approximate scan reads per behaviour (its item's gathered 4-bit codes; nothing is stored per behaviour).</summary>
    [JsonPropertyName("bytes_per_behaviour")] public double BytesPerBehaviour { get; set; }
    /// <summary>Bytes of code stored per catalog item (a fixed 16-byte row of 4-bit codes).</summary>
    [JsonPropertyName("bytes_per_item")] public double BytesPerItem { get; set; }
    /// <summary>Bytes per behaviour of the exact scan (its fused pair vector).</summary>
    [JsonPropertyName("exact_bytes_per_behaviour")] public double ExactBytesPerBehaviour { get; set; }
    /// <summary>Exact GSU microseconds per request (scan and top-K, one thread).</summary>
    [JsonPropertyName("exact_us")] public double ExactMicroseconds { get; set; }
    /// <summary>Approximate GSU microseconds per request (lookup tables, scan and top-K, one thread).</summary>
    [JsonPropertyName("pq_us")] public double PqMicroseconds { get; set; }
    /// <summary>Test requests measured.</summary>
    [JsonPropertyName("requests")] public int Requests { get; set; }
    /// <summary>Mean behaviours per measured request.</summary>
    [JsonPropertyName("mean_length")] public double MeanLength { get; set; }
    /// <summary>The shortest history <see cref="RecallAtK"/> counts: 4K + 1.</summary>
    [JsonPropertyName("recall_min_length")] public int RecallMinLength { get; set; }
    /// <summary>Test requests <see cref="RecallAtK"/> counts.</summary>
    [JsonPropertyName("recall_requests")] public int RecallRequests { get; set; }
    /// <summary>Recall over every measured request with a history, whatever its length.</summary>
    [JsonPropertyName("recall_all_lengths")] public double RecallAllLengths { get; set; }
    /// <summary>Recall per history-length band (bounded by K, 2K, 4K, 8K and 16K; empty bands left out).</summary>
    [JsonPropertyName("recall_by_length")] public List<RetrievalRecallBand> RecallByLength { get; set; } = new();
}

/// <summary>Save/load parity section.</summary>
public sealed class RoundtripReport
{
    /// <summary>Largest absolute difference of the test probabilities after stock <c>Model.Load</c>.</summary>
    [JsonPropertyName("stock_load_max_abs_diff")] public double StockLoadMaxAbsDiff { get; set; }
    /// <summary>
    /// Largest absolute difference of the test probabilities after <c>mlContext.Seminar().LoadModel</c> (every SEMINAR stage
    /// rebuilt as its C# transformer from the zip's graphs); null in reports written before fast loading existed.
    /// </summary>
    [JsonPropertyName("fast_load_max_abs_diff")] public double? FastLoadMaxAbsDiff { get; set; }
    /// <summary>The model that was saved and loaded.</summary>
    [JsonPropertyName("model")] public string Model { get; set; } = "";
    /// <summary>Test rows compared.</summary>
    [JsonPropertyName("rows")] public int Rows { get; set; }
}
