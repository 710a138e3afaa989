using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using Seminar.MLNet.Evaluation.Retrieval;

namespace Seminar.MLNet.Benchmarks;

/// <summary>
/// One ranking request through a whole chain (featurizer, PSU with the exact GSU or PQ attention, FastTree), as
/// <c>bench --serving</c> times it but under BenchmarkDotNet: the fitted chain (the PSU batched over the request's
/// candidates) against the stock-loaded zip (every SEMINAR stage in ONNX Runtime, candidate by candidate). D = 64,
/// H = 4, K = 50, 5,000 catalog items. One operation is one request; requests cycle through 4 users so no history is
/// cached from the last one.
/// </summary>
[MemoryDiagnoser]
public class ServingBenchmarks
{
    const int Users = 4;
    RankingRequest[] _requests = null!;
    SeminarRanker _ranker = null!;
    ITransformer _model = null!;
    float[] _scores = null!;
    int _next;

    [Params(1_000, 10_000)]
    public int HistoryLength { get; set; }

    [Params(1, 100)]
    public int Candidates { get; set; }

    [Params("fitted", "stock_loaded")]
    public string Chain { get; set; } = "";

    [Params("exact", "pq")]
    public string Retrieval { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var fixture = new ServingFixture(new ServingBenchOptions(), HistoryLength);
        var model = Retrieval == "exact" ? fixture.Exact : fixture.Pq;
        var schema = fixture.TrainingSchema;
        if (Chain == "stock_loaded")
        {
            using var stream = new MemoryStream();
            fixture.Ml.Model.Save(model, schema, stream);
            stream.Position = 0;
            model = fixture.Ml.Model.Load(stream, out schema);
        }
        _model = model;
        _ranker = new SeminarRanker(model, schema);
        _requests = Enumerable.Range(0, Users).Select(_ => fixture.Request(HistoryLength, Candidates)).ToArray();
        _scores = new float[Candidates];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _ranker.Dispose();
        // A stock-loaded chain keeps a copy of each graph in the temp folder until disposed.
        if (Chain == "stock_loaded") (_model as IDisposable)?.Dispose();
    }

    [Benchmark]
    public float Rank()
    {
        _ranker.Rank(_requests[_next++ % Users], _scores);
        return _scores[0];
    }
}
