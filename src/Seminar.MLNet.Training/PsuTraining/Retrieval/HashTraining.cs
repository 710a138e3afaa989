using Seminar.MLNet.Retrieval.Strategies;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seminar.MLNet.Training.PsuTraining.Retrieval;

/// <summary>
/// What ETA and SDIM share while training: the fixed rotation R <c>[rows, D]</c>, a parameter that never trains (so it is saved and
/// restored with the network), drawn from the training seed.
/// </summary>
abstract class HashTraining : RetrievalTraining
{
    readonly HashRetrieval _strategy;

    protected HashTraining(HashRetrieval strategy, int dimension, int seed)
    {
        _strategy = strategy;
        Rotation = nn.Parameter(tensor(Rotations(strategy.Rows, dimension, seed), new long[] { strategy.Rows, dimension }), requires_grad: false);
        register_parameter("hashRotations", Rotation);
    }

    /// <summary>R, <c>[rows, D]</c>.</summary>
    protected Parameter Rotation { get; }

    /// <summary>
    /// Standard normal entries drawn (Box–Muller) from a generator seeded by <paramref name="seed"/>, independent of libtorch's
    /// generator so the same seed gives the same rotation anywhere.
    /// </summary>
    internal static float[] Rotations(int rows, int dimension, int seed)
    {
        var random = new Random(unchecked(seed * 31 + 0x5EED));
        var r = new float[rows * dimension];
        for (int i = 0; i < r.Length; i += 2)
        {
            double u = 1 - random.NextDouble(), v = random.NextDouble();
            double radius = Math.Sqrt(-2 * Math.Log(u));
            r[i] = (float)(radius * Math.Cos(2 * Math.PI * v));
            if (i + 1 < r.Length) r[i + 1] = (float)(radius * Math.Sin(2 * Math.PI * v));
        }
        return r;
    }

    /// <summary>Whether each SimHash bit of vectors <c>[B, N, D]</c> is set: <c>[B, N, rows]</c>, true where <c>R_i · x &gt; 0</c>.</summary>
    protected Tensor Bits(Tensor vectors) => vectors.matmul(Rotation.t()).gt(0);

    public override PsuRetrieval Export() => _strategy.WithRotations(PsuWeightsExport.Values(Rotation));
}
