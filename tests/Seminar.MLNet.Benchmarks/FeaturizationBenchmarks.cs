using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.Benchmarks;

/// <summary>
/// Featurization throughput at history lengths 100, 1,000 and 10,000: the C# fast path against the
/// stock-loaded model zip (the same graph in ONNX Runtime through OnnxTransformer). One operation is
/// one row, so BenchmarkDotNet's mean is the time per row; rows per second = 1 / mean.
/// </summary>
[MemoryDiagnoser]
public class FeaturizationBenchmarks
{
    const int Rows = 64, CatalogSize = 5_000;
    IDataView _data = null!;
    ITransformer _fast = null!, _loaded = null!;

    [Params(100, 1_000, 10_000)]
    public int HistoryLength { get; set; }

    public sealed class Row
    {
        public string[] HistoryItems { get; set; } = Array.Empty<string>();
        public string[] HistoryQueries { get; set; } = Array.Empty<string>();
        public string TargetItem { get; set; } = "";
        public string Query { get; set; } = "";
    }

    public sealed class CatalogRow
    {
        public string ItemId { get; set; } = "";
        public string Title { get; set; } = "";
        public string Attributes { get; set; } = "";
    }

    [GlobalSetup]
    public void Setup()
    {
        var ml = new MLContext(1);
        var rng = new Random(1);
        string Item() => "item" + rng.Next(CatalogSize);
        string Query() => rng.Next(2) == 0 ? "" : $"word{rng.Next(300)} Word{rng.Next(300)} word{rng.Next(300)}";
        var rows = Enumerable.Range(0, Rows).Select(_ => new Row
        {
            HistoryItems = Enumerable.Range(0, HistoryLength).Select(_ => Item()).ToArray(),
            HistoryQueries = Enumerable.Range(0, HistoryLength).Select(_ => Query()).ToArray(),
            TargetItem = Item(), Query = Query(),
        }).ToArray();
        var catalog = ml.Data.LoadFromEnumerable(Enumerable.Range(0, CatalogSize).Select(i => new CatalogRow { ItemId = "item" + i, Title = $"word{i % 300} title", Attributes = $"cat_{i % 20}" }));
        // Materialise the input once so the benchmark measures featurization, not enumerable conversion.
        _data = ml.Data.Cache(ml.Data.LoadFromEnumerable(rows));
        var model = ml.Seminar().FeaturizeSequences(catalog, new SequenceFeaturizerOptions()).Fit(_data);
        _fast = model;
        string zip = Path.Combine(Path.GetTempPath(), $"seminar-bench-{HistoryLength}.zip");
        ml.Model.Save(model, _data.Schema, zip);
        _loaded = ml.Model.Load(zip, out _);
        File.Delete(zip);
        Drain(_data);
    }

    /// <summary>The stock-loaded stages keep a copy of their graph in the temp folder until disposed.</summary>
    [GlobalCleanup]
    public void Cleanup() => (_loaded as IDisposable)?.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Rows, Description = "C# fast path")]
    public long FastPath() => Drain(_fast.Transform(_data));

    [Benchmark(OperationsPerInvoke = Rows, Description = "stock-loaded ONNX")]
    public long LoadedOnnx() => Drain(_loaded.Transform(_data));

    static readonly string[] Outputs = { "SeminarHistoryItems", "SeminarHistoryQueryTokens", "SeminarHistoryLength", "SeminarTargetItem", "SeminarQueryTokens" };

    static long Drain(IDataView view)
    {
        var cols = Outputs.Select(o => view.Schema.GetColumnOrNull(o)).OfType<DataViewSchema.Column>().ToArray();
        using var cursor = view.GetRowCursor(cols.Length > 0 ? cols : view.Schema);
        var getters = cols.Select(c => cursor.GetGetter<VBuffer<long>>(c)).ToArray();
        var buffer = default(VBuffer<long>);
        long sum = 0;
        while (cursor.MoveNext())
            foreach (var g in getters) { g(ref buffer); sum += buffer.Length; }
        return sum;
    }
}
