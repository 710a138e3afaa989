using System.Numerics.Tensors;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// The PSU forward pass with approximate retrieval, one row at a time in C#: the exact target pair, the history's codes
/// laid out for the scan (catalog codes per item, query codes per pair), each head's top-K by lookup-table relevance,
/// then the exact ESU on those K and the head MLP. Buffers grow to the longest history seen; after warm-up a row
/// allocates nothing. Consecutive rows with the same history (one user's candidates) reuse its codes. Not thread-safe: one per cursor or thread over a shared <see cref="PqAttentionModel"/>.
/// </summary>
internal sealed class PqRowScorer
{
    readonly PqAttentionModel _model;
    readonly PsuScoringModel _psu;
    readonly PsuColumnOptions _columns;
    readonly PairFusion _fusion;
    readonly EsuReadout _readout;
    readonly PqRetriever _retriever;
    readonly PqHistoryEncoder _encoder;
    readonly int _d, _heads, _k, _t;
    readonly float[] _target, _u, _rows, _relevance;
    readonly int[] _kept, _rowIndex;
    readonly HistoryCache _history = new();
    int _real;

    /// <summary>Creates a scorer over a shared model.</summary>
    /// <param name="model">The model.</param>
    /// <param name="columns">Column names quoted in error messages (defaults when null).</param>
    public PqRowScorer(PqAttentionModel model, PsuColumnOptions? columns = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _psu = model.Psu;
        _columns = columns ?? new PsuColumnOptions();
        _fusion = new PairFusion(_psu);
        _readout = new EsuReadout(_psu);
        _d = _psu.Dimension;
        _heads = _psu.Heads;
        _k = model.TopK;
        _t = _psu.QueryTokens;
        _retriever = new PqRetriever(model.Codebooks, _heads, _k);
        _encoder = new PqHistoryEncoder(model, _columns, _fusion);
        _target = new float[_d];
        _u = new float[_heads * _d];
        _rows = new float[_k * _d];
        _relevance = new float[_k];
        _kept = new int[_heads * _k];
        _rowIndex = Enumerable.Range(0, _k).ToArray();
    }

    /// <summary>The model this scorer runs.</summary>
    public PqAttentionModel Model => _model;

    /// <summary>Scores one row with approximate retrieval.</summary>
    /// <param name="historyItems">Item index per behaviour (L); index 0 is padding and never attended to.</param>
    /// <param name="historyQueryTokens">Query token indices per behaviour, <see cref="PsuScoringModel.QueryTokens"/> each, flattened (L·T); 0 pads.</param>
    /// <param name="targetItem">Target item index.</param>
    /// <param name="queryTokens">Target query token indices (0 pads; all zero = no query).</param>
    /// <param name="interest">Receives the interest vector o (D).</param>
    /// <returns>The head's logit.</returns>
    /// <exception cref="ArgumentException">Lengths disagree, or an index is outside its vocabulary.</exception>
    public float Score(ReadOnlySpan<long> historyItems, ReadOnlySpan<long> historyQueryTokens, long targetItem, ReadOnlySpan<long> queryTokens, Span<float> interest) =>
        Score(historyItems, historyQueryTokens, targetItem, queryTokens, ReadOnlySpan<float>.Empty, interest);

    /// <summary>Scores one row with approximate retrieval, the PSU's head also reading side features.</summary>
    /// <param name="historyItems">Item index per behaviour (L); index 0 is padding and never attended to.</param>
    /// <param name="historyQueryTokens">Query token indices per behaviour, <see cref="PsuScoringModel.QueryTokens"/> each, flattened (L·T); 0 pads.</param>
    /// <param name="targetItem">Target item index.</param>
    /// <param name="queryTokens">Target query token indices (0 pads; all zero = no query).</param>
    /// <param name="sideFeatures">The row's side features as read (<see cref="PsuWeights.SideFeatures"/> values; empty when the PSU takes none).</param>
    /// <param name="interest">Receives the interest vector o (D).</param>
    /// <returns>The head's logit.</returns>
    /// <exception cref="ArgumentException">Lengths disagree, an index is outside its vocabulary, or a side feature is not finite.</exception>
    public float Score(ReadOnlySpan<long> historyItems, ReadOnlySpan<long> historyQueryTokens, long targetItem, ReadOnlySpan<long> queryTokens,
        ReadOnlySpan<float> sideFeatures, Span<float> interest)
    {
        RowChecks.Lengths(_columns, historyItems.Length, historyQueryTokens.Length, _t, _d, _target.Length, interest.Length);
        SideFeatureScaling.Check(sideFeatures, _psu.Weights.SideFeatures, _columns.SideFeaturesColumnName);
        _fusion.FuseTarget(targetItem, queryTokens, _columns, _target, _u);

        int real = _history.Matches(historyItems, historyQueryTokens) ? _real : Encode(historyItems, historyQueryTokens);
        int k = _retriever.Retrieve(_u, _encoder.Codes, _kept);
        var positions = _encoder.Positions;
        if (real == 0) _readout.Empty(interest);
        else
        {
            for (int h = 0; h < _heads; h++)
            {
                var u = _u.AsSpan(h * _d, _d);
                for (int i = 0; i < k; i++)
                {
                    int l = positions[_kept[h * _k + i]];
                    var x = _rows.AsSpan(i * _d, _d);
                    _fusion.Fuse((int)historyItems[l], historyQueryTokens.Slice(l * _t, _t), _columns.HistoryQueryTokensColumnName, "history query token", l, x);
                    _relevance[i] = TensorPrimitives.Dot(u, x);
                }
                _readout.AttendHead(h, _relevance.AsSpan(0, k), _rows, _rowIndex.AsSpan(0, k));
            }
            _readout.Combine(interest);
        }
        return _readout.Logit(interest, _target, sideFeatures);
    }

    int Encode(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens)
    {
        // Forgotten first: a bad index half way leaves the codes part old, part new.
        _history.Forget();
        _real = _encoder.Encode(items, tokens);
        _history.Remember(items, tokens);
        return _real;
    }
}
