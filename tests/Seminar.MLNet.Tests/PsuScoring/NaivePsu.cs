using Seminar.MLNet.Featurization;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Tests.PsuScoring;

/// <summary>
/// The PSU written straight from the <see cref="PsuWeights"/> specification, in double, with nothing folded or
/// precomputed: every modality embedding, projection and attention product is formed as the spec states it,
/// and top-K is a full sort.
/// </summary>
public sealed class NaivePsu
{
    readonly PsuWeights _w;
    readonly SequenceVocabularies _v;
    readonly int _d;

    public NaivePsu(PsuWeights weights, SequenceVocabularies vocabularies)
    {
        _w = weights;
        _v = vocabularies;
        _d = weights.Dimension;
    }

    /// <summary>Scores one row; <paramref name="side"/> holds the raw side features when the weights take them.</summary>
    public (double[] Target, double[] Interest, double Score) Score(long[] historyItems, long[] historyQueryTokens, long targetItem, long[] queryTokens, float[]? side = null)
    {
        int t = _v.MaxQueryTokens, heads = _w.Heads;
        var target = Pair(targetItem, queryTokens);
        var candidates = new List<(int Position, double[] X)>();
        for (int l = 0; l < historyItems.Length; l++)
            if (historyItems[l] != 0) candidates.Add((l, Pair(historyItems[l], historyQueryTokens.Skip(l * t).Take(t).ToArray())));

        double[] interest;
        if (candidates.Count == 0) interest = _w.EmptyInterest.Select(x => (double)x).ToArray();
        else
        {
            var concat = new List<double>();
            for (int h = 0; h < heads; h++)
            {
                var q = MatVec(_w.AttentionQuery, h * _d * _d, _d, _d, target);
                var scored = candidates.Select(c => (c.Position, c.X, R: Dot(q, MatVec(_w.AttentionKey, h * _d * _d, _d, _d, c.X)) / Math.Sqrt(_d)))
                    .OrderByDescending(c => c.R).ThenBy(c => c.Position).Take(Math.Min(_w.TopK, candidates.Count)).ToList();
                double max = scored.Max(c => c.R);
                var e = scored.Select(c => Math.Exp(c.R - max)).ToArray();
                double sum = e.Sum();
                var mix = new double[_d];
                for (int i = 0; i < scored.Count; i++)
                    for (int j = 0; j < _d; j++) mix[j] += e[i] / sum * scored[i].X[j];
                concat.AddRange(MatVec(_w.AttentionValue, h * _d * _d, _d, _d, mix));
            }
            interest = Dense(_w.AttentionOutput, concat.ToArray());
        }

        // Side features: z_j = (sign(s) ln(1 + |s|) − mean_j) / scale_j, appended after [o; t; o ⊙ t].
        var standardised = Enumerable.Range(0, _w.SideFeatures)
            .Select(j => (Math.Sign(side![j]) * Math.Log(1 + Math.Abs((double)side[j])) - _w.SideMean![j]) / _w.SideScale![j]);
        var z = interest.Concat(target).Concat(interest.Zip(target, (a, b) => a * b)).Concat(standardised).ToArray();
        for (int i = 0; i < _w.Head.Count; i++)
        {
            z = Dense(_w.Head[i], z);
            if (i < _w.Head.Count - 1) z = z.Select(x => Math.Max(x, 0)).ToArray();
        }
        return (target, interest, z[0]);
    }

    /// <summary><c>x = a e_q + (1 − a) e_item</c>, or <c>e_item</c> when the query has no non-zero token.</summary>
    public double[] Pair(long item, long[] tokens)
    {
        var e = Item((int)item);
        var real = tokens.Where(k => k != 0).ToArray();
        if (real.Length == 0) return e;
        var mean = new double[_d];
        foreach (var k in real)
            for (int j = 0; j < _d; j++) mean[j] += _w.Tokens[k * _d + j] / (double)real.Length;
        int queryModality = _w.ItemModalities;
        var eq = MatVec(_w.ModalityTransforms, queryModality * _d * _d, _d, _d, mean);
        double a = 1 / (1 + Math.Exp(-_w.QueryWeightLogit));
        return eq.Zip(e, (q, i) => a * q + (1 - a) * i).ToArray();
    }

    /// <summary><c>e = Σ g_m G_m e_m</c> over the present modalities, g the softmax of the gate logits over them.</summary>
    public double[] Item(int item)
    {
        var e = new double[_d];
        if (item == 0) return e;
        var c = _v.Content;
        var present = new List<(int M, double[] Embedding)> { (0, Row(_w.ItemIds, item)) };
        var title = c.Title(item).ToArray().Where(k => k != 0).ToArray();
        if (title.Length > 0) present.Add((1, Mean(_w.Tokens, title)));
        var attrs = c.AttributesOf(item).ToArray().Where(k => k != 0).ToArray();
        if (attrs.Length > 0) present.Add((2, Mean(_w.Attributes, attrs)));
        for (int m = 0; m < c.Modalities.Count; m++)
            if (c.Modalities[m].HasVector[item])
                present.Add((3 + m, Dense(_w.Projections[m], c.Modalities[m].Of(item).ToArray().Select(x => (double)x).ToArray())));
        double norm = present.Sum(p => Math.Exp(_w.GateLogits[p.M]));
        foreach (var (m, embedding) in present)
        {
            var projected = MatVec(_w.ModalityTransforms, m * _d * _d, _d, _d, embedding);
            double g = Math.Exp(_w.GateLogits[m]) / norm;
            for (int j = 0; j < _d; j++) e[j] += g * projected[j];
        }
        return e;
    }

    double[] Row(float[] table, int i) => Enumerable.Range(0, _d).Select(j => (double)table[i * _d + j]).ToArray();

    double[] Mean(float[] table, int[] rows)
    {
        var m = new double[_d];
        foreach (var r in rows)
            for (int j = 0; j < _d; j++) m[j] += table[r * _d + j] / (double)rows.Length;
        return m;
    }

    static double[] MatVec(float[] w, int offset, int rows, int cols, double[] x)
    {
        var y = new double[rows];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) y[r] += w[offset + r * cols + c] * x[c];
        return y;
    }

    static double[] Dense(DenseLayer layer, double[] x)
    {
        var y = MatVec(layer.Weight, 0, layer.Outputs, layer.Inputs, x);
        for (int r = 0; r < y.Length; r++) y[r] += layer.Bias[r];
        return y;
    }

    static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();
}
