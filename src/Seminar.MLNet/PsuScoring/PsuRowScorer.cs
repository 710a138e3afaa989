using System.Numerics.Tensors;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.Retrieval;
using Seminar.MLNet.Retrieval.Strategies;

namespace Seminar.MLNet.PsuScoring;

/// <summary>
/// The PSU forward pass for one row at a time in C#: target pair, GSU top-K per head, ESU attention, head MLP, with the
/// search stage of the weights' <see cref="RetrievalStrategy"/> (SEMINAR's exact GSU or a predecessor's).
/// Holds scratch buffers that grow to the longest history seen, so after warm-up a row allocates nothing.
/// Not thread-safe: give each cursor or thread its own scorer over one shared <see cref="PsuScoringModel"/>.
/// </summary>
internal sealed class PsuRowScorer
{
    readonly PsuScoringModel _model;
    readonly PsuWeights _w;
    readonly PsuColumnOptions _columns;
    readonly PairFusion _fusion;
    readonly EsuReadout _readout;
    readonly int _d, _heads, _k, _t, _hashWords, _bitsPerWord;
    readonly float[] _u, _relevance, _projections;
    readonly int[] _rows, _hammingCounts;
    readonly ulong[] _targetSignature;
    float[] _x = Array.Empty<float>(), _scores = Array.Empty<float>(), _weights = Array.Empty<float>();
    int[] _positions = Array.Empty<int>(), _distances = Array.Empty<int>();
    ulong[] _signatures = Array.Empty<ulong>();
    readonly TopKSelector _selector;
    int _capacity;

    /// <summary>Creates a scorer over a shared model.</summary>
    /// <param name="model">The precomputed model.</param>
    /// <param name="columns">Column names quoted in error messages (defaults when null).</param>
    public PsuRowScorer(PsuScoringModel model, PsuColumnOptions? columns = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _w = model.Weights;
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
        _selector = new TopKSelector(_k);
        int hashRows = _w.HashRows;
        _bitsPerWord = _w.Strategy == RetrievalStrategy.HashCollision ? _w.BitsPerFunction : 64;
        _hashWords = hashRows == 0 ? 0 : SimHash.Words(hashRows, _bitsPerWord);
        _projections = new float[hashRows];
        _targetSignature = new ulong[_hashWords];
        _hammingCounts = new int[_w.Strategy == RetrievalStrategy.SimHash ? 64 * _hashWords + 1 : 0];
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
        Span<float> target, Span<float> interest) =>
        Score(historyItems, historyQueryTokens, targetItem, queryTokens, ReadOnlySpan<float>.Empty, target, interest);

    /// <summary>Scores one row whose head also reads side features.</summary>
    /// <param name="historyItems">Item index per behaviour (L); index 0 is padding and never attended to.</param>
    /// <param name="historyQueryTokens">Query token indices per behaviour, <see cref="PsuScoringModel.QueryTokens"/> each, flattened (L·T); 0 pads.</param>
    /// <param name="targetItem">Target item index.</param>
    /// <param name="queryTokens">Target query token indices (0 pads; all zero = no query).</param>
    /// <param name="sideFeatures">The row's side features as read (<see cref="PsuWeights.SideFeatures"/> values; empty when the PSU takes none).</param>
    /// <param name="target">Receives the fused target pair t (D).</param>
    /// <param name="interest">Receives the interest vector o (D).</param>
    /// <returns>The head's logit.</returns>
    /// <exception cref="ArgumentException">Lengths disagree, an index is outside its vocabulary, or a side feature is not finite.</exception>
    public float Score(ReadOnlySpan<long> historyItems, ReadOnlySpan<long> historyQueryTokens, long targetItem, ReadOnlySpan<long> queryTokens,
        ReadOnlySpan<float> sideFeatures, Span<float> target, Span<float> interest)
    {
        RowChecks.Lengths(_columns, historyItems.Length, historyQueryTokens.Length, _t, _d, target.Length, interest.Length);
        SideFeatureScaling.Check(sideFeatures, _w.SideFeatures, _columns.SideFeaturesColumnName);
        _fusion.FuseTarget(targetItem, queryTokens, _columns, target, _u);
        Reserve(historyItems.Length);

        bool attended = _w.Strategy switch
        {
            RetrievalStrategy.Exact => AttendPerHead(FuseAll(historyItems, historyQueryTokens, scoreHeads: true)),
            RetrievalStrategy.Recent => AttendPerHead(FuseAt(historyItems, historyQueryTokens, RecentPositions(historyItems))),
            RetrievalStrategy.SoftSearch => AttendPerHead(FuseAt(historyItems, historyQueryTokens, SoftSearchPositions(historyItems, (int)targetItem))),
            RetrievalStrategy.SimHash => AttendNearestSignatures(FuseAll(historyItems, historyQueryTokens, scoreHeads: false), target),
            RetrievalStrategy.HashCollision => AttendCollisions(FuseAll(historyItems, historyQueryTokens, scoreHeads: false), target),
            _ => throw new InvalidOperationException($"Unknown retrieval strategy {_w.Strategy}."),
        };
        if (attended) _readout.Combine(interest);
        else _readout.Empty(interest);
        return _readout.Logit(interest, target, sideFeatures);
    }

