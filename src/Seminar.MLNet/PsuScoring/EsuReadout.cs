using System.Numerics.Tensors;

namespace Seminar.MLNet.PsuScoring;

/// <summary>
/// The PSU after retrieval, for one thread: per head, softmax over the kept behaviours' relevance and the W_V-projected
/// weighted sum; then W_O over the concatenated heads, and the head MLP <c>logit = MLP([o; t; o ⊙ t; z])</c> (z: the
/// standardised side features, when the weights take them).
/// Shared by the exact GSU and the approximate (PQ) one, which differ only in which behaviours they keep.
/// </summary>
sealed class EsuReadout
{
    readonly PsuWeights _w;
    readonly int _d;
    readonly float[] _alpha, _mix, _concat, _head0, _head1;

    public EsuReadout(PsuScoringModel model)
    {
        _w = model.Weights;
        _d = model.Dimension;
        _alpha = new float[model.TopK];
        _mix = new float[_d];
        _concat = new float[model.Heads * _d];
        int widest = Math.Max(3 * _d + _w.SideFeatures, _w.Head.Max(l => l.Outputs));
        _head0 = new float[widest];
        _head1 = new float[widest];
    }

    /// <summary>Head h's output <c>W_V^h Σ α_k x_k</c>, α = softmax of <paramref name="relevance"/>, summed in the given order.</summary>
    /// <param name="head">Head index.</param>
    /// <param name="relevance">Relevance of each kept behaviour (at most K).</param>
    /// <param name="rows">Row table the kept behaviours are read from, D values per row.</param>
    /// <param name="keptRows">Row of each kept behaviour in <paramref name="rows"/>.</param>
    public void AttendHead(int head, ReadOnlySpan<float> relevance, ReadOnlySpan<float> rows, ReadOnlySpan<int> keptRows)
    {
        int k = relevance.Length;
        var alpha = _alpha.AsSpan(0, k);
        float max = TensorPrimitives.Max(relevance);
        TensorPrimitives.Subtract(relevance, max, alpha);
        TensorPrimitives.Exp(alpha, alpha);
        TensorPrimitives.Divide(alpha, TensorPrimitives.Sum(alpha), alpha);
        _mix.AsSpan().Clear();
        for (int i = 0; i < k; i++) TensorPrimitives.MultiplyAdd(rows.Slice(keptRows[i] * _d, _d), alpha[i], _mix, _mix);
        DenseMath.MatVec(_w.AttentionValue.AsSpan(head * _d * _d, _d * _d), _mix, _concat.AsSpan(head * _d, _d));
    }

    /// <summary>
    /// Every head's output from one set of given weights instead of a softmax (SDIM): <c>o_h = W_V^h Σ w_l x_l</c> over the
    /// first <paramref name="weights"/>.Length rows of <paramref name="rows"/>, skipping zero weights.
    /// </summary>
    public void AttendAllHeads(ReadOnlySpan<float> weights, ReadOnlySpan<float> rows)
    {
        _mix.AsSpan().Clear();
        for (int i = 0; i < weights.Length; i++)
            if (weights[i] != 0) TensorPrimitives.MultiplyAdd(rows.Slice(i * _d, _d), weights[i], _mix, _mix);
        for (int head = 0; head < _concat.Length / _d; head++)
            DenseMath.MatVec(_w.AttentionValue.AsSpan(head * _d * _d, _d * _d), _mix, _concat.AsSpan(head * _d, _d));
    }

    /// <summary><c>o = W_O [o_1; …; o_H] + b_O</c> over the heads written by <see cref="AttendHead"/>.</summary>
    public void Combine(Span<float> interest) => DenseMath.Dense(_w.AttentionOutput, _concat, interest, relu: false);

    /// <summary>The interest of a history with no behaviour.</summary>
    public void Empty(Span<float> interest) => _w.EmptyInterest.CopyTo(interest);

    /// <summary><c>logit = MLP([o; t; o ⊙ t; z])</c>, ReLU between layers; z standardises <paramref name="side"/> (already checked, S values).</summary>
    public float Logit(ReadOnlySpan<float> interest, ReadOnlySpan<float> target, ReadOnlySpan<float> side)
    {
        var layers = _w.Head;
        int width = 3 * _d + _w.SideFeatures;
        var input = _head0.AsSpan(0, width);
        interest.CopyTo(input);
        target.CopyTo(input[_d..]);
        TensorPrimitives.Multiply(interest, target, input.Slice(2 * _d, _d));
        if (_w.SideFeatures > 0) SideFeatureScaling.Standardise(side, _w.SideMean, _w.SideScale, input[(3 * _d)..]);
        float[] from = _head0, to = _head1;
        for (int i = 0; i < layers.Count; i++)
        {
            DenseMath.Dense(layers[i], from.AsSpan(0, width), to.AsSpan(0, layers[i].Outputs), relu: i < layers.Count - 1);
            width = layers[i].Outputs;
            (from, to) = (to, from);
        }
        return from[0];
    }
}
