using Seminar.MLNet.Retrieval.Strategies;
using static TorchSharp.torch;

namespace Seminar.MLNet.Training.PsuTraining.Retrieval;

/// <summary>
/// SDIM: per hash function, the visible behaviours whose b-bit code equals the target's, each function's collisions averaged and the
/// functions averaged; those weights replace the GSU and softmax for every head before the network's W_V and W_O.
/// </summary>
sealed class HashCollisionTraining : HashTraining
{
    readonly int _functions, _bitsPerFunction;

    public HashCollisionTraining(HashCollisionRetrieval strategy, int dimension, int seed) : base(strategy, dimension, seed)
    {
        _functions = strategy.Functions;
        _bitsPerFunction = strategy.BitsPerFunction;
    }

    public override Tensor Attend(PsuNetwork network, Tensor targets, Tensor history, Tensor visible, Tensor? targetItems, Tensor? historyItems)
    {
        long b = targets.shape[0], tp = targets.shape[1];
        int m = _functions;
        Tensor weights, any;
        using (no_grad())
        {
            var targetCodes = Codes(targets);                                                  // [B, T', m]
            var historyCodes = Codes(history);                                                 // [B, L, m]
            weights = zeros(b, tp, history.shape[1]);
            var colliding = zeros(b, tp, 1);
            for (int j = 0; j < m; j++)
            {
                var collide = targetCodes.select(2, j).unsqueeze(2).eq(historyCodes.select(2, j).unsqueeze(1)).logical_and(visible).to_type(ScalarType.Float32);
                var count = collide.sum(2, keepdim: true);
                weights = weights + collide / count.clamp_min(1);
                colliding = colliding + count.gt(0).to_type(ScalarType.Float32);
            }
            weights = weights / m;
            any = colliding.gt(0).expand(b, tp, 1);
        }
        return network.AttendWeighted(weights, history, any);
    }

    /// <summary>Each hash function's code of vectors <c>[B, N, D]</c>: <c>[B, N, m]</c> integers from bits <c>j·b … j·b + b − 1</c>.</summary>
    Tensor Codes(Tensor vectors)
    {
        int m = _functions, bits = _bitsPerFunction;
        var set = Bits(vectors).to_type(ScalarType.Int64);
        var powers = tensor(Enumerable.Range(0, bits).Select(i => 1L << i).ToArray());
        return (set.view(vectors.shape[0], vectors.shape[1], m, bits) * powers).sum(-1);
    }
}
