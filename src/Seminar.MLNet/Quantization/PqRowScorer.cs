using Seminar.MLNet.Featurization;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization.FastScan;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// The PSU forward pass with approximate retrieval, one row at a time in C#: the exact target pair and request vectors,
/// the query parts of every head at once (<see cref="PairDecomposition.QueryPartsOfHeads"/>: exact, per distinct token), then
/// per head <see cref="DecomposedRetriever.Retrieve(ReadOnlySpan{float}, FourBitCodes, DecomposedHistory, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{int})"/>
/// (fast scan of the history's catalog codes, exact re-rank of the shortlist), and
/// the exact ESU on the K behaviours it returns, as the exact PSU runs it on its own top-K, then the head MLP.
/// </summary>
/// <remarks>
/// Per history (consecutive rows with the same history, one user's candidates, reuse it) the history is grouped
/// (<see cref="DecomposedHistory"/>, into the same buffers each time) and its codes gathered from the catalog once; after
/// warm-up neither a row nor a new history allocates. Not thread-safe: one per cursor or thread over a shared <see cref="PqAttentionModel"/>.
/// </remarks>
internal sealed class PqRowScorer : ICandidateBatchScorer
{
    readonly PqAttentionModel _model;
    readonly PsuScoringModel _psu;
    readonly PsuColumnOptions _columns;
    readonly PairFusion _fusion;
    readonly EsuReadout _readout;
    readonly DecomposedRetriever _retriever;
    readonly FourBitCodes _codes;
    readonly int _d, _heads, _k, _t;
    readonly float[] _target, _u, _rows, _relevance, _interest;
    readonly int[] _top, _kept, _keptCount, _rowIndex;
    float[] _tokenDots = Array.Empty<float>(), _parts = Array.Empty<float>();
    readonly HistoryCache _history = new();
    readonly DecomposedHistory _grouped = new();

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
        _retriever = new DecomposedRetriever(model.Catalog, model.Decomposition, _k, model.Shortlist);
        _codes = new FourBitCodes(model.SubSpaces);
        _target = new float[_d];
        _interest = new float[_d];
        _u = new float[_heads * _d];
        _rows = new float[_k * _d];
        _relevance = new float[_k];
        _top = new int[_k];
        _kept = new int[_heads * _k];
        _keptCount = new int[_heads];
        _rowIndex = Enumerable.Range(0, _k).ToArray();
    }

    /// <summary>The model this scorer runs.</summary>
    public PqAttentionModel Model => _model;

    /// <summary>The history positions head <paramref name="head"/> kept in the last row scored, best first (for tests and diagnostics).</summary>
    internal ReadOnlySpan<int> Kept(int head) => _kept.AsSpan(head * _k, _keptCount[head]);

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
        var grouped = _history.Matches(historyItems, historyQueryTokens) ? _grouped : Group(historyItems, historyQueryTokens);
        return Attend(grouped, historyItems, historyQueryTokens, sideFeatures, interest);
    }

    /// <summary>
    /// Scores one history against C candidates, each as <see cref="Score(ReadOnlySpan{long}, ReadOnlySpan{long}, long, ReadOnlySpan{long}, ReadOnlySpan{float}, Span{float})"/>
    /// would, to the bit: the history is checked, grouped and its codes gathered once, not compared again per candidate.
    /// </summary>
    /// <param name="historyItems">Item index per behaviour (L); 0 is padding.</param>
    /// <param name="historyQueryTokens">Query token indices per behaviour, flattened (L·T).</param>
    /// <param name="targetItems">Each candidate's item index (C).</param>
    /// <param name="queryTokens">Each candidate's query token indices, flattened (C·T).</param>
    /// <param name="sideFeatures">Each candidate's side features, flattened (C·S; empty when the PSU takes none).</param>
    /// <param name="logits">Receives each candidate's logit (C).</param>
    /// <param name="targets">Receives each candidate's fused target pair (C·D), or empty.</param>
    /// <param name="interests">Receives each candidate's interest vector (C·D), or empty.</param>
    /// <exception cref="ArgumentException">Lengths disagree, an index is outside its vocabulary, or a side feature is not finite.</exception>
    public void ScoreCandidates(ReadOnlySpan<long> historyItems, ReadOnlySpan<long> historyQueryTokens, ReadOnlySpan<long> targetItems,
        ReadOnlySpan<long> queryTokens, ReadOnlySpan<float> sideFeatures, Span<float> logits, Span<float> targets, Span<float> interests)
    {
        int c = targetItems.Length, s = _psu.Weights.SideFeatures;
        RowChecks.History(_columns, historyItems.Length, historyQueryTokens.Length, _t);
        RowChecks.Candidates(c, _t, s, _d, queryTokens.Length, sideFeatures.Length, logits.Length, targets.Length, interests.Length);
        if (c == 0) return;
        var grouped = _history.Matches(historyItems, historyQueryTokens) ? _grouped : Group(historyItems, historyQueryTokens);
        for (int i = 0; i < c; i++)
        {
            var side = sideFeatures.Slice(i * s, s);
            SideFeatureScaling.Check(side, s, _columns.SideFeaturesColumnName);
            _fusion.FuseTarget(targetItems[i], queryTokens.Slice(i * _t, _t), _columns, _target, _u);
            logits[i] = Attend(grouped, historyItems, historyQueryTokens, side, interests.IsEmpty ? _interest : interests.Slice(i * _d, _d));
            if (!targets.IsEmpty) _target.CopyTo(targets.Slice(i * _d, _d));
        }
    }

    /// <summary>Retrieval per head over the grouped history, the ESU on what it keeps, then the head MLP, for the target fused into <c>_target</c> and <c>_u</c>.</summary>
    float Attend(DecomposedHistory grouped, ReadOnlySpan<long> historyItems, ReadOnlySpan<long> historyQueryTokens, ReadOnlySpan<float> sideFeatures, Span<float> interest)
    {
        if (grouped.Count == 0)
        {
            Array.Clear(_keptCount);
            _readout.Empty(interest);
        }
        else
        {
            var positions = grouped.Positions;
            int slots = grouped.Slots;
            // Grow-only, like the grouped history: a request allocates nothing once they fit the longest history seen.
            if (_tokenDots.Length < (grouped.DistinctTokens.Length + 1) * _heads) _tokenDots = new float[2 * (grouped.DistinctTokens.Length + 1) * _heads];
            if (_parts.Length < slots * _heads) _parts = new float[2 * slots * _heads];
            _model.Decomposition.QueryPartsOfHeads(_u, _heads, grouped, _tokenDots, _parts);
            for (int h = 0; h < _heads; h++)
            {
                var u = _u.AsSpan(h * _d, _d);
                int k = _retriever.Retrieve(u, _codes, grouped, _parts.AsSpan(h * slots, slots), ReadOnlySpan<float>.Empty, _top);
                _keptCount[h] = k;
                for (int i = 0; i < k; i++)
                {
                    int l = positions[_top[i]];
                    _kept[h * _k + i] = l;
                    var x = _rows.AsSpan(i * _d, _d);
                    _fusion.Fuse((int)historyItems[l], historyQueryTokens.Slice(l * _t, _t), _columns.HistoryQueryTokensColumnName, "history query token", l, x);
                    _relevance[i] = RowDots.Dot(u, x);
                }
                _readout.AttendHead(h, _relevance.AsSpan(0, k), _rows, _rowIndex.AsSpan(0, k));
            }
            _readout.Combine(interest);
        }
        return _readout.Logit(interest, _target, sideFeatures);
    }

    /// <summary>Checks every index (messages naming the columns), groups the history and gathers its codes.</summary>
    DecomposedHistory Group(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens)
    {
        // Forgotten first: a bad index half way leaves the grouped history and codes part old, part new.
        _history.Forget();
        for (int l = 0; l < items.Length; l++)
            if (_fusion.CheckItem(items[l], _columns.HistoryItemIndicesColumnName, "history item", l) != Vocabulary.Padding)
                _fusion.CheckTokens(tokens.Slice(l * _t, _t), _columns.HistoryQueryTokensColumnName, "history query token", l);
        // Regrouped into the same buffers: a new history allocates nothing once they have grown to the longest seen.
        _grouped.Rebuild(items, tokens, _t, _psu.ItemCount, _psu.TokenCount);
        _model.Catalog.Gather(_grouped.Items, _codes);
        _history.Remember(items, tokens);
        return _grouped;
    }
}
