using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Seminar.MLNet.Evaluation.Reporting;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Quantization.FastScan;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>Options of the <c>bench</c> job.</summary>
public sealed class RetrievalBenchOptions
{
    /// <summary>History lengths measured in every setting. Default 1,000, 10,000 and 100,000.</summary>
    public IReadOnlyList<int> Lengths { get; set; } = new[] { 1_000, 10_000, 100_000 };
    /// <summary>Catalog sizes the gather setting reads from; the smallest is the catalog of the other settings. Default 100,000 and 1,000,000.</summary>
    public IReadOnlyList<int> CatalogSizes { get; set; } = new[] { 100_000, 1_000_000 };
    /// <summary>Candidates of a ranking request. Default 100.</summary>
    public int Candidates { get; set; } = 100;
    /// <summary>Seed of the vectors, histories and codebooks. Default 1.</summary>
    public int Seed { get; set; } = 1;
    /// <summary>Behaviours kept per request vector. Default 50.</summary>
    public int K { get; set; } = 50;
    /// <summary>
    /// Behaviours re-ranked exactly per request vector (K'). Default 300: recall@50 stays at 0.97 or more in every
    /// setting (on the byte re-rank too), and a shorter re-rank is what the stored setting spends least on.
    /// </summary>
    /// <remarks>
    /// <see cref="PqAttentionOptions"/> keeps 400 in the pipeline, where real data's recall decides, not this bench's.
    /// </remarks>
    public int Shortlist { get; set; } = 300;
    /// <summary>Sub-spaces of the 4-bit catalog codes (at most 32). Default 32: 16 bytes per item.</summary>
    public int SubSpaces { get; set; } = 32;
    /// <summary>Dimension D of the synthetic vectors. Default 64.</summary>
    public int Dimension { get; set; } = 64;
    /// <summary>Gaussian clusters of the synthetic item table. Default 1,000.</summary>
    public int Clusters { get; set; } = 1_000;
    /// <summary>Rows of the synthetic token table. Default 10,000.</summary>
    public int Tokens { get; set; } = 10_000;
    /// <summary>Query weight a of the pair fusion. Default 0.3.</summary>
    public float QueryWeight { get; set; } = 0.3f;
    /// <summary>Share of behaviours with a query. Default 0.5.</summary>
    public double QueryShare { get; set; } = 0.5;
    /// <summary>Cells of the catalog's coarse k-means in the ranking setting's partition probe. Default 1,024.</summary>
    public int CoarseCells { get; set; } = 1_024;
    /// <summary>Untimed seconds per measured entry, both sides alternating: past JIT tiering when it is on. Default 1.</summary>
    public double WarmupSeconds { get; set; } = 1;
    /// <summary>Timed seconds per measured entry (both sides together). Default 2.</summary>
    public double MeasureSeconds { get; set; } = 2;
    /// <summary>Fewest timed requests per side and entry. Default 20.</summary>
    public int MinSamples { get; set; } = 20;
    /// <summary>Bytes read between timed requests of the stored setting to evict the user's data (default 128 MB, above this machine's 48 MB L3).</summary>
    public long EvictionBytes { get; set; } = 128L << 20;
    /// <summary>Bytes of the read-bandwidth measurement. Default 512 MB.</summary>
    public long BandwidthBytes { get; set; } = 512L << 20;

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        if (Lengths.Count == 0 || Lengths.Any(l => l < 1)) throw new ArgumentOutOfRangeException(nameof(Lengths), "Lengths must be positive.");
        if (CatalogSizes.Count == 0 || CatalogSizes.Any(n => n < 2)) throw new ArgumentOutOfRangeException(nameof(CatalogSizes), "Catalogs need at least 2 items (item 0 is padding).");
        ArgumentOutOfRangeException.ThrowIfLessThan(Candidates, 1, nameof(Candidates));
        ArgumentOutOfRangeException.ThrowIfLessThan(K, 1, nameof(K));
        ArgumentOutOfRangeException.ThrowIfLessThan(Shortlist, K, nameof(Shortlist));
        ArgumentOutOfRangeException.ThrowIfLessThan(SubSpaces, 1, nameof(SubSpaces));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(SubSpaces, CatalogCodes.MaxSubSpaces, nameof(SubSpaces));
        if (Dimension < 1 || Dimension % SubSpaces != 0) throw new ArgumentOutOfRangeException(nameof(Dimension), $"The sub-spaces ({SubSpaces}) must divide the dimension ({Dimension}).");
        ArgumentOutOfRangeException.ThrowIfLessThan(Clusters, 1, nameof(Clusters));
        ArgumentOutOfRangeException.ThrowIfLessThan(CoarseCells, 2, nameof(CoarseCells));
        ArgumentOutOfRangeException.ThrowIfLessThan(Tokens, 2, nameof(Tokens));
        if (!(QueryWeight >= 0 && QueryWeight <= 1)) throw new ArgumentOutOfRangeException(nameof(QueryWeight), "The query weight lies in [0, 1].");
        if (!(QueryShare >= 0 && QueryShare <= 1)) throw new ArgumentOutOfRangeException(nameof(QueryShare), "The query share lies in [0, 1].");
        if (!(WarmupSeconds >= 0) || !(MeasureSeconds >= 0)) throw new ArgumentOutOfRangeException(nameof(WarmupSeconds), "Seconds cannot be negative.");
        ArgumentOutOfRangeException.ThrowIfLessThan(MinSamples, 1, nameof(MinSamples));
        ArgumentOutOfRangeException.ThrowIfLessThan(EvictionBytes, 0, nameof(EvictionBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(BandwidthBytes, 1L << 20, nameof(BandwidthBytes));
    }
}

/// <summary>The <c>bench</c> report (docs/architecture.md, "Report JSON"): field names are a contract.</summary>
public sealed class RetrievalBenchReport
{
    /// <summary>Single-thread sequential read bandwidth of this machine, GB/s.</summary>
    [JsonPropertyName("memory_bandwidth_gbps")] public double MemoryBandwidthGbps { get; set; }
    /// <summary>Behaviours kept per request vector.</summary>
    [JsonPropertyName("k")] public int K { get; set; }
    /// <summary>Where the vectors come from.</summary>
    [JsonPropertyName("dataset")] public string Dataset { get; set; } = "";
    /// <summary>Code sets of the quantizer: catalog-level item codes; the query part is exact per distinct token.</summary>
    [JsonPropertyName("code_sets")] public IReadOnlyList<string> CodeSets { get; set; } = Array.Empty<string>();
    /// <summary>Whether the byte-table fast scan ran on vector shuffles (AVX2 or AVX-512 BW); otherwise its scalar path.</summary>
    [JsonPropertyName("byte_scan")] public bool ByteScan { get; set; }
    /// <summary>One entry per setting, catalog and history length.</summary>
    [JsonPropertyName("lengths")] public List<RetrievalBenchLength> Lengths { get; set; } = new();
    /// <summary>What the vectors are, in words.</summary>
    [JsonPropertyName("vectors")] public string Vectors { get; set; } = "";
    /// <summary>Dimension D.</summary>
    [JsonPropertyName("dimension")] public int Dimension { get; set; }
    /// <summary>Sub-spaces M of the 4-bit codes.</summary>
    [JsonPropertyName("sub_spaces")] public int SubSpaces { get; set; }
    /// <summary>Behaviours re-ranked exactly per request vector (K').</summary>
    [JsonPropertyName("shortlist")] public int Shortlist { get; set; }
    /// <summary>Query weight a of the pair fusion.</summary>
    [JsonPropertyName("query_weight")] public float QueryWeight { get; set; }
    /// <summary>Share of behaviours with a query.</summary>
    [JsonPropertyName("query_share")] public double QueryShare { get; set; }
    /// <summary>Float32 bytes per catalog item (and per stored pair vector).</summary>
    [JsonPropertyName("float_bytes_per_item")] public int FloatBytesPerItem { get; set; }
    /// <summary>Code bytes per catalog item.</summary>
    [JsonPropertyName("code_bytes_per_item")] public int CodeBytesPerItem { get; set; }
    /// <summary>float_bytes_per_item / code_bytes_per_item.</summary>
    [JsonPropertyName("code_compression")] public double CodeCompression { get; set; }
    /// <summary>Whether tiered compilation was on (then the warm-up had to outlast it).</summary>
    [JsonPropertyName("tiered_compilation")] public bool TieredCompilation { get; set; }
    /// <summary>Whether the framework's ReadyToRun code ran (false under <c>DOTNET_ReadyToRun=0</c>, when the JIT compiles every method at full optimisation).</summary>
    [JsonPropertyName("ready_to_run")] public bool ReadyToRun { get; set; }
    /// <summary>Processors of the machine; the bench uses one thread.</summary>
    [JsonPropertyName("processors")] public int Processors { get; set; }
    /// <summary>The targets, each with what this run measured.</summary>
    [JsonPropertyName("targets")] public List<RetrievalBenchTarget> Targets { get; set; } = new();

