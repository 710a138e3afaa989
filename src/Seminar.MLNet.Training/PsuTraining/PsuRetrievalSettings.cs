using Seminar.MLNet.Retrieval.Strategies;

namespace Seminar.MLNet.Training.PsuTraining;

/// <summary>The retrieval strategy a <see cref="PsuNetwork"/> trains with, and the fixed random rotations of the hashing strategies.</summary>
/// <param name="Strategy">The strategy.</param>
/// <param name="RecentWindow">DIN's window N.</param>
/// <param name="SimHashBits">ETA's signature bits.</param>
/// <param name="HashFunctions">SDIM's hash functions m.</param>
/// <param name="BitsPerFunction">SDIM's bits per function b.</param>
/// <param name="Seed">Seed of the rotations.</param>
sealed record PsuRetrievalSettings(RetrievalStrategy Strategy, int RecentWindow, int SimHashBits, int HashFunctions, int BitsPerFunction, int Seed)
{
    /// <summary>SEMINAR's exact GSU.</summary>
    public static PsuRetrievalSettings Exact { get; } = new(RetrievalStrategy.Exact, 50, 64, 48, 3, 0);

    /// <summary>The options' strategy, rotations seeded from the training seed.</summary>
    public static PsuRetrievalSettings From(PsuEmbeddingOptions o, int seed) =>
        new(o.RetrievalStrategy, o.RecentWindow, o.SimHashBits, o.HashFunctions, o.BitsPerFunction, seed);

    /// <summary>Rotation rows: SimHash bits, functions × bits per function, or 0 for the strategies that do not hash.</summary>
    public int HashRows => Strategy switch
    {
        RetrievalStrategy.SimHash => SimHashBits,
        RetrievalStrategy.HashCollision => HashFunctions * BitsPerFunction,
        _ => 0,
    };

    /// <summary>
    /// The fixed rotation R <c>[HashRows, D]</c>, standard normal entries drawn (Box–Muller) from a generator seeded by
    /// <see cref="Seed"/>, independent of libtorch's generator so the same seed gives the same rotation anywhere.
    /// </summary>
    public float[] Rotations(int dimension)
    {
        var random = new Random(unchecked(Seed * 31 + 0x5EED));
        var r = new float[HashRows * dimension];
        for (int i = 0; i < r.Length; i += 2)
        {
            double u = 1 - random.NextDouble(), v = random.NextDouble();
            double radius = Math.Sqrt(-2 * Math.Log(u));
            r[i] = (float)(radius * Math.Cos(2 * Math.PI * v));
            if (i + 1 < r.Length) r[i + 1] = (float)(radius * Math.Sin(2 * Math.PI * v));
        }
        return r;
    }
}