    /// <summary>Fuses each real behaviour into X (compacted, padding skipped), optionally scoring it against every head; returns how many.</summary>
    int FuseAll(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens, bool scoreHeads)
    {
        int n = 0;
        for (int l = 0; l < items.Length; l++)
        {
            int item = _fusion.CheckItem(items[l], _columns.HistoryItemIndicesColumnName, "history item", l);
            if (item == Vocabulary.Padding) continue;
            FuseRow(n++, item, tokens, l, scoreHeads);
        }
        return n;
    }

    /// <summary>Fuses and scores the behaviours at <paramref name="positions"/> (real ones, already checked) into rows 0, 1, …; returns how many.</summary>
    int FuseAt(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens, ReadOnlySpan<int> positions)
    {
        for (int i = 0; i < positions.Length; i++) FuseRow(i, (int)items[positions[i]], tokens, positions[i], scoreHeads: true);
        return positions.Length;
    }

    void FuseRow(int row, int item, ReadOnlySpan<long> tokens, int position, bool scoreHeads)
    {
        var x = _x.AsSpan(row * _d, _d);
        _fusion.Fuse(item, tokens.Slice(position * _t, _t), _columns.HistoryQueryTokensColumnName, "history query token", position, x);
        if (scoreHeads)
            for (int h = 0; h < _heads; h++) _scores[h * _capacity + row] = TensorPrimitives.Dot(_u.AsSpan(h * _d, _d), x);
    }

    /// <summary>Every item index checked against the vocabulary, so the strategies that fuse only some behaviours fail on the same input as the exact GSU.</summary>
    void CheckItems(ReadOnlySpan<long> items)
    {
        for (int l = 0; l < items.Length; l++) _fusion.CheckItem(items[l], _columns.HistoryItemIndicesColumnName, "history item", l);
    }

    /// <summary>DIN: the last N real behaviours.</summary>
    ReadOnlySpan<int> RecentPositions(ReadOnlySpan<long> items)
    {
        CheckItems(items);
        return _positions.AsSpan(0, RecentWindow.LastReal(items, _w.RecentWindow, _positions));
    }

    /// <summary>SIM soft search: the top-K real behaviours by retrieval-embedding inner product with the target item (ties to the earlier), in history order.</summary>
    ReadOnlySpan<int> SoftSearchPositions(ReadOnlySpan<long> items, int targetItem)
    {
        CheckItems(items);
        var table = _w.RetrievalItems!;
        var query = table.AsSpan(targetItem * _d, _d);
        int n = 0;
        for (int l = 0; l < items.Length; l++)
        {
            if (items[l] == Vocabulary.Padding) continue;
            _scores[n] = TensorPrimitives.Dot(query, table.AsSpan((int)items[l] * _d, _d));
            _positions[n++] = l;
        }
        // Real behaviours are in history order, so the selector's lower-index tie rule is the earlier-behaviour rule.
        var kept = _rows.AsSpan(0, _selector.Select(_scores.AsSpan(0, n), _rows));
        for (int i = 0; i < kept.Length; i++) kept[i] = _positions[kept[i]];
        var positions = _positions.AsSpan(0, kept.Length);
        kept.CopyTo(positions);
        positions.Sort();
        return positions;
    }