    static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    /// <summary>Serialises the report.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Options);
}

/// <summary>One target of the approximate retrieval and whether this run met it.</summary>
public sealed class RetrievalBenchTarget
{
    /// <summary>The target in words.</summary>
    [JsonPropertyName("target")] public string Target { get; set; } = "";
    /// <summary>The measured speedup (or compression), or 0 when the run did not measure it.</summary>
    [JsonPropertyName("measured")] public double Measured { get; set; }
    /// <summary>The measured recall@K where the target has one, else null.</summary>
    [JsonPropertyName("recall")] public double? Recall { get; set; }
    /// <summary>Whether it was met.</summary>
    [JsonPropertyName("met")] public bool Met { get; set; }
    /// <summary>Which re-rank measured it: <c>float</c> (the main entry) or <c>int8</c> (its byte variant), the faster that keeps recall@K at 0.95.</summary>
    [JsonPropertyName("rerank"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Rerank { get; set; }
}

/// <summary>
/// Exact against approximate retrieval in one setting at one history length: the cost and recall of a curves point
/// (its fields first, in the same order: the serializer writes a derived type's own properties first unless ordered
/// after), then the bytes the scans read and the memory bound that sets, then the setting and the per-request spread.
/// </summary>
public sealed class RetrievalBenchLength : RetrievalLengthPoint
{
    /// <summary>Bytes the exact scan reads per behaviour.</summary>
    [JsonPropertyName("exact_bytes_per_behaviour"), JsonPropertyOrder(1)] public int ExactBytesPerBehaviour { get; set; }
    /// <summary>Bytes the approximate scan reads per behaviour (codes, and the item index where it gathers).</summary>
    [JsonPropertyName("pq_bytes_per_behaviour"), JsonPropertyOrder(1)] public int PqBytesPerBehaviour { get; set; }
    /// <summary>Time to read the approximate scans' bytes at the measured bandwidth, microseconds: their memory bound.</summary>
    [JsonPropertyName("pq_bandwidth_bound_us"), JsonPropertyOrder(1)] public double PqBandwidthBoundMicroseconds { get; set; }
    /// <summary>pq_us / pq_bandwidth_bound_us: 1 means the approximate side runs at memory speed.</summary>
    [JsonPropertyName("pq_over_bound"), JsonPropertyOrder(1)] public double PqOverBound { get; set; }
    /// <summary>Time to read the exact scan's bytes at the measured bandwidth, microseconds.</summary>
    [JsonPropertyName("exact_bandwidth_bound_us"), JsonPropertyOrder(1)] public double ExactBandwidthBoundMicroseconds { get; set; }
    /// <summary><c>ranking</c>, <c>gather</c> or <c>stored</c>.</summary>
    [JsonPropertyName("setting"), JsonPropertyOrder(2)] public string Setting { get; set; } = "";
    /// <summary>Request vectors per request.</summary>
    [JsonPropertyName("candidates"), JsonPropertyOrder(2)] public int Candidates { get; set; }
    /// <summary>Items of the catalog tables the histories index.</summary>
    [JsonPropertyName("catalog_items"), JsonPropertyOrder(2)] public int CatalogItems { get; set; }
    /// <summary>Median approximate microseconds per request (same as pq_us).</summary>
    [JsonPropertyName("approximate_us"), JsonPropertyOrder(2)] public double ApproximateMicroseconds { get; set; }
    /// <summary>90th-percentile exact microseconds per request.</summary>
    [JsonPropertyName("exact_p90_us"), JsonPropertyOrder(2)] public double ExactP90Microseconds { get; set; }
    /// <summary>90th-percentile approximate microseconds per request.</summary>
    [JsonPropertyName("approximate_p90_us"), JsonPropertyOrder(2)] public double ApproximateP90Microseconds { get; set; }
    /// <summary>Timed requests per side.</summary>
    [JsonPropertyName("samples"), JsonPropertyOrder(2)] public int Samples { get; set; }
    /// <summary>Whether the caches were flushed (a large buffer read) before every timed request.</summary>
    [JsonPropertyName("evicted"), JsonPropertyOrder(2)] public bool Evicted { get; set; }
    /// <summary>Whether the history is longer than 4·K, so its recall counts (shorter ones make it trivially high).</summary>
    [JsonPropertyName("recall_counted"), JsonPropertyOrder(2)] public bool RecallCounted { get; set; }
    /// <summary>Code bytes per behaviour (4-bit, M / 2).</summary>
    [JsonPropertyName("code_bytes_per_behaviour"), JsonPropertyOrder(2)] public int CodeBytesPerBehaviour { get; set; }
    /// <summary>Bytes per behaviour of its item index, which the re-rank (and a gather) reads the catalog by.</summary>
    [JsonPropertyName("index_bytes_per_behaviour"), JsonPropertyOrder(2)] public int IndexBytesPerBehaviour { get; set; }
    /// <summary>Bytes per behaviour of a per-user float copy of the item rows the re-rank reads (ranking), 0 where it reads the catalog table.</summary>
    [JsonPropertyName("rerank_copy_bytes_per_behaviour"), JsonPropertyOrder(2)] public int RerankCopyBytesPerBehaviour { get; set; }
    /// <summary>Float bytes the exact re-rank reads per request vector (K' rows), separate from the codes.</summary>
    [JsonPropertyName("rerank_bytes_per_candidate"), JsonPropertyOrder(2)] public int RerankBytesPerCandidate { get; set; }
    /// <summary>Ranking only: median microseconds of the exact side's relevance product alone (its blocked kernel, no top-K).</summary>
    [JsonPropertyName("exact_product_us"), JsonPropertyOrder(2), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? ExactProductMicroseconds { get; set; }
    /// <summary>Ranking only: median microseconds of the same product as one ONNX Runtime MatMul on one thread (the outside anchor).</summary>
    [JsonPropertyName("onnx_matmul_us"), JsonPropertyOrder(2), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? OnnxMatMulMicroseconds { get; set; }
    /// <summary>Ranking only: 90th-percentile microseconds of the ONNX Runtime MatMul.</summary>
    [JsonPropertyName("onnx_matmul_p90_us"), JsonPropertyOrder(2), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? OnnxMatMulP90Microseconds { get; set; }
    /// <summary>Ranking only: the largest difference between the ONNX Runtime product and the exact kernel's scores (a check that both compute the same).</summary>
    [JsonPropertyName("onnx_matmul_max_abs_diff"), JsonPropertyOrder(2), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? OnnxMatMulMaxAbsDiff { get; set; }
    /// <summary>Gather only: median exact microseconds per request with the exact side timed alone, its requests back to back (no approximate request between them moves its tables in or out of the caches).</summary>
    [JsonPropertyName("exact_alone_us"), JsonPropertyOrder(2), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? ExactAloneMicroseconds { get; set; }
    /// <summary>Gather only: median approximate microseconds per request timed alone, as <see cref="ExactAloneMicroseconds"/>: the code table stays wherever the approximate side's own reads leave it.</summary>
    [JsonPropertyName("approximate_alone_us"), JsonPropertyOrder(2), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? ApproximateAloneMicroseconds { get; set; }
    /// <summary>Gather only: exact_alone_us / approximate_alone_us.</summary>
    [JsonPropertyName("speedup_alone"), JsonPropertyOrder(2), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? SpeedupAlone { get; set; }
    /// <summary>Median approximate microseconds per request by stage (gather, query parts, lookup tables, scan, combine, shortlist, re-rank), from a separate instrumented pass.</summary>
    [JsonPropertyName("approximate_stages_us"), JsonPropertyOrder(2)] public Dictionary<string, double> ApproximateStages { get; set; } = new();
    /// <summary>Ranking only: the share of the history a coarse partition visits for each recall (<c>CoarsePartitionProbe</c>).</summary>
    [JsonPropertyName("coarse_partition"), JsonPropertyOrder(3), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public CoarsePartitionEntry? CoarsePartition { get; set; }
    /// <summary>Ranking and stored: the approximate side re-ranking on a per-user byte copy of the item rows (stored: its query sums as bytes too), timed in its own run.</summary>
    [JsonPropertyName("int8_rerank"), JsonPropertyOrder(3), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ByteRerankEntry? ByteRerank { get; set; }
}

/// <summary>
/// The approximate side re-ranking its shortlist on a per-user copy of the history's item rows as signed bytes
/// (<c>Int8Rows</c>: one scale per dimension, one cache line per behaviour at D = 64) instead of float rows, and in the
/// stored setting the user's distinct queries' token sums as bytes as well (64 bytes per distinct query); timed against
/// the exact side in an alternating run of its own, so its <c>exact_us</c> is that run's.
/// </summary>
public sealed class ByteRerankEntry
{
    /// <summary>Median exact microseconds per request in this run.</summary>
    [JsonPropertyName("exact_us")] public double ExactMicroseconds { get; set; }
    /// <summary>Median approximate microseconds per request, re-ranking on bytes.</summary>
    [JsonPropertyName("approximate_us")] public double ApproximateMicroseconds { get; set; }
    /// <summary>90th percentile of the same.</summary>
    [JsonPropertyName("approximate_p90_us")] public double ApproximateP90Microseconds { get; set; }
    /// <summary>exact_us / approximate_us.</summary>
    [JsonPropertyName("speedup")] public double Speedup { get; set; }
    /// <summary>Recall@K against the exact top-K of the float vectors.</summary>
    [JsonPropertyName("recall@k")] public double Recall { get; set; }
    /// <summary>Bytes per behaviour of the byte copy (D rounded up to a cache line), beside the codes.</summary>
    [JsonPropertyName("bytes_per_behaviour")] public int BytesPerBehaviour { get; set; }
    /// <summary>Median microseconds of the re-rank stage alone, from an instrumented pass.</summary>
    [JsonPropertyName("rerank_us")] public double RerankMicroseconds { get; set; }
    /// <summary>Median microseconds per request by stage, as the main entry's <c>approximate_stages_us</c>.</summary>
    [JsonPropertyName("stages_us")] public Dictionary<string, double> Stages { get; set; } = new();
}

/// <summary>
/// The <c>bench</c> job: exact against approximate retrieval over the item/query decomposition, in three settings, each
/// at every history length, one thread, both sides' kernels compiled fully optimised and warmed up by time:
/// <list type="bullet">
/// <item><c>ranking</c>: one user, <see cref="RetrievalBenchOptions.Candidates"/> request vectors, the history's pair
/// vectors and codes built once and left in cache; exact is one blocked matrix product then a top-K per candidate,
/// approximate a lookup table, fast scan and re-rank per candidate.</item>
/// <item><c>gather</c>: one request vector, the history as item indices into catalog tables of each catalog size;
/// exact gathers float rows and dots them, approximate gathers 4-bit codes into fast-scan blocks. The tables stay
/// wherever the caches keep them (a 1,000,000-item float table does not fit; its codes may).</item>
/// <item><c>stored</c>: one request vector, the history's pair vectors (exact) and codes (approximate) stored
/// contiguously per user, evicted from the caches before every timed request.</item>
/// </list>
/// Both sides use the same decomposition: browses score <c>&lt;u, e_item&gt;</c>, searches
/// <c>(1 − a)&lt;u, e_item&gt; + a·mean_t &lt;u, e_t&gt;</c>, the query part exact per distinct token on both sides.
/// Recall@K is against the exact top-K of the same vectors.
/// </summary>
public static class RetrievalBench
{
    const int TokensPerQuery = 3;

    /// <summary>Runs the bench on clustered synthetic vectors.</summary>
    public static RetrievalBenchReport Run(RetrievalBenchOptions options, IProgress<EvaluationProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int d = options.Dimension, largest = options.CatalogSizes.Max(), smallest = options.CatalogSizes.Min();
        progress?.Report(new EvaluationProgress($"generating {largest:N0} clustered item vectors", double.NaN));
        var table = Clustered(largest, d, options.Clusters, options.Seed);
        var tokens = Clustered(options.Tokens, d, Math.Max(1, options.Clusters / 10), options.Seed + 1);
        var catalogs = new Dictionary<int, (PairDecomposition Pairs, CatalogCodes Codes)>();
        foreach (int size in options.CatalogSizes.Distinct().Order())
        {
            progress?.Report(new EvaluationProgress($"training and encoding the codes of {size:N0} items", double.NaN));
            var items = size == largest ? table : table.AsSpan(0, size * d).ToArray();
            catalogs[size] = (new PairDecomposition(items, tokens, d, options.QueryWeight), CatalogCodes.Train(items, d, options.SubSpaces, options.Seed));
        }
        progress?.Report(new EvaluationProgress("measuring memory bandwidth", double.NaN));
        int codeBytes = (options.SubSpaces + 1) / 2;
        var report = new RetrievalBenchReport
        {
            MemoryBandwidthGbps = MemoryBandwidth.MeasureReadGigabytesPerSecond(options.BandwidthBytes),
            K = options.K,
            Dataset = "synthetic-clustered",
            CodeSets = new[] { "item" },
            ByteScan = System.Runtime.Intrinsics.X86.Avx2.IsSupported || System.Runtime.Intrinsics.X86.Avx512BW.IsSupported,
            Vectors = $"clustered synthetic, D = {d}: items around {options.Clusters:N0} Gaussian centres (unit spread), {options.Tokens:N0} query tokens around " +
                $"{Math.Max(1, options.Clusters / 10):N0}; histories draw items uniformly from the catalog, {options.QueryShare:P0} of behaviours carry one of " +
                $"about L/20 distinct queries of 1-{TokensPerQuery} tokens; a request vector is a random item fused with a random query.",
            Dimension = d, SubSpaces = options.SubSpaces, Shortlist = options.Shortlist, QueryWeight = options.QueryWeight, QueryShare = options.QueryShare,
            FloatBytesPerItem = 4 * d, CodeBytesPerItem = codeBytes, CodeCompression = 4.0 * d / codeBytes,
            TieredCompilation = BenchTiming.TieredCompilation, ReadyToRun = BenchTiming.ReadyToRun, Processors = Environment.ProcessorCount,
        };
        var rng = new Random(options.Seed);
        var eviction = new Eviction(options.EvictionBytes);
        progress?.Report(new EvaluationProgress($"{options.CoarseCells:N0} coarse cells of the {smallest:N0}-item catalog (the ranking setting's partition probe)", double.NaN));
        var cells = CoarsePartitionProbe.CatalogCells(smallest == largest ? table : table.AsSpan(0, smallest * d).ToArray(), d, Math.Min(options.CoarseCells, smallest), sample: 20_000, options.Seed);
        foreach (int length in options.Lengths)
        {
            progress?.Report(new EvaluationProgress($"ranking, L = {length:N0}", double.NaN));
            report.Lengths.Add(Ranking(options, catalogs[smallest], cells, length, rng, report.MemoryBandwidthGbps));
        }
        foreach (int size in options.CatalogSizes.Distinct().Order())
            foreach (int length in options.Lengths)
            {
                progress?.Report(new EvaluationProgress($"gather from {size:N0} items, L = {length:N0}", double.NaN));
                report.Lengths.Add(Gather(options, catalogs[size], length, rng, report.MemoryBandwidthGbps));
            }
        foreach (int length in options.Lengths)
        {
            progress?.Report(new EvaluationProgress($"stored, L = {length:N0}", double.NaN));
            report.Lengths.Add(Stored(options, catalogs[smallest], length, rng, eviction, report.MemoryBandwidthGbps));
        }
        report.Targets = Targets(report, options);
        return report;
    }

    static RetrievalBenchLength Ranking(RetrievalBenchOptions o, (PairDecomposition Pairs, CatalogCodes Codes) catalog, (int Cells, int[] CellOf) cells, int length, Random rng, double bandwidth)
    {
        int d = o.Dimension, c = o.Candidates, k = o.K;
        var history = DrawHistory(catalog.Pairs, length, o, rng);
        int n = history.Count;
        var vectors = PairVectors(catalog.Pairs, history);
        var codes = new FourBitCodes(o.SubSpaces);
        catalog.Codes.Gather(history.Items, codes);
        // A few candidate sets for the one user, so consecutive requests do not repeat the same vectors.
        const int sets = 3;
        var u = Enumerable.Range(0, sets).Select(_ => Enumerable.Range(0, c).SelectMany(_ => RequestVector(catalog.Pairs, rng)).ToArray()).ToArray();
        var scores = new float[c * vectors.PaddedCount];
        var selector = new TopKSelector(k);
        var retriever = new DecomposedRetriever(catalog.Codes, catalog.Pairs, k, o.Shortlist);
        var queries = new QueryParts(catalog.Pairs, history, c);
        // The user's item rows in history order, kept with the codes: the re-rank of every candidate reads these few
        // megabytes instead of scattered rows of the whole catalog table.
        var rerank = ItemRows(catalog.Pairs, history);
        var exactTop = new int[c * k];
        var approximateTop = new int[c * k];
        void Exact(int r)
        {
            vectors.Score(u[r], c, scores);
            for (int j = 0; j < c; j++) selector.Select(scores.AsSpan(j * vectors.PaddedCount, n), exactTop.AsSpan(j * k, k));
        }
        void Approximate(int r)
        {
            queries.Compute(u[r], c, retriever);
            for (int j = 0; j < c; j++)
                retriever.Retrieve(u[r].AsSpan(j * d, d), codes, history, queries.Parts(j), rerank, approximateTop.AsSpan(j * k, k));
        }
        double RecallOfCandidates(int r)
        {
            double sum = 0;
            for (int j = 0; j < c; j++) sum += Recall(exactTop.AsSpan(j * k, k), approximateTop.AsSpan(j * k, k), Math.Min(k, n));
            return sum / c;
        }
        double recall = MeanRecall(sets, Exact, Approximate, RecallOfCandidates);
        var (exactTimes, approximateTimes) = Time(sets, Exact, Approximate, null, o);
        var stages = Stages(retriever, sets, Approximate, null, o);
        var entry = Entry("ranking", c, catalog.Codes.Count, length, sets, exactTimes, approximateTimes, recall, n > 4 * k, evicted: false, o, bandwidth,
            exactBytes: 4 * d, approximateBytes: (o.SubSpaces + 1) / 2, index: 4, approximatePasses: c, stages, rerankCopy: 4 * d);
        var bytes = new Int8Rows(rerank, d);
        void OnBytes(int r)
        {
            queries.Compute(u[r], c, retriever);
            for (int j = 0; j < c; j++)
                retriever.Retrieve(u[r].AsSpan(j * d, d), codes, history, queries.Parts(j), bytes, approximateTop.AsSpan(j * k, k));
        }
        entry.ByteRerank = ByteRerank(sets, Exact, OnBytes, retriever, MeanRecall(sets, Exact, OnBytes, RecallOfCandidates), null, o, bytes);
        var rows = PairRows(catalog.Pairs, history);
        // Whether skipping most of the history could pay here: the share a coarse partition visits for the recall.
        Exact(0);
        entry.CoarsePartition = CoarsePartitionProbe.Measure(cells.CellOf, cells.Cells, history.Items, rows, d, u[0], c, exactTop, k);
        // The product alone, ours and ONNX Runtime's, on the same vectors: how close the exact kernel is to an outside one.
        using var anchor = new OnnxMatMulAnchor(rows, n, d, u, c);
        anchor.Run(0);
        vectors.Score(u[0], c, scores);
        double difference = 0;
        for (int j = 0; j < c; j++)
            for (int l = 0; l < n; l++) difference = Math.Max(difference, Math.Abs(anchor.Scores[j * n + l] - scores[j * vectors.PaddedCount + l]));
        var product = TimeOne(sets, r => vectors.Score(u[r], c, scores), o);
        var onnx = TimeOne(sets, anchor.Run, o);
        entry.ExactProductMicroseconds = Round(BenchTiming.Percentile(product, 0.5));
        entry.OnnxMatMulMicroseconds = Round(BenchTiming.Percentile(onnx, 0.5));
        entry.OnnxMatMulP90Microseconds = Round(BenchTiming.Percentile(onnx, 0.9));
        entry.OnnxMatMulMaxAbsDiff = difference;
        return entry;
    }

    // Request vectors of the gather and stored settings: a branch predictor learns the selection branches of a few
    // requests repeated in turn (8 did: their shortlist ran about twice as fast as the same work in the ranking setting).
    const int RequestVectors = 64;

    static RetrievalBenchLength Gather(RetrievalBenchOptions o, (PairDecomposition Pairs, CatalogCodes Codes) catalog, int length, Random rng, double bandwidth)
    {
        int d = o.Dimension, k = o.K;
        const int users = 8;
        var histories = Enumerable.Range(0, users).Select(_ => DrawHistory(catalog.Pairs, length, o, rng)).ToArray();
        var u = Enumerable.Range(0, RequestVectors).Select(_ => RequestVector(catalog.Pairs, rng)).ToArray();
        var scores = new float[histories.Max(h => h.Count)];
        var queries = histories.Select(h => new QueryParts(catalog.Pairs, h, 1)).ToArray();
        var selector = new TopKSelector(k);
        var retriever = new DecomposedRetriever(catalog.Codes, catalog.Pairs, k, o.Shortlist);
        var exactTop = new int[k];
        var approximateTop = new int[k];
        // Both sides take the query parts the same way, from the user's distinct queries in one blocked product.
        // Request r: user r mod 8 with request vector r (of 64), so the requests' branch patterns do not repeat every 8.
        void Exact(int r)
        {
            var h = histories[r % users];
            queries[r % users].Compute(u[r], 1, null);
            catalog.Pairs.ScoreGathered(u[r], h, queries[r % users].Parts(0), scores);
            selector.Select(scores.AsSpan(0, h.Count), exactTop);
        }
        void Approximate(int r)
        {
            queries[r % users].Compute(u[r], 1, retriever);
            retriever.RetrieveGathered(u[r], histories[r % users], queries[r % users].Parts(0), approximateTop);
        }
        double RecallOf(int r) => Recall(exactTop, approximateTop, Math.Min(k, histories[r % users].Count));
        double recall = MeanRecall(RequestVectors, Exact, Approximate, RecallOf);
        var (exactTimes, approximateTimes) = Time(RequestVectors, Exact, Approximate, null, o);
        var stages = Stages(retriever, RequestVectors, Approximate, null, o);
        var entry = Entry("gather", 1, catalog.Codes.Count, length, RequestVectors, exactTimes, approximateTimes, recall, histories.All(h => h.Count > 4 * k), evicted: false, o, bandwidth,
            exactBytes: 4 * d + 4, approximateBytes: (o.SubSpaces + 1) / 2 + 4, index: 4, approximatePasses: 1, stages, rerankCopy: 0);
        // Alternating, each side's scattered reads push the other's table out of the caches between its requests; a
        // server runs one of them, so each side is also timed alone.
        double exactAlone = BenchTiming.Percentile(TimeOne(RequestVectors, Exact, o), 0.5);
        double approximateAlone = BenchTiming.Percentile(TimeOne(RequestVectors, Approximate, o), 0.5);
        entry.ExactAloneMicroseconds = Round(exactAlone);
        entry.ApproximateAloneMicroseconds = Round(approximateAlone);
        entry.SpeedupAlone = Math.Round(exactAlone / approximateAlone, 3);
        return entry;
    }

    static RetrievalBenchLength Stored(RetrievalBenchOptions o, (PairDecomposition Pairs, CatalogCodes Codes) catalog, int length, Random rng, Eviction eviction, double bandwidth)
    {
        int d = o.Dimension, k = o.K;
        // Distinct users up to 64 MB of pair vectors: the eviction, not their number, sends each request to memory.
        int users = (int)Math.Clamp((64L << 20) / (4L * d * length), 2, 8);
        var histories = Enumerable.Range(0, users).Select(_ => DrawHistory(catalog.Pairs, length, o, rng)).ToArray();
        var vectors = histories.Select(h => PairVectors(catalog.Pairs, h)).ToArray();
        var codes = histories.Select(h =>
        {
            var set = new FourBitCodes(o.SubSpaces);
            catalog.Codes.Gather(h.Items, set);
            return set;
        }).ToArray();
        var u = Enumerable.Range(0, RequestVectors).Select(_ => RequestVector(catalog.Pairs, rng)).ToArray();
        var scores = new float[vectors.Max(v => v.PaddedCount)];
        var queries = histories.Select(h => new QueryParts(catalog.Pairs, h, 1)).ToArray();
        var selector = new TopKSelector(k);
        var retriever = new DecomposedRetriever(catalog.Codes, catalog.Pairs, k, o.Shortlist);
        var exactTop = new int[k];
        var approximateTop = new int[k];
        // Request r: user r mod users with request vector r (of 64), as in the gather setting.
        void Exact(int r)
        {
            var v = vectors[r % users];
            v.Score(u[r], 1, scores);
            selector.Select(scores.AsSpan(0, v.Count), exactTop);
        }
        void Approximate(int r)
        {
            int user = r % users;
            queries[user].Compute(u[r], 1, retriever);
            retriever.Retrieve(u[r], codes[user], histories[user], queries[user].Parts(0), ReadOnlySpan<float>.Empty, approximateTop);
        }
        double RecallOf(int r) => Recall(exactTop, approximateTop, Math.Min(k, histories[r % users].Count));
        double recall = MeanRecall(RequestVectors, Exact, Approximate, RecallOf);
        var (exactTimes, approximateTimes) = Time(RequestVectors, Exact, Approximate, eviction.Run, o);
        var stages = Stages(retriever, RequestVectors, Approximate, eviction.Run, o);
        var entry = Entry("stored", 1, catalog.Codes.Count, length, RequestVectors, exactTimes, approximateTimes, recall, histories.All(h => h.Count > 4 * k), evicted: o.EvictionBytes > 0, o,
            bandwidth, exactBytes: 4 * d, approximateBytes: (o.SubSpaces + 1) / 2, index: 4, approximatePasses: 1, stages, rerankCopy: 0);
        // The same users with their item rows stored beside the codes as bytes, in grouped order.
        var bytes = histories.Select(h => new Int8Rows(ItemRows(catalog.Pairs, h), d)).ToArray();
        // Their distinct queries' token sums as bytes too: a request reads a quarter of the floats' bytes for its query parts.
        var byteQueries = histories.Select(h => new ByteQueryParts(catalog.Pairs, h)).ToArray();
        void OnBytes(int r)
        {
            int user = r % users;
            retriever.Retrieve(u[r], codes[user], histories[user], byteQueries[user].Compute(u[r], retriever), bytes[user], approximateTop);
        }
        entry.ByteRerank = ByteRerank(RequestVectors, Exact, OnBytes, retriever, MeanRecall(RequestVectors, Exact, OnBytes, RecallOf), eviction.Run, o, bytes[0]);
        return entry;
    }

    // The approximate side again with its re-rank on a per-user byte copy of the item rows (one line per behaviour at
    // D = 64), timed against the exact side in an alternating run of its own under the same protocol.
    static ByteRerankEntry ByteRerank(int requests, Action<int> exact, Action<int> onBytes, DecomposedRetriever retriever, double recall, Action? evict,
        RetrievalBenchOptions o, Int8Rows rows)
    {
        var (exactTimes, byteTimes) = Time(requests, exact, onBytes, evict, o);
        exactTimes.Sort();
        byteTimes.Sort();
        double exactUs = BenchTiming.Percentile(exactTimes, 0.5), bytesUs = BenchTiming.Percentile(byteTimes, 0.5);
        var entry = new ByteRerankEntry
        {
            ExactMicroseconds = Round(exactUs), ApproximateMicroseconds = Round(bytesUs), ApproximateP90Microseconds = Round(BenchTiming.Percentile(byteTimes, 0.9)),
            Speedup = Math.Round(exactUs / bytesUs, 3), Recall = Math.Round(recall, 4), BytesPerBehaviour = rows.Stride,
        };
        entry.Stages = Stages(retriever, requests, onBytes, evict, o);
        entry.RerankMicroseconds = entry.Stages["rerank"];
        return entry;
    }

    static RetrievalBenchLength Entry(string setting, int candidates, int catalogItems, int length, int requests, List<double> exact, List<double> approximate, double recall,
        bool counted, bool evicted, RetrievalBenchOptions o, double bandwidth, int exactBytes, int approximateBytes, int index, int approximatePasses, Dictionary<string, double> stages, int rerankCopy)
    {
        exact.Sort();
        approximate.Sort();
        double exactUs = BenchTiming.Percentile(exact, 0.5), approximateUs = BenchTiming.Percentile(approximate, 0.5);
        double bound(long bytes) => bytes / (bandwidth * 1e3);
        double pqBound = bound((long)approximateBytes * length * approximatePasses);
        return new RetrievalBenchLength
        {
            Setting = setting, Candidates = candidates, CatalogItems = catalogItems, Length = length, Requests = requests, Samples = exact.Count,
            ExactMicroseconds = Round(exactUs), PqMicroseconds = Round(approximateUs), ApproximateMicroseconds = Round(approximateUs),
            ExactP90Microseconds = Round(BenchTiming.Percentile(exact, 0.9)), ApproximateP90Microseconds = Round(BenchTiming.Percentile(approximate, 0.9)),
            Speedup = Math.Round(exactUs / approximateUs, 3), Recall = Math.Round(recall, 4), RecallCounted = counted, Evicted = evicted,
            ExactBytesPerBehaviour = exactBytes, PqBytesPerBehaviour = approximateBytes, CodeBytesPerBehaviour = (o.SubSpaces + 1) / 2, IndexBytesPerBehaviour = index,
            RerankBytesPerCandidate = o.Shortlist * 4 * o.Dimension,
            PqBandwidthBoundMicroseconds = Round(pqBound), PqOverBound = Math.Round(approximateUs / pqBound, 3),
            ExactBandwidthBoundMicroseconds = Round(bound((long)exactBytes * length)), ApproximateStages = stages, RerankCopyBytesPerBehaviour = rerankCopy,
        };
    }

    static double Round(double microseconds) => Math.Round(microseconds, 2);

    internal static List<RetrievalBenchTarget> Targets(RetrievalBenchReport report, RetrievalBenchOptions o)
    {
        var targets = new List<RetrievalBenchTarget>();
        void Add(string setting, int length, int catalog, double speedup, string text)
        {
            var entry = report.Lengths.FirstOrDefault(l => l.Setting == setting && l.Length == length && (catalog == 0 || l.CatalogItems == catalog));
            // The faster of the float and the byte re-rank among those that keep the recall (else the float one).
            var measured = new List<(double Speedup, double Recall, string Rerank)>();
            if (entry != null) measured.Add((entry.Speedup, entry.Recall, "float"));
            if (entry?.ByteRerank is { } bytes) measured.Add((bytes.Speedup, bytes.Recall, "int8"));
            var best = measured.Where(m => m.Recall >= 0.95).OrderByDescending(m => m.Speedup).Concat(measured).FirstOrDefault();
            targets.Add(new RetrievalBenchTarget
            {
                Target = text, Measured = entry == null ? 0 : best.Speedup, Recall = entry == null ? null : best.Recall, Rerank = entry == null ? null : best.Rerank,
                Met = entry != null && best.Speedup >= speedup && best.Recall >= 0.95,
            });
        }
        Add("ranking", 10_000, 0, 8, $"ranking, L = 10,000, {o.Candidates} candidates: >= 8x, recall@{o.K} >= 0.95");
        Add("gather", 10_000, 1_000_000, 8, $"gather, L = 10,000, 1,000,000 items: >= 8x, recall@{o.K} >= 0.95");
        Add("stored", 10_000, 0, 3, $"stored, L = 10,000: >= 3x, recall@{o.K} >= 0.95");
        Add("stored", 100_000, 0, 5, $"stored, L = 100,000: >= 5x, recall@{o.K} >= 0.95");
        targets.Add(new RetrievalBenchTarget { Target = "codes >= 16x smaller than float32 pair vectors", Measured = report.CodeCompression, Met = report.CodeCompression >= 16 });
        return targets;
    }

    // Mean of recallOf(r) over the requests, each request run on both sides first (untimed: the recall pass).
    static double MeanRecall(int requests, Action<int> exact, Action<int> approximate, Func<int, double> recallOf)
    {
        double sum = 0;
        for (int r = 0; r < requests; r++)
        {
            exact(r);
            approximate(r);
            sum += recallOf(r);
        }
        return sum / requests;
    }

    static double Recall(ReadOnlySpan<int> exact, ReadOnlySpan<int> approximate, int n)
    {
        if (n == 0) return 1;
        var set = new HashSet<int>(exact[..n].ToArray());
        int found = 0;
        foreach (int j in approximate[..n]) if (set.Contains(j)) found++;
        return (double)found / n;
    }

    /// <summary>
    /// Warms both sides up alternately for the warm-up seconds (every request at least once), then times them
    /// alternately, one request at a time, until both the sample floor and the measuring time are reached.
    /// </summary>
    static (List<double> Exact, List<double> Approximate) Time(int requests, Action<int> exact, Action<int> approximate, Action? evict, RetrievalBenchOptions o)
    {
        var clock = Stopwatch.StartNew();
        for (int r = 0; r < requests || clock.Elapsed.TotalSeconds < o.WarmupSeconds; r++)
        {
            exact(r % requests);
            approximate(r % requests);
        }
        var exactTimes = new List<double>();
        var approximateTimes = new List<double>();
        clock.Restart();
        // Bounded so that microsecond requests do not pile up millions of samples.
        for (int i = 0; exactTimes.Count < 100_000 && (exactTimes.Count < o.MinSamples || clock.Elapsed.TotalSeconds < o.MeasureSeconds); i++)
        {
            evict?.Invoke();
            exactTimes.Add(Timed(exact, i % requests));
            evict?.Invoke();
            approximateTimes.Add(Timed(approximate, i % requests));
        }
        return (exactTimes, approximateTimes);
    }

    /// <summary>One side alone, warmed up and measured as <see cref="Time"/> does; sorted.</summary>
    static List<double> TimeOne(int requests, Action<int> request, RetrievalBenchOptions o)
    {
        var clock = Stopwatch.StartNew();
        for (int r = 0; r < requests || clock.Elapsed.TotalSeconds < o.WarmupSeconds / 2; r++) request(r % requests);
        var times = new List<double>();
        clock.Restart();
        for (int i = 0; times.Count < 100_000 && (times.Count < o.MinSamples || clock.Elapsed.TotalSeconds < o.MeasureSeconds / 2); i++) times.Add(Timed(request, i % requests));
        times.Sort();
        return times;
    }

    /// <summary>
    /// Median microseconds per request of each approximate stage, over an instrumented pass apart from the timed one
    /// (the clock reads cost a little); medians, so a request the scheduler interrupts does not swell a stage.
    /// </summary>
    static Dictionary<string, double> Stages(DecomposedRetriever retriever, int requests, Action<int> approximate, Action? evict, RetrievalBenchOptions o)
    {
        int stages = DecomposedRetriever.StageNames.Length, passes = Math.Max(requests, o.MinSamples);
        var ticks = new long[stages];
        var samples = Enumerable.Range(0, stages).Select(_ => new List<double>()).ToArray();
        retriever.StageTicks = ticks;
        for (int i = 0; i < passes; i++)
        {
            evict?.Invoke();
            Array.Clear(ticks);
            approximate(i % requests);
            for (int s = 0; s < stages; s++) samples[s].Add(ticks[s] * 1e6 / Stopwatch.Frequency);
        }
        retriever.StageTicks = null;
        return DecomposedRetriever.StageNames.Select((name, s) => (name, s)).ToDictionary(p => p.name, p =>
        {
            samples[p.s].Sort();
            return Round(BenchTiming.Percentile(samples[p.s], 0.5));
        });
    }

    static double Timed(Action<int> request, int r)
    {
        long start = Stopwatch.GetTimestamp();
        request(r);
        return (Stopwatch.GetTimestamp() - start) * 1e6 / Stopwatch.Frequency;
    }

    /// <summary>Reads one word per cache line of a buffer larger than the last-level cache, pushing everything else out.</summary>
    sealed class Eviction(long bytes)
    {
        readonly long[] _buffer = new long[bytes / sizeof(long)];
        long _sink;

        public void Run()
        {
            long sum = 0;
            for (int i = 0; i < _buffer.Length; i += 8) sum += _buffer[i];
            _sink += sum;
        }

        /// <summary>Keeps the sum observable, so the reads cannot be dropped.</summary>
        public long Sink => _sink;
    }

    /// <summary>
    /// A user's distinct queries stored as bytes (<see cref="Int8Rows"/>, a quarter of the floats' bytes), each row its
    /// token sum already weighted by <c>a / n_q</c>: the query parts of one request vector are one integer dot per
    /// distinct query, written straight into the parts.
    /// </summary>
    sealed class ByteQueryParts
    {
        readonly Int8Rows _weighted;
        readonly short[] _request;
        readonly float[] _parts;

        public ByteQueryParts(PairDecomposition pairs, DecomposedHistory history)
        {
            int d = pairs.Dimension;
            var rows = pairs.QueryTokenSums(history);
            var start = history.QueryStart;
            // Folding the weight in at storage saves a pass with a division per distinct query on every request.
            for (int q = 0; q + 1 < history.Slots; q++)
                System.Numerics.Tensors.TensorPrimitives.Multiply(rows.AsSpan(q * d, d), pairs.QueryWeight / (start[q + 1] - start[q]), rows.AsSpan(q * d, d));
            _weighted = new Int8Rows(rows, d);
            _request = new short[_weighted.Stride];
            _parts = new float[history.Slots];
        }

        public ReadOnlySpan<float> Compute(float[] u, DecomposedRetriever? retriever)
        {
            long start = Stopwatch.GetTimestamp();
            float factor = _weighted.PrepareRequest(u, _request);
            _parts[0] = 0;
            _weighted.DotEach(_request, 0, factor, _parts.AsSpan(1));
            if (retriever?.StageTicks is { } ticks) ticks[1] += Stopwatch.GetTimestamp() - start;
            return _parts;
        }
    }

    /// <summary>
    /// A user's distinct queries as token sums in the blocked layout, stored with the history: the query parts of any
    /// number of request vectors are one blocked product over them.
    /// </summary>
    sealed class QueryParts
    {
        readonly PairDecomposition _pairs;
        readonly DecomposedHistory _history;
        readonly BlockedVectors _sums;
        readonly float[] _dots, _parts;

        public QueryParts(PairDecomposition pairs, DecomposedHistory history, int vectors)
        {
            _pairs = pairs;
            _history = history;
            int queries = history.Slots - 1;
            _sums = new BlockedVectors(pairs.Dimension, Math.Max(1, queries));
            _sums.Load(pairs.QueryTokenSums(history), queries);
            _dots = new float[vectors * Math.Max(1, _sums.PaddedCount)];
            _parts = new float[vectors * history.Slots];
        }

        /// <summary>The parts of <paramref name="vectors"/> request vectors; their time goes to the retriever's query-parts stage when it is instrumented.</summary>
        public void Compute(float[] u, int vectors, DecomposedRetriever? retriever)
        {
            long start = Stopwatch.GetTimestamp();
            int padded = _sums.PaddedCount, slots = _history.Slots;
            if (padded > 0) _sums.Score(u.AsSpan(0, vectors * _pairs.Dimension), vectors, _dots);
            for (int c = 0; c < vectors; c++) _pairs.PartsFromDots(_history, _dots.AsSpan(c * padded, padded), _parts.AsSpan(c * slots, slots));
            if (retriever?.StageTicks is { } ticks) ticks[1] += Stopwatch.GetTimestamp() - start;
        }

        public ReadOnlySpan<float> Parts(int vector) => _parts.AsSpan(vector * _history.Slots, _history.Slots);
    }

    /// <summary>The real behaviours' pair vectors in the history's grouped order, in the exact kernel's blocked layout.</summary>
    static BlockedVectors PairVectors(PairDecomposition pairs, DecomposedHistory history)
    {
        var vectors = new BlockedVectors(pairs.Dimension, Math.Max(1, history.Count));
        vectors.Load(PairRows(pairs, history), history.Count);
        return vectors;
    }

    /// <summary>The item rows of the history's behaviours in grouped order, row-major <c>[n, D]</c>: a per-user copy to re-rank on.</summary>
    static float[] ItemRows(PairDecomposition pairs, DecomposedHistory history)
    {
        int d = pairs.Dimension;
        var rows = new float[(long)history.Count * d];
        for (int j = 0; j < history.Count; j++) pairs.Items.Slice(history.Items[j] * d, d).CopyTo(rows.AsSpan(j * d, d));
        return rows;
    }

    /// <summary>The real behaviours' pair vectors in the history's grouped order, row-major <c>[n, D]</c>.</summary>
    static float[] PairRows(PairDecomposition pairs, DecomposedHistory history)
    {
        int d = pairs.Dimension;
        var rows = new float[(long)history.Count * d];
        for (int j = 0; j < history.Count; j++) pairs.Reconstruct(history, j, rows.AsSpan(j * d, d));
        return rows;
    }

    /// <summary>A history of <paramref name="length"/> real behaviours: items uniform over the catalog (never the padding 0), a share with one of about L/20 distinct queries.</summary>
    static DecomposedHistory DrawHistory(PairDecomposition pairs, int length, RetrievalBenchOptions o, Random rng)
    {
        int distinct = Math.Max(1, length / 20);
        var queries = new long[distinct * TokensPerQuery];
        for (int q = 0; q < distinct; q++)
        {
            int count = rng.Next(1, TokensPerQuery + 1);
            for (int t = 0; t < count; t++) queries[q * TokensPerQuery + t] = rng.Next(1, pairs.TokenCount);
        }
        var items = new long[length];
        var tokens = new long[(long)length * TokensPerQuery];
        for (int l = 0; l < length; l++)
        {
            items[l] = rng.Next(1, pairs.ItemCount);
            if (rng.NextDouble() < o.QueryShare) queries.AsSpan(rng.Next(distinct) * TokensPerQuery, TokensPerQuery).CopyTo(tokens.AsSpan(l * TokensPerQuery));
        }
        return DecomposedHistory.Build(items, tokens, TokensPerQuery, pairs.ItemCount, pairs.TokenCount);
    }

    /// <summary>A request vector: a random catalog item fused with a random query of 1 to 3 tokens.</summary>
    static float[] RequestVector(PairDecomposition pairs, Random rng)
    {
        var query = new long[TokensPerQuery];
        int count = rng.Next(1, TokensPerQuery + 1);
        for (int t = 0; t < count; t++) query[t] = rng.Next(1, pairs.TokenCount);
        var one = DecomposedHistory.Build(new long[] { rng.Next(1, pairs.ItemCount) }, query, TokensPerQuery, pairs.ItemCount, pairs.TokenCount);
        var u = new float[pairs.Dimension];
        pairs.Reconstruct(one, 0, u);
        return u;
    }

    /// <summary><paramref name="rows"/> vectors around <paramref name="clusters"/> standard-normal centres, unit Gaussian spread.</summary>
    static float[] Clustered(int rows, int d, int clusters, int seed)
    {
        var rng = new Random(seed);
        var centres = new float[clusters * d];
        Gaussians(rng, centres);
        var values = new float[(long)rows * d];
        Gaussians(rng, values);
        for (int i = 0; i < rows; i++)
        {
            var row = values.AsSpan(i * d, d);
            System.Numerics.Tensors.TensorPrimitives.Add(row, centres.AsSpan(rng.Next(clusters) * d, d), row);
        }
        return values;
    }

    // Box–Muller, both values of each pair used.
    static void Gaussians(Random rng, Span<float> values)
    {
        for (int i = 0; i < values.Length; i += 2)
        {
            double radius = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())), angle = 2 * Math.PI * rng.NextDouble();
            values[i] = (float)(radius * Math.Cos(angle));
            if (i + 1 < values.Length) values[i + 1] = (float)(radius * Math.Sin(angle));
        }
    }
}
