using System.Text.Json;
using System.Text.Json.Serialization;

namespace Seminar.MLNet.Evaluation.Reporting;

/// <summary>
/// The report JSON of <c>evaluate</c> and <c>demo</c>. Field names are a contract (DESIGN.md, "Report
/// JSON"): scripts and other teams read them. Sections a run did not produce are written as null.
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
    /// <summary>Metrics per model name.</summary>
    [JsonPropertyName("models")] public Dictionary<string, ModelReport> Models { get; set; } = new();
    /// <summary>Approximate retrieval quality and cost; null until the PQ component runs.</summary>
    [JsonPropertyName("pq")] public PqReport? Pq { get; set; }
    /// <summary>Save/load parity; null until a saved SEMINAR pipeline is round-tripped.</summary>
    [JsonPropertyName("roundtrip")] public RoundtripReport? Roundtrip { get; set; }
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
    [JsonPropertyName("auc")] public double Auc { get; set; }
    /// <summary>Per-user AUC weighted by the user's sample count, over users with both classes.</summary>
    [JsonPropertyName("gauc")] public double Gauc { get; set; }
    /// <summary>Mean binary cross-entropy (natural log) of the predicted probability.</summary>
    [JsonPropertyName("logloss")] public double LogLoss { get; set; }
    /// <summary>Share of positives ranked in the top 10 of their group.</summary>
    [JsonPropertyName("hit@10")] public double HitAt10 { get; set; }
    /// <summary>NDCG@10 of each positive within its group, averaged.</summary>
    [JsonPropertyName("ndcg@10")] public double NdcgAt10 { get; set; }
    /// <summary>Mean reciprocal rank of each positive within its group.</summary>
    [JsonPropertyName("mrr")] public double Mrr { get; set; }
    /// <summary>Wall-clock seconds to fit the pipeline.</summary>
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; set; }
    /// <summary>Microseconds per test row to score with the fitted pipeline.</summary>
    [JsonPropertyName("score_us_per_row")] public double ScoreMicrosPerRow { get; set; }
    /// <summary>With <c>fasttree_seminar</c>: the SEMINAR features the trees used, <c>in_sample_pretrained</c> or <c>cross_fitted</c>.</summary>
    [JsonPropertyName("stacking")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Stacking { get; set; }
    /// <summary>When the stacking was chosen on validation: each candidate's validation AUC, by its <c>stacking</c> name.</summary>
    [JsonPropertyName("stacking_validation_auc")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, double>? StackingValidationAuc { get; set; }
}

/// <summary>Approximate retrieval section.</summary>
public sealed class PqReport
{
    /// <summary>Retrieved positions per request.</summary>
    [JsonPropertyName("k")] public int K { get; set; }
    /// <summary>Recall of the approximate top-K against the exact top-K.</summary>
    [JsonPropertyName("recall@k")] public double RecallAtK { get; set; }
    /// <summary>Exact time over approximate time on the same requests.</summary>
    [JsonPropertyName("speedup_vs_exact")] public double SpeedupVsExact { get; set; }
    /// <summary>Bytes stored per behaviour with codes.</summary>
    [JsonPropertyName("bytes_per_behaviour")] public double BytesPerBehaviour { get; set; }
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
}

/// <summary>Save/load parity section.</summary>
public sealed class RoundtripReport
{
    /// <summary>Largest absolute difference of the test probabilities after stock <c>Model.Load</c>.</summary>
    [JsonPropertyName("stock_load_max_abs_diff")] public double StockLoadMaxAbsDiff { get; set; }
    /// <summary>
    /// Largest absolute difference of the test probabilities after a fast loader; null: the project has none (a stock-loaded
    /// zip runs every SEMINAR stage as ONNX; the in-process C# path is the fitted transformers').
    /// </summary>
    [JsonPropertyName("fast_load_max_abs_diff")] public double? FastLoadMaxAbsDiff { get; set; }
    /// <summary>The model that was saved and loaded.</summary>
    [JsonPropertyName("model")] public string Model { get; set; } = "";
    /// <summary>Test rows compared.</summary>
    [JsonPropertyName("rows")] public int Rows { get; set; }
}
