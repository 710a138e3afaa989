using Seminar.MLNet.Onnx;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Retrieval.Strategies;

/// <summary>
/// ETA: SimHash signatures (sign bits of a fixed random rotation) of the fused pair vectors; the K behaviours nearest the target's
/// signature in Hamming distance (one set shared by the heads; equal distances go to the earlier behaviour), then the normal ESU.
/// </summary>
internal sealed class SimHashRetrieval : HashRetrieval
{
    /// <summary>ETA with <paramref name="simHashBits"/> signature bits and, once drawn, their rotation <c>[bits, D]</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The bits are outside 1 to 1,024.</exception>
    public SimHashRetrieval(int simHashBits, float[]? rotations = null) : base(Checked(simHashBits), rotations) { }

    static int Checked(int simHashBits)
    {
        if (simHashBits is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(simHashBits), simHashBits, "SimHashBits must be between 1 and 1024.");
        return simHashBits;
    }

    /// <summary>Signature bits, packed 64 per word.</summary>
    public int Bits => Rows;

    /// <inheritdoc/>
    public override string Name => "SimHash";

    /// <inheritdoc/>
    protected override int BitsPerWord => 64;

    /// <inheritdoc/>
    public override HashRetrieval WithRotations(float[] rotations) => new SimHashRetrieval(Bits, rotations);

    /// <inheritdoc/>
    public override RetrievalStep CreateStep(PsuScoringModel model) => new Step(this, model.TopK);

    /// <inheritdoc/>
    public override string EmitAttention(StrategyGraph g)
    {
        var b = g.B;
        var (offsets, count) = g.Padding();
        var rotation = RotationNode(g);
        // With ±1 signs the dot of two signatures is bits − 2·Hamming (exact in float), so the largest dots are the nearest.
        var agreement = b.MatMul(Signs(b, g.X, rotation), b.Transpose(Signs(b, g.Target, rotation), new[] { 1L, 0L }));  // [L, 1]
        var positions = b.TopK(b.Add(b.Reshape(agreement, new[] { -1L }), offsets), g.TopK(count)).Indices;
        return g.Shared(positions, count);
    }

    /// <summary>The K fused rows nearest the target in Hamming distance (ties to the earlier), one set for every head, then the ESU.</summary>
    sealed class Step : SignatureStep
    {
        readonly int _k;
        readonly int[] _selected, _counts;
        int[] _distances = Array.Empty<int>();

        public Step(SimHashRetrieval strategy, int k) : base(strategy)
        {
            _k = k;
            _selected = new int[k];
            _counts = new int[64 * Words + 1];
        }

        public override void Reserve(int capacity)
        {
            base.Reserve(capacity);
            _distances = new int[capacity];
        }

        public override bool Attend(PsuRowScorer scorer, ReadOnlySpan<long> items, ReadOnlySpan<long> tokens, int targetItem, ReadOnlySpan<float> target)
        {
            int n = scorer.FuseAll(items, tokens, scoreHeads: false);
            if (n == 0) return false;
            var signatures = Signatures(scorer, n, target);
            scorer.AttendShared(_selected.AsSpan(0, HammingTopK.Select(TargetSignature, signatures, _k, _distances, _counts, _selected)));
            return true;
        }
    }
}
