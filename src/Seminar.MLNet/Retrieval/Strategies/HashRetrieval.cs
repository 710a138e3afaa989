using Seminar.MLNet.Onnx;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Retrieval.Strategies;

/// <summary>
/// What ETA (<see cref="SimHashRetrieval"/>) and SDIM (<see cref="HashCollisionRetrieval"/>) share: SimHash signatures of the fused pair
/// vectors under a fixed random rotation R <c>[rows, D]</c>, drawn when training starts (so null before).
/// </summary>
internal abstract class HashRetrieval : PsuRetrieval
{
    /// <summary>A hashing strategy with <paramref name="rows"/> sign bits and, once drawn, its rotation.</summary>
    protected HashRetrieval(int rows, float[]? rotations)
    {
        Rows = rows;
        Rotations = rotations;
    }

    /// <summary>Rows of the rotation: one per sign bit.</summary>
    public int Rows { get; }
    /// <summary>The fixed random rotation R, row-major <c>[<see cref="Rows"/>, D]</c>; null until training draws it.</summary>
    public float[]? Rotations { get; }

    /// <summary>Bits packed per 64-bit word of a signature: the C# step compares whole words.</summary>
    protected abstract int BitsPerWord { get; }

    /// <summary>The same strategy with its rotation.</summary>
    public abstract HashRetrieval WithRotations(float[] rotations);

    /// <inheritdoc/>
    public override void Validate(int dimension, int itemRows)
    {
        if (Rotations == null) throw new ArgumentException($"The {Name} strategy needs HashRotations.", "HashRotations");
        PsuWeights.Exact(Rotations, Rows * dimension, "HashRotations");
    }

    /// <summary>The rotation transposed, <c>Rᵀ</c> [D, rows], shared by the signature nodes.</summary>
    protected string RotationNode(StrategyGraph g)
    {
        const string name = "psu_hash_rotation_t";
        if (g.B.IsDefined(name)) return name;
        int d = g.Model.Dimension;
        return g.B.AddInitializer(name, DenseMath.Transpose(Rotations!, Rows, d), d, Rows);
    }

    /// <summary>+1 where <c>R_i · v &gt; 0</c>, else −1, for vectors [N, D]: [N, rows].</summary>
    protected static string Signs(OnnxGraphBuilder b, string vectors, string rotationT) =>
        b.Where(b.Greater(b.MatMul(vectors, rotationT), b.FloatScalar(0, "zero_f")), b.FloatScalar(1, "plus_one"), b.FloatScalar(-1, "minus_one"));

    /// <summary>A scorer's signature scratch: the target's signature and those of the fused behaviours.</summary>
    protected abstract class SignatureStep : RetrievalStep
    {
        readonly float[] _rotation, _projections;
        readonly int _bitsPerWord;
        ulong[] _signatures = Array.Empty<ulong>();

        protected SignatureStep(HashRetrieval strategy)
        {
            _rotation = strategy.Rotations!;
            _bitsPerWord = strategy.BitsPerWord;
            Words = SimHash.Words(strategy.Rows, _bitsPerWord);
            _projections = new float[strategy.Rows];
            TargetSignature = new ulong[Words];
        }

        /// <summary>Words per signature.</summary>
        protected int Words { get; }
        /// <summary>The target's signature, filled by <see cref="Signatures"/>.</summary>
        protected ulong[] TargetSignature { get; }

        public override int WordsPerBehaviour => Words;

        public override void Reserve(int capacity) => _signatures = new ulong[(long)capacity * Words];

        /// <summary>The target's signature (into <see cref="TargetSignature"/>) and the n fused rows' signatures.</summary>
        protected ReadOnlySpan<ulong> Signatures(PsuRowScorer scorer, int n, ReadOnlySpan<float> target)
        {
            SimHash.Signature(_rotation, target, _bitsPerWord, _projections, TargetSignature);
            int d = target.Length;
            var x = scorer.Fused(n);
            for (int i = 0; i < n; i++)
                SimHash.Signature(_rotation, x.Slice(i * d, d), _bitsPerWord, _projections, _signatures.AsSpan(i * Words, Words));
            return _signatures.AsSpan(0, n * Words);
        }
    }
}