    /// <summary>Per head: its own top-K of the n fused rows (all when n ≤ K), then the ESU over them; false when n = 0.</summary>
    bool AttendPerHead(int n)
    {
        if (n == 0) return false;
        int k = Math.Min(_k, n);
        var rows = _rows.AsSpan(0, k);
        for (int h = 0; h < _heads; h++)
        {
            var scores = _scores.AsSpan(h * _capacity, n);
            // The ESU sums the kept rows in row order, whether all are kept or only the top K.
            if (k < n)
            {
                _selector.Select(scores, rows);
                rows.Sort();
            }
            else
            {
                for (int i = 0; i < k; i++) rows[i] = i;
            }
            for (int i = 0; i < k; i++) _relevance[i] = scores[rows[i]];
            _readout.AttendHead(h, _relevance.AsSpan(0, k), _x, rows);
        }
        return true;
    }

    /// <summary>ETA: the K fused rows nearest the target in SimHash Hamming distance (ties to the earlier), one set for every head, then the ESU.</summary>
    bool AttendNearestSignatures(int n, ReadOnlySpan<float> target)
    {
        if (n == 0) return false;
        var signatures = Signatures(n, target);
        var rows = _rows.AsSpan(0, HammingTopK.Select(_targetSignature, signatures, _k, _distances, _hammingCounts, _rows));
        var relevance = _relevance.AsSpan(0, rows.Length);
        for (int h = 0; h < _heads; h++)
        {
            var u = _u.AsSpan(h * _d, _d);
            for (int i = 0; i < rows.Length; i++) relevance[i] = TensorPrimitives.Dot(u, _x.AsSpan(rows[i] * _d, _d));
            _readout.AttendHead(h, relevance, _x, rows);
        }
        return true;
    }

    /// <summary>SDIM: collision weights of the n fused rows replace the softmax for every head; false when nothing collides.</summary>
    bool AttendCollisions(int n, ReadOnlySpan<float> target)
    {
        if (n == 0) return false;
        var codes = Signatures(n, target);
        var weights = _weights.AsSpan(0, n);
        if (CollisionWeights.Compute(_targetSignature, codes, weights, _distances) == 0) return false;
        _readout.AttendAllHeads(weights, _x);
        return true;
    }

    /// <summary>The target's signature (into its buffer) and the n fused rows' signatures.</summary>
    ReadOnlySpan<ulong> Signatures(int n, ReadOnlySpan<float> target)
    {
        var rotation = _w.HashRotations!;
        SimHash.Signature(rotation, target, _bitsPerWord, _projections, _targetSignature);
        for (int i = 0; i < n; i++)
            SimHash.Signature(rotation, _x.AsSpan(i * _d, _d), _bitsPerWord, _projections, _signatures.AsSpan(i * _hashWords, _hashWords));
        return _signatures.AsSpan(0, n * _hashWords);
    }

    void Reserve(int length)
    {
        if (length <= _capacity) return;
        // Grow geometrically so a slowly lengthening stream of histories reallocates rarely.
        _capacity = Math.Max(length, Math.Min(2 * Math.Max(_capacity, 64), Array.MaxLength / Math.Max(Math.Max(_d, _heads), Math.Max(_hashWords, 1))));
        _x = new float[(long)_capacity * _d];
        _scores = new float[(long)_capacity * _heads];
        _positions = new int[_capacity];
        if (_hashWords == 0) return;
        _signatures = new ulong[(long)_capacity * _hashWords];
        _distances = new int[Math.Max(_capacity, _w.HashFunctions)];
        _weights = new float[_capacity];
    }
}

/// <summary>The length checks every row scorer makes before scoring, with the column names in the messages.</summary>
static class RowChecks
{
    public static void Lengths(PsuColumnOptions columns, int length, int historyTokens, int slots, int d, int target, int interest)
    {
        History(columns, length, historyTokens, slots);
        if (target != d) throw new ArgumentException($"The target buffer holds {target} values; expected D = {d}.", nameof(target));
        if (interest != d) throw new ArgumentException($"The interest buffer holds {interest} values; expected D = {d}.", nameof(interest));
    }

    /// <summary>The history columns agree: <paramref name="slots"/> token indices per behaviour. Every scoring path (row scorers, prediction engines) makes this check.</summary>
    public static void History(PsuColumnOptions columns, int length, int historyTokens, int slots)
    {
        if (historyTokens != (long)length * slots)
            throw new ArgumentException(
                $"'{columns.HistoryQueryTokensColumnName}' holds {historyTokens} token indices but '{columns.HistoryItemIndicesColumnName}' has {length} behaviours: expected {slots} per behaviour ({(long)length * slots}).",
                "historyQueryTokens");
    }
}
