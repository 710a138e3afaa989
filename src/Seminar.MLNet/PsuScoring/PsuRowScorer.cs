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
    readonly PairFusion _fusion;
    readonly EsuReadout _readout;
    readonly int _d, _heads, _k, _t;
    readonly float[] _u, _relevance;
    readonly int[] _rows;
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
        _fusion = new PairFusion(model);
        _readout = new EsuReadout(model);
        _d = model.Dimension;
        _heads = model.Heads;
        _k = model.TopK;
        _t = model.QueryTokens;
        _u = new float[_heads * _d];
        _relevance = new float[_k];
        _rows = new int[_k];
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
        RowChecks.Lengths(_columns, historyItems.Length, historyQueryTokens.Length, _t, _d, target.Length, interest.Length);
        _fusion.FuseTarget(targetItem, queryTokens, _columns, target, _u);

        int real = ScoreHistory(historyItems, historyQueryTokens);
        if (real == 0) _readout.Empty(interest);
        else Attend(real, interest);
        return _readout.Logit(interest, target);
    }

    /// <summary>GSU: fuses each real behaviour into X (compacted, padding skipped) and scores it against every head; returns how many.</summary>
    int ScoreHistory(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens)
    {
        Reserve(items.Length);
        int n = 0;
        for (int l = 0; l < items.Length; l++)
        {
            int item = _fusion.CheckItem(items[l], _columns.HistoryItemsColumn, "history item", l);
            if (item == Vocabulary.Padding) continue;
            var x = _x.AsSpan(n * _d, _d);
            _fusion.Fuse(item, tokens.Slice(l * _t, _t), _columns.HistoryQueryTokensColumn, "history query token", l, x);
            for (int h = 0; h < _heads; h++) _scores[h * _capacity + n] = TensorPrimitives.Dot(_u.AsSpan(h * _d, _d), x);
            n++;
        }
        return n;
    }

    /// <summary>Per head: its own top-K (all when n ≤ K), then the ESU over them.</summary>
    void Attend(int n, Span<float> interest)
    {
        int k = Math.Min(_k, n);
        for (int h = 0; h < _heads; h++)
        {
            var scores = _scores.AsSpan(h * _capacity, n);
            var candidates = _candidates.AsSpan(0, n);
            for (int i = 0; i < n; i++) candidates[i] = new Candidate(scores[i], i);
            if (k < n) TopKSelection.SelectBest(candidates, k);
            for (int i = 0; i < k; i++)
            {
                _relevance[i] = candidates[i].Score;
                _rows[i] = candidates[i].Index;
            }
            _readout.AttendHead(h, _relevance.AsSpan(0, k), _x, _rows.AsSpan(0, k));
        }
        _readout.Combine(interest);
    }

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

/// <summary>The length checks every row scorer makes before scoring, with the column names in the messages.</summary>
static class RowChecks
{
    public static void Lengths(PsuColumnOptions columns, int length, int historyTokens, int slots, int d, int target, int interest)
    {
        if (historyTokens != (long)length * slots)
            throw new ArgumentException(
                $"'{columns.HistoryQueryTokensColumn}' holds {historyTokens} token indices but '{columns.HistoryItemsColumn}' has {length} behaviours: expected {slots} per behaviour ({(long)length * slots}).",
                "historyQueryTokens");
        if (target != d) throw new ArgumentException($"The target buffer holds {target} values; expected D = {d}.", nameof(target));
        if (interest != d) throw new ArgumentException($"The interest buffer holds {interest} values; expected D = {d}.", nameof(interest));
    }
}
