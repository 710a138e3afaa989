using System.Numerics.Tensors;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.PsuScoring;

/// <summary>
/// The PSU forward pass for one row at a time in C#: target pair, GSU top-K per head, ESU attention, head MLP.
/// Holds scratch buffers that grow to the longest history seen, so after warm-up a row allocates nothing.
/// Not thread-safe: give each cursor or thread its own scorer over one shared <see cref="PsuScoringModel"/>.
/// </summary>
public sealed class PsuRowScorer
{
    readonly PsuScoringModel _model;
    readonly PsuColumnOptions _columns;
    readonly int _d, _heads, _k, _t;
    readonly float _a;
    readonly float[] _u, _query, _mix, _concat, _head0, _head1, _alpha;
    readonly Candidate[] _selected;
    float[] _x = Array.Empty<float>(), _scores = Array.Empty<float>();
    Candidate[] _candidates = Array.Empty<Candidate>();
    int _capacity;

    /// <summary>Creates a scorer over a shared model.</summary>
    /// <param name="model">The precomputed model.</param>
    /// <param name="columns">Column names quoted in error messages (defaults when null).</param>
    public PsuRowScorer(PsuScoringModel model, PsuColumnOptions? columns = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _columns = columns ?? new PsuColumnOptions();
        _d = model.Dimension;
        _heads = model.Heads;
        _k = model.TopK;
        _t = model.QueryTokens;
        _a = model.QueryWeight;
        _u = new float[_heads * _d];
        _query = new float[_d];
        _mix = new float[_d];
        _concat = new float[_heads * _d];
        int widest = Math.Max(3 * _d, model.Weights.Head.Max(l => l.Outputs));
        _head0 = new float[widest];
        _head1 = new float[widest];
        _alpha = new float[_k];
        _selected = new Candidate[_k];
    }

    /// <summary>The model this scorer runs.</summary>
    public PsuScoringModel Model => _model;

    /// <summary>Scores one row.</summary>
    /// <param name="historyItems">Item index per behaviour (L); index 0 is padding and never attended to.</param>
    /// <param name="historyQueryTokens">Query token indices per behaviour, <see cref="PsuScoringModel.QueryTokens"/> each, flattened (L·T); 0 pads.</param>
    /// <param name="targetItem">Target item index.</param>
    /// <param name="queryTokens">Target query token indices (0 pads; all zero = no query).</param>
    /// <param name="target">Receives the fused target pair t (D).</param>
    /// <param name="interest">Receives the interest vector o (D).</param>
    /// <returns>The head's logit.</returns>
    /// <exception cref="ArgumentException">Lengths disagree, or an index is outside its vocabulary.</exception>
    public float Score(ReadOnlySpan<long> historyItems, ReadOnlySpan<long> historyQueryTokens, long targetItem, ReadOnlySpan<long> queryTokens,
        Span<float> target, Span<float> interest)
    {
        int length = historyItems.Length;
        if (historyQueryTokens.Length != (long)length * _t)
            throw new ArgumentException(
                $"'{_columns.HistoryQueryTokensColumn}' holds {historyQueryTokens.Length} token indices but '{_columns.HistoryItemsColumn}' has {length} behaviours: expected {_t} per behaviour ({(long)length * _t}).",
                nameof(historyQueryTokens));
        if (target.Length != _d) throw new ArgumentException($"The target buffer holds {target.Length} values; expected D = {_d}.", nameof(target));
        if (interest.Length != _d) throw new ArgumentException($"The interest buffer holds {interest.Length} values; expected D = {_d}.", nameof(interest));

        Pair(CheckItem(targetItem, _columns.TargetItemColumn, "target item", -1), queryTokens, _columns.QueryTokensColumn, "query token", -1, target);
        DenseMath.MatVec(_model.FoldedAttentionData, target, _u);

        int real = ScoreHistory(historyItems, historyQueryTokens);
        if (real == 0) _model.Weights.EmptyInterest.CopyTo(interest);
        else Attend(real, interest);
        return Head(interest, target);
    }

    /// <summary>GSU: fuses each real behaviour into X (compacted, padding skipped) and scores it against every head; returns how many.</summary>
    int ScoreHistory(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens)
    {
        Reserve(items.Length);
        int n = 0;
        for (int l = 0; l < items.Length; l++)
        {
            int item = CheckItem(items[l], _columns.HistoryItemsColumn, "history item", l);
            if (item == Vocabulary.Padding) continue;
            var x = _x.AsSpan(n * _d, _d);
            Pair(item, tokens.Slice(l * _t, _t), _columns.HistoryQueryTokensColumn, "history query token", l, x);
            for (int h = 0; h < _heads; h++) _scores[h * _capacity + n] = TensorPrimitives.Dot(_u.AsSpan(h * _d, _d), x);
            n++;
        }
        return n;
    }

