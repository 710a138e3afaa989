using BenchmarkDotNet.Attributes;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Quantization.FastScan;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Benchmarks;

/// <summary>
/// One query against N vectors (D = 64, K = 50), cache-resident: the exact blocked scan and top-K against the 4-bit
/// fast scan (16-centroid codebooks, M sub-spaces) with a shortlist re-ranked exactly on the float vectors. The
/// shortlist is sized for recall@50 ≈ 0.98 on clustered data (FastScanTests: M = 32 needs 400, M = 16 about 1,600).
/// The scan, the shortlist selection and the gather of a history's codes from a catalog of the same vectors
/// (<see cref="CatalogCodes"/>) are also timed alone for the breakdown. Data: 1,000 Gaussian clusters.
/// </summary>
[MemoryDiagnoser]
public class FastScanBenchmarks
{
    const int D = 64, K = 50;
    float[] _rows = null!, _u = null!, _scores = null!;
    BlockedVectors _vectors = null!;
    TopKSelector _selector = null!;
    FourBitCodes _codes = null!;
    QuantizedLookupTables _tables = null!;
    ShortlistReranker _reranker = null!;
    ushort[] _sums = null!;
    int[] _top = null!;
    CatalogCodes _catalog = null!;
    FourBitCodes _gathered = null!;
    int[] _history = null!;

    [Params(1_000, 10_000, 100_000)]
    public int N { get; set; }

    [Params(16, 32)]
    public int M { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var centres = Enumerable.Range(0, 1_000 * D).Select(_ => (float)Gaussian()).ToArray();
        _rows = new float[N * D];
        for (int i = 0; i < N; i++)
        {
            int c = rng.Next(1_000);
            for (int j = 0; j < D; j++) _rows[i * D + j] = centres[c * D + j] + (float)Gaussian();
        }
        _u = _rows.AsSpan(rng.Next(N) * D, D).ToArray();
        _vectors = new BlockedVectors(D, N);
        _vectors.Load(_rows, N);
        _scores = new float[_vectors.PaddedCount];
        _selector = new TopKSelector(K);
        _top = new int[K];

        var quantizer = ProductQuantizer.Train(_rows, D, new ProductQuantizerOptions { SubSpaces = M, Centroids = 16 }, seed: 3);
        var plain = new byte[N * M];
        quantizer.Encode(_rows, N, plain);
        _codes = FourBitCodes.Pack(plain, N, M);
        _tables = new QuantizedLookupTables(quantizer);
        _tables.Build(_u);
        _sums = new ushort[_codes.PaddedCount];
        // The selection alone reads the scan's sums.
        FastScan.Scan(_codes, _tables, _sums);
        _reranker = new ShortlistReranker(Math.Min(N, M == 16 ? 1_600 : 400), K);
        // The same vectors as a catalog, and a history of N behaviours drawn from it: the codes gathered per request.
        _catalog = new CatalogCodes(quantizer, _rows);
        _gathered = new FourBitCodes(M);
        _history = Enumerable.Range(0, N).Select(_ => rng.Next(N)).ToArray();
    }

    [Benchmark(Description = "catalog gather alone (N item codes into fast-scan blocks)")]
    public int GatherOnly()
    {
        _catalog.Gather(_history, _gathered);
        return _gathered.Blocks;
    }

    [Benchmark(Baseline = true, Description = "exact: blocked scan + top-K")]
    public int Exact()
    {
        _vectors.Score(_u, 1, _scores);
        return _selector.Select(_scores.AsSpan(0, N), _top);
    }

    [Benchmark(Description = "fast scan + shortlist re-rank")]
    public int FastScanRerank()
    {
        _tables.Build(_u);
        FastScan.Scan(_codes, _tables, _sums);
        return _reranker.Rerank(_sums, N, _rows, _u, _top);
    }

    [Benchmark(Description = "lookup tables alone (build + quantize)")]
    public void TablesOnly() => _tables.Build(_u);

    [Benchmark(Description = "fast scan alone (tables built)")]
    public void ScanOnly() => FastScan.Scan(_codes, _tables, _sums);

    [Benchmark(Description = "shortlist selection alone")]
    public int ShortlistOnly() => _reranker.SelectShortlist(_sums, N).Length;
}
