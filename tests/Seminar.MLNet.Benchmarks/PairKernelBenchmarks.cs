using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Benchmarks;

/// <summary>
/// The exact GSU's per-behaviour work on the row path (D = 64, H = 4, half the behaviours with a 3-token query), one
/// operation per behaviour over 10,000 cache-resident behaviours: the earlier kernels (one <c>TensorPrimitives</c> call
/// per token, two for the mix and one dot per head), <see cref="PairFusion.Fuse"/> then <see cref="RowDots.Score"/>, and
/// <see cref="PairFusion.FuseScore"/> (mixed and scored in registers, nothing written). All three give each behaviour's
/// four relevance scores. In isolation (`--job short`) the second measured 32.8 ns, the third 36.9 and the first 49.7;
/// inside the scorer, streaming a history with the third is the faster (<see cref="PsuScoringBenchmarks"/>'s row scorer
/// at L = 10,000: 356 µs against 425 with the second), so the scorer uses it.
/// </summary>
[MemoryDiagnoser]
public class PairKernelBenchmarks
{
    const int Behaviours = 10_000, Heads = 4, QueryTokens = 8;
    PsuScoringModel _model = null!;
    PairFusion _fusion = null!;
    int[] _items = null!;
    long[] _tokens = null!;
    float[] _u = null!, _x = null!, _query = null!, _scores = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        var vocabularies = BenchmarkCatalog.Vocabularies(new MLContext(1), rng, QueryTokens);
        _model = new PsuScoringModel(PsuScoringBenchmarks.RandomWeights(vocabularies, rng), vocabularies);
        _fusion = new PairFusion(_model);
        _items = Enumerable.Range(0, Behaviours).Select(_ => rng.Next(2, _model.ItemCount)).ToArray();
        _tokens = new long[Behaviours * QueryTokens];
        for (int l = 0; l < Behaviours; l++)
            if (rng.Next(2) == 0)
                for (int t = 0; t < 3; t++) _tokens[l * QueryTokens + t] = rng.Next(2, _model.TokenCount);
        int d = _model.Dimension;
        _u = Enumerable.Range(0, Heads * d).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        _x = new float[d];
        _query = new float[d];
        _scores = new float[Heads];
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Behaviours, Description = "TensorPrimitives per call")]
    public float PerCall()
    {
        int d = _model.Dimension;
        float a = _model.QueryWeight, sum = 0;
        for (int l = 0; l < Behaviours; l++)
        {
            var item = _model.ItemData.AsSpan(_items[l] * d, d);
            int count = 0;
            foreach (long token in _tokens.AsSpan(l * QueryTokens, QueryTokens))
            {
                if (token == Vocabulary.Padding) continue;
                var row = _model.QueryTokenData.AsSpan((int)token * d, d);
                if (count++ == 0) row.CopyTo(_query);
                else TensorPrimitives.Add(_query, row, _query);
            }
            if (count == 0) item.CopyTo(_x);
            else
            {
                TensorPrimitives.Multiply(item, 1f - a, _x);
                TensorPrimitives.MultiplyAdd(_query, a / count, _x, _x);
            }
            for (int h = 0; h < Heads; h++) sum += TensorPrimitives.Dot(_u.AsSpan(h * d, d), _x);
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Behaviours, Description = "Fuse + RowDots")]
    public float FuseThenScore()
    {
        float sum = 0;
        for (int l = 0; l < Behaviours; l++)
        {
            _fusion.Fuse(_items[l], _tokens.AsSpan(l * QueryTokens, QueryTokens), "c", "token", l, _x);
            RowDots.Score(_u, Heads, _x, _scores, 1);
            sum += _scores[0];
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Behaviours, Description = "FuseScore")]
    public float InRegisters()
    {
        float sum = 0;
        for (int l = 0; l < Behaviours; l++)
        {
            _fusion.FuseScore(_items[l], _tokens.AsSpan(l * QueryTokens, QueryTokens), "c", "token", l, _u, Heads, _scores, 1);
            sum += _scores[0];
        }
        return sum;
    }
}