    /// <summary>ESU: per head, softmax over its own top-K, weighted sum of X, W_V; then W_O over the concatenated heads.</summary>
    void Attend(int n, Span<float> interest)
    {
        int k = Math.Min(_k, n);
        var weights = _model.Weights;
        for (int h = 0; h < _heads; h++)
        {
            ReadOnlySpan<Candidate> kept;
            var scores = _scores.AsSpan(h * _capacity, n);
            if (k == n)
            {
                for (int i = 0; i < n; i++) _selected[i] = new Candidate(scores[i], i);
                kept = _selected.AsSpan(0, n);
            }
            else
            {
                var candidates = _candidates.AsSpan(0, n);
                for (int i = 0; i < n; i++) candidates[i] = new Candidate(scores[i], i);
                TopKSelection.SelectBest(candidates, k);
                kept = candidates[..k];
            }
            float max = float.NegativeInfinity;
            foreach (var c in kept) max = Math.Max(max, c.Score);
            var alpha = _alpha.AsSpan(0, k);
            for (int i = 0; i < k; i++) alpha[i] = kept[i].Score - max;
            TensorPrimitives.Exp(alpha, alpha);
            TensorPrimitives.Divide(alpha, TensorPrimitives.Sum(alpha), alpha);
            _mix.AsSpan().Clear();
            for (int i = 0; i < k; i++) TensorPrimitives.MultiplyAdd(_x.AsSpan(kept[i].Index * _d, _d), alpha[i], _mix, _mix);
            DenseMath.MatVec(weights.AttentionValue.AsSpan(h * _d * _d, _d * _d), _mix, _concat.AsSpan(h * _d, _d));
        }
        DenseMath.Dense(weights.AttentionOutput, _concat, interest, relu: false);
    }

    /// <summary><c>logit = MLP([o; t; o ⊙ t])</c>, ReLU between layers.</summary>
    float Head(ReadOnlySpan<float> interest, ReadOnlySpan<float> target)
    {
        var layers = _model.Weights.Head;
        var input = _head0.AsSpan(0, 3 * _d);
        interest.CopyTo(input);
        target.CopyTo(input[_d..]);
        TensorPrimitives.Multiply(interest, target, input[(2 * _d)..]);
        float[] from = _head0, to = _head1;
        int width = 3 * _d;
        for (int i = 0; i < layers.Count; i++)
        {
            DenseMath.Dense(layers[i], from.AsSpan(0, width), to.AsSpan(0, layers[i].Outputs), relu: i < layers.Count - 1);
            width = layers[i].Outputs;
            (from, to) = (to, from);
        }
        return from[0];
    }

    /// <summary><c>x = a e_q + (1 − a) e_item</c>, or <c>e_item</c> when the query has no token.</summary>
    void Pair(int item, ReadOnlySpan<long> tokens, string column, string what, int position, Span<float> x)
    {
        var itemRow = _model.ItemData.AsSpan(item * _d, _d);
        int count = 0;
        var table = _model.QueryTokenData;
        foreach (long token in tokens)
        {
            if (token == Vocabulary.Padding) continue;
            if ((ulong)token >= (ulong)_model.TokenCount) throw OutOfRange(token, _model.TokenCount, column, what, position, "token");
            var row = table.AsSpan((int)token * _d, _d);
            if (count++ == 0) row.CopyTo(_query);
            else TensorPrimitives.Add(_query, row, _query);
        }
        if (count == 0)
        {
            itemRow.CopyTo(x);
            return;
        }
        TensorPrimitives.Multiply(itemRow, 1f - _a, x);
        TensorPrimitives.MultiplyAdd(_query, _a / count, x, x);
    }

    int CheckItem(long item, string column, string what, int position)
    {
        if ((ulong)item >= (ulong)_model.ItemCount) throw OutOfRange(item, _model.ItemCount, column, what, position, "item");
        return (int)item;
    }

    static ArgumentException OutOfRange(long value, int size, string column, string what, int position, string vocabulary) => new(
        $"Column '{column}'{(position >= 0 ? $" at behaviour {position}" : "")}: {what} index {value} is outside the {vocabulary} vocabulary (valid indices 0 to {size - 1}).");

    void Reserve(int length)
    {
        if (length <= _capacity) return;
        // Grow geometrically so a slowly lengthening stream of histories reallocates rarely.
        _capacity = Math.Max(length, Math.Min(2 * Math.Max(_capacity, 64), Array.MaxLength / Math.Max(_d, _heads)));
        _x = new float[(long)_capacity * _d];
        _scores = new float[(long)_capacity * _heads];
        _candidates = new Candidate[_capacity];
    }
}
