using BenchmarkDotNet.Attributes;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Benchmarks;

/// <summary>
/// The retrieval kernels at history lengths 1,000, 10,000 and 100,000 (D = 64, H = 4, K = 50; six code sets of 16
/// sub-spaces × 256 centroids, as the synthetic data's id, title, attributes, two vectors and query): lookup-table
/// build and quantization, the byte scan (one byte table), the float scan, the exact blocked scan, one head's top-K,
/// the whole approximate retrieval, and the ESU on K kept behaviours. One operation is one request on one thread.
/// Histories are cache-resident here; the <c>bench</c> command measures them from memory.
/// </summary>
[MemoryDiagnoser]
public class PqKernelBenchmarks
{
    const int D = 64, Heads = 4, K = 50, SubSpaces = 16, Sets = 6;
    PqCodebooks _books = null!;
    PqLookupTables _tables = null!;
    PqCodeBlocks _codes = null!;
    PqRetriever _retriever = null!;
    BlockedVectors _vectors = null!;
    TopKSelector _selector = null!;
    EsuReadout _readout = null!;
    float[] _u = null!, _floatScores = null!, _exactScores = null!, _rows = null!, _relevance = null!, _interest = null!;
    ushort[] _byteScores = null!;
    int[] _kept = null!, _rowIndex = null!;

    [Params(1_000, 10_000, 100_000)]
    public int HistoryLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        float Next() => (float)(rng.NextDouble() * 2 - 1);
        _books = new PqCodebooks(Enumerable.Range(0, Sets).Select(_ =>
        {
            var book = new float[SubSpaces * 256 * (D / SubSpaces)];
            for (int i = 0; i < book.Length; i++) book[i] = (i / (D / SubSpaces)) % 256 == 0 ? 0 : Next();
            return ProductQuantizer.FromCodebook(D, SubSpaces, 256, book);
        }).ToArray());
        _codes = new PqCodeBlocks(_books.SubSpaces);
        _codes.Reset(HistoryLength);
        var one = new byte[_books.SubSpaces];
        for (int l = 0; l < HistoryLength; l++)
        {
            rng.NextBytes(one);
            _codes.Set(l, 0, one);
        }
        _u = Enumerable.Range(0, Heads * D).Select(_ => Next()).ToArray();
        _tables = new PqLookupTables(_books, Heads);
        _tables.Build(_u);
        _tables.Quantize();
        _retriever = new PqRetriever(_books, Heads, K);
        _floatScores = new float[Heads * HistoryLength];
        _byteScores = new ushort[Heads * _codes.PaddedCount];
        _kept = new int[Heads * K];
        _rows = Enumerable.Range(0, HistoryLength * D).Select(_ => Next()).ToArray();
        _vectors = new BlockedVectors(D, HistoryLength);
        _vectors.Load(_rows, HistoryLength);
        _exactScores = new float[Heads * _vectors.PaddedCount];
        _selector = new TopKSelector(K);
        var vocabularies = BenchmarkCatalog.Vocabularies(new Microsoft.ML.MLContext(1), rng, 8);
        _readout = new EsuReadout(new PsuScoringModel(PsuScoringBenchmarks.RandomWeights(vocabularies, rng), vocabularies));
        _relevance = Enumerable.Range(0, K).Select(_ => Next()).ToArray();
        _rowIndex = Enumerable.Range(0, K).ToArray();
        _interest = new float[D];
    }

    [Benchmark(Description = "LUT build (float)")]
    public void LookupTables() => _tables.Build(_u);

    [Benchmark(Description = "LUT quantize (16-bit as two byte tables)")]
    public void Quantize() => _tables.Quantize();

    [Benchmark(Description = "byte scan, one table (VBMI)")]
    public void ByteScan()
    {
        if (PqScan.BytesSupported) PqScan.Bytes(_codes, _tables.QuantizedLow, Heads, _byteScores);
    }

    [Benchmark(Description = "float scan")]
    public void FloatScan() => PqScan.Float(_codes, HistoryLength, _tables, _floatScores, HistoryLength);

    [Benchmark(Description = "exact blocked scan")]
    public void ExactScan() => _vectors.Score(_u, Heads, _exactScores);

    [Benchmark(Description = "top-K of one head")]
    public int TopKOneHead() => _selector.Select(_exactScores.AsSpan(0, HistoryLength), _kept);

    [Benchmark(Description = "approximate retrieval (LUT, scans, top-K)")]
    public int Retrieve() => _retriever.Retrieve(_u, _codes, _kept);

    [Benchmark(Description = "ESU on K behaviours, all heads")]
    public void Esu()
    {
        for (int h = 0; h < Heads; h++) _readout.AttendHead(h, _relevance, _rows, _rowIndex);
        _readout.Combine(_interest);
    }
}
