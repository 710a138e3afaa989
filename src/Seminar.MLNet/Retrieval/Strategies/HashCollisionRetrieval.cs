using Seminar.MLNet.Onnx;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Retrieval.Strategies;

/// <summary>
/// SDIM: several SimHash functions of a few bits each; behaviours whose code collides with the target's are averaged per function
/// and the functions averaged. Those weights replace the softmax (no top-K, no attention scores), the same for every head, before
/// the usual value and output projections. Function j's code is bits <c>j·b … j·b + b − 1</c> of the rotation <c>[m·b, D]</c>.
/// </summary>
internal sealed class HashCollisionRetrieval : HashRetrieval
{
    /// <summary>SDIM with <paramref name="hashFunctions"/> functions of <paramref name="bitsPerFunction"/> bits and, once drawn, their rotation.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Functions outside 1 to 1,024 or bits per function outside 1 to 64.</exception>
    public HashCollisionRetrieval(int hashFunctions, int bitsPerFunction, float[]? rotations = null)
        : base(Checked(hashFunctions, bitsPerFunction), rotations)
    {
        Functions = hashFunctions;
        BitsPerFunction = bitsPerFunction;
    }

    static int Checked(int hashFunctions, int bitsPerFunction)
    {
        if (hashFunctions is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(hashFunctions), hashFunctions, "HashFunctions must be between 1 and 1024.");
        if (bitsPerFunction is < 1 or > 64) throw new ArgumentOutOfRangeException(nameof(bitsPerFunction), bitsPerFunction, "BitsPerFunction must be between 1 and 64.");
        return hashFunctions * bitsPerFunction;
    }

    /// <summary>Hash functions m.</summary>
    public int Functions { get; }
    /// <summary>Bits per hash function b (the signature width τ).</summary>
    public int BitsPerFunction { get; }

    /// <inheritdoc/>
    public override string Name => "HashCollision";

    /// <inheritdoc/>
    protected override int BitsPerWord => BitsPerFunction;

    /// <inheritdoc/>
    public override HashRetrieval WithRotations(float[] rotations) => new HashCollisionRetrieval(Functions, BitsPerFunction, rotations);

    /// <inheritdoc/>
    public override RetrievalStep CreateStep(PsuScoringModel model) => new Step(this);

    /// <inheritdoc/>
    public override string EmitAttention(StrategyGraph g)
    {
        var b = g.B;
        int m = Functions, bits = BitsPerFunction;
        var rotation = RotationNode(g);
        // Function j's b signs agree with the target's in full exactly when their product summed over its bits is b; block[j·b + c, j] = 1 sums them.
        var block = new float[m * bits * m];
        for (int j = 0; j < m; j++)
            for (int c = 0; c < bits; c++) block[(j * bits + c) * m + j] = 1;
        var perFunction = b.MatMul(b.Mul(Signs(b, g.X, rotation), Signs(b, g.Target, rotation)), b.AddInitializer("psu_hash_function_blocks", block, m * bits, m)); // [L, m]
        var realRows = b.Unsqueeze(b.Cast(g.Real(), StrategyGraph.Float), new[] { 1L });                                   // [L, 1]
        var collide = b.Mul(b.Cast(b.Equal(perFunction, b.FloatScalar(bits, "bits_per_function")), StrategyGraph.Float), realRows);  // [L, m]
        var counts = b.Max(b.ReduceSum(collide, new[] { 0L }, keepDims: true), b.FloatScalar(1, "one_f"));                   // [1, m]
        var summed = b.ReduceSum(b.Div(collide, counts), new[] { 1L }, keepDims: false);                                    // [L]
        var weights = b.Unsqueeze(b.Div(summed, b.FloatScalar(m, "hash_functions")), new[] { 0L });                          // [1, L]
        var any = b.Greater(b.ReduceSum(weights, axes: null, keepDims: false), b.FloatScalar(0, "zero_f"));
        return g.ValueOutput(b.MatMul(weights, g.X), any);
    }

    /// <summary>Collision weights of the fused rows replace the softmax for every head; false when nothing collides.</summary>
    sealed class Step(HashCollisionRetrieval strategy) : SignatureStep(strategy)
    {
        readonly int[] _counts = new int[strategy.Functions];
        float[] _weights = Array.Empty<float>();

        public override void Reserve(int capacity)
        {
            base.Reserve(capacity);
            _weights = new float[capacity];
        }

        public override bool Attend(PsuRowScorer scorer, ReadOnlySpan<long> items, ReadOnlySpan<long> tokens, int targetItem, ReadOnlySpan<float> target)
        {
            int n = scorer.FuseAll(items, tokens, scoreHeads: false);
            if (n == 0) return false;
            var codes = Signatures(scorer, n, target);
            var weights = _weights.AsSpan(0, n);
            if (CollisionWeights.Compute(TargetSignature, codes, weights, _counts) == 0) return false;
            scorer.AttendWeighted(weights);
            return true;
        }
    }
}
