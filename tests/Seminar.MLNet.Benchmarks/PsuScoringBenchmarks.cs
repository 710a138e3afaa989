using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Benchmarks;

/// <summary>
/// PSU scoring cost per row at history lengths 100, 1,000 and 10,000 (D = 64, H = 4, K = 50, random weights):
/// the C# row scorer on index arrays, the C# transformer (data view over the same rows) and the stock-loaded model
/// zip (the same graph in ONNX Runtime through OnnxTransformer). One operation is one row.
/// </summary>
[MemoryDiagnoser]
public class PsuScoringBenchmarks
{
    const int Rows = 32, D = 64, Heads = 4, TopK = 50, QueryTokens = 8;
    PsuIndexRow[] _rows = null!;
    PsuRowScorer _scorer = null!;
    IDataView _data = null!;
    ITransformer _fast = null!, _loaded = null!;
    readonly float[] _target = new float[D], _interest = new float[D];

    [Params(100, 1_000, 10_000)]
    public int HistoryLength { get; set; }

    public sealed class PsuIndexRow
    {
        public long[] SeminarHistoryItems { get; set; } = Array.Empty<long>();
        public long[] SeminarHistoryQueryTokens { get; set; } = Array.Empty<long>();
        [VectorType(1)] public long[] SeminarTargetItem { get; set; } = new long[1];
        [VectorType(QueryTokens)] public long[] SeminarQueryTokens { get; set; } = new long[QueryTokens];
    }

    [GlobalSetup]
    public void Setup()
    {
        var ml = new MLContext(1);
        var rng = new Random(1);
        var vocabularies = BenchmarkCatalog.Vocabularies(ml, rng, QueryTokens);
        var weights = RandomWeights(vocabularies, rng);

        long Item() => rng.Next(2, vocabularies.Items.Size);
        long[] Query()
        {
            var q = new long[QueryTokens];
            if (rng.Next(2) == 0) for (int i = 0; i < 3; i++) q[i] = rng.Next(2, vocabularies.Tokens.Size);
            return q;
        }
        _rows = Enumerable.Range(0, Rows).Select(_ => new PsuIndexRow
        {
            SeminarHistoryItems = Enumerable.Range(0, HistoryLength).Select(_ => Item()).ToArray(),
            SeminarHistoryQueryTokens = Enumerable.Range(0, HistoryLength).SelectMany(_ => Query()).ToArray(),
            SeminarTargetItem = new[] { Item() }, SeminarQueryTokens = Query(),
        }).ToArray();
        // Materialise the input once so the benchmark measures scoring, not enumerable conversion.
        _data = ml.Data.Cache(ml.Data.LoadFromEnumerable(_rows));
        var psu = PsuEmbeddingTransformer.Create(ml, weights, vocabularies, new PsuColumnOptions(), _data);
        _scorer = new PsuRowScorer(psu.Model);
        _fast = psu;
        string zip = Path.Combine(Path.GetTempPath(), $"seminar-psu-bench-{HistoryLength}.zip");
        ml.Model.Save(psu, _data.Schema, zip);
        _loaded = ml.Model.Load(zip, out _);
        File.Delete(zip);
        Drain(_data);
    }

    /// <summary>The stock-loaded stages keep a copy of their graph in the temp folder until disposed.</summary>
    [GlobalCleanup]
    public void Cleanup() => (_loaded as IDisposable)?.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Rows, Description = "C# PsuRowScorer")]
    public float RowScorer()
    {
        float sum = 0;
        foreach (var r in _rows) sum += _scorer.Score(r.SeminarHistoryItems, r.SeminarHistoryQueryTokens, r.SeminarTargetItem[0], r.SeminarQueryTokens, _target, _interest);
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Rows, Description = "C# transformer")]
    public float FastTransformer() => Drain(_fast.Transform(_data));

    [Benchmark(OperationsPerInvoke = Rows, Description = "stock-loaded ONNX")]
    public float LoadedOnnx() => Drain(_loaded.Transform(_data));

    static readonly string[] Outputs = { "SeminarTarget", "SeminarInterest", "SeminarScore" };

    static float Drain(IDataView view)
    {
        var cols = Outputs.Select(o => view.Schema.GetColumnOrNull(o)).OfType<DataViewSchema.Column>().ToArray();
        using var cursor = view.GetRowCursor(cols.Length > 0 ? cols : view.Schema);
        var getters = cols.Select(c => cursor.GetGetter<VBuffer<float>>(c)).ToArray();
        var buffer = default(VBuffer<float>);
        float sum = 0;
        while (cursor.MoveNext())
            foreach (var g in getters) { g(ref buffer); sum += buffer.GetValues()[0]; }
        return sum;
    }

    internal static PsuWeights RandomWeights(SequenceVocabularies v, Random rng)
    {
        float[] U(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
        DenseLayer Layer(int outputs, int inputs) => new(U(outputs * inputs, Math.Sqrt(3.0 / inputs)), U(outputs, 0.1));
        int modalities = 3 + v.Content.Modalities.Count;
        var identity = new float[(modalities + 1) * D * D];
        for (int m = 0; m <= modalities; m++)
            for (int i = 0; i < D; i++) identity[m * D * D + i * D + i] = 1;
        return new PsuWeights
        {
            Dimension = D, Heads = Heads, TopK = TopK,
            ItemIds = U(v.Items.Size * D, 1), Tokens = U(v.Tokens.Size * D, 1), Attributes = U(v.Attributes.Size * D, 1),
            Projections = v.Content.Modalities.Select(m => Layer(D, m.Dimension)).ToArray(),
            GateLogits = U(modalities, 1), ModalityTransforms = identity, QueryWeightLogit = 0,
            AttentionQuery = U(Heads * D * D, Math.Sqrt(3.0 / D)), AttentionKey = U(Heads * D * D, Math.Sqrt(3.0 / D)),
            AttentionValue = U(Heads * D * D, Math.Sqrt(3.0 / D)), AttentionOutput = Layer(D, Heads * D), EmptyInterest = U(D, 1),
            Head = new[] { Layer(64, 3 * D), Layer(1, 64) },
        };
    }
}
