using System.Numerics.Tensors;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.Retrieval;
using Seminar.MLNet.Retrieval.Strategies;

namespace Seminar.MLNet.PsuScoring;

/// <summary>
/// The PSU forward pass for one row at a time in C#: target pair, GSU top-K per head, ESU attention, head MLP, with the
/// search stage of the weights' <see cref="PsuRetrieval"/> (SEMINAR's exact GSU or a predecessor's), which runs as its own
/// <see cref="RetrievalStep"/> over this scorer's fusion, buffers and readout.
/// Holds scratch buffers that grow to the longest history seen, so after warm-up a row allocates nothing. With the exact GSU
/// a history seen for the first time is scanned without writing its fused rows (see <see cref="AttendExact"/>); the
/// next row with the same history keeps them, and the rows after it (one user's candidates) only fuse their target and score.
/// Not thread-safe: give each cursor or thread its own scorer over one shared <see cref="PsuScoringModel"/>.
/// </summary>
internal sealed class PsuRowScorer : ICandidateBatchScorer
{
    readonly PsuScoringModel _model;
    readonly PsuWeights _w;
    readonly PsuColumnOptions _columns;
    readonly PairFusion _fusion;
    readonly EsuReadout _readout;
    readonly RetrievalStep _step;
    readonly int _d, _heads, _k, _t;
    readonly float[] _u, _relevance;
    readonly int[] _rows;
    float[] _x = Array.Empty<float>(), _scores = Array.Empty<float>();
    int[] _positions = Array.Empty<int>();
    readonly TopKSelector _selector;
    readonly HistoryCache _history = new();
    // A history scored once by streaming (AttendExact), without X: its next row fuses X in full.
    readonly HistoryCache _seen = new();
    readonly float[] _row;
    int[] _sources = Array.Empty<int>();
    int _capacity, _fused;
    // Batch path: X in the blocked layout (reloaded when _fusions moves on), and per-chunk request vectors, targets and scores.
    BlockedVectors? _blocked;
    long _fusions, _blockedFusions = -1;
    float[] _batchU = Array.Empty<float>(), _batchTargets = Array.Empty<float>(), _batchScores = Array.Empty<float>();
    readonly float[] _interest, _batchTargetScratch;

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
        _step = _w.Retrieval.CreateStep(model);
        _interest = new float[_d];
        _batchTargetScratch = new float[_d];
        _row = new float[_d];
    }

    /// <summary>Most floats of relevance scores one batch chunk holds (candidates · heads · padded L); more candidates go in further chunks.</summary>
    internal int MaxBatchScores { get; set; } = 1 << 22;

    /// <summary>Floats of relevance scores per chunk while X stays in cache between chunks (1 MB: half of a core's L2 here).</summary>
    internal int CachedBatchScores { get; set; } = 1 << 18;

    /// <summary>Largest X, in bytes, that is read again per chunk rather than amortised over larger chunks (a share of the L3).</summary>
    internal long CachedHistoryBytes { get; set; } = 8L << 20;

    // Each chunk's scores are written by the product and read back by the top-K straight after. While X is small enough
    // to come back from the L3 for every chunk, chunks sized to keep their scores in L2 win (100 candidates at L = 10,000:
    // 5.6-5.7 ms per request with 1 MB of scores against 6.4-6.8 ms with 16 MB); once X must come from memory for each
    // pass (L = 100,000: 25.6 MB), fewer passes win (1 MB: 63.9 ms, 16 MB: 52.0 ms).
    internal int BatchChunk(int candidates, int padded)
    {
        long budget = (long)padded * _d * sizeof(float) <= CachedHistoryBytes ? Math.Min(CachedBatchScores, MaxBatchScores) : MaxBatchScores;
        return (int)Math.Clamp(budget / Math.Max(1L, (long)_heads * padded), 1, candidates);
    }

    /// <summary>
    /// Scores one history against C candidates, each as <see cref="Score(ReadOnlySpan{long}, ReadOnlySpan{long}, long, ReadOnlySpan{long}, ReadOnlySpan{float}, Span{float}, Span{float})"/>
    /// would, to float rounding. With the exact GSU the relevance step is one matrix product per chunk of candidates,
    /// <c>R [C·H, L] = U [C·H, D] · Xᵀ</c>, over X laid out once per history (<see cref="BlockedVectors"/>: X is streamed once
    /// for all candidates and heads); then per (candidate, head) the top-K and the ESU as the row path. Other strategies,
    /// and a single candidate, go candidate by candidate through the row path (the fused history is still shared).
    /// </summary>
    /// <param name="historyItems">Item index per behaviour (L); 0 is padding.</param>
    /// <param name="historyQueryTokens">Query token indices per behaviour, flattened (L·T).</param>
    /// <param name="targetItems">Each candidate's item index (C).</param>
    /// <param name="queryTokens">Each candidate's query token indices, flattened (C·T).</param>
    /// <param name="sideFeatures">Each candidate's side features, flattened (C·S; empty when the PSU takes none).</param>
    /// <param name="logits">Receives each candidate's logit (C).</param>
    /// <param name="targets">Receives each candidate's fused target pair (C·D), or empty.</param>
    /// <param name="interests">Receives each candidate's interest vector (C·D), or empty.</param>
    /// <param name="path">The vector width of the relevance kernel (tests pin each).</param>
    /// <exception cref="ArgumentException">Lengths disagree, an index is outside its vocabulary, or a side feature is not finite.</exception>
    internal void ScoreCandidates(ReadOnlySpan<long> historyItems, ReadOnlySpan<long> historyQueryTokens, ReadOnlySpan<long> targetItems,
        ReadOnlySpan<long> queryTokens, ReadOnlySpan<float> sideFeatures, Span<float> logits, Span<float> targets, Span<float> interests,
        SimdPath path = SimdPath.Best)
    {
        int c = targetItems.Length, s = _w.SideFeatures;
        RowChecks.History(_columns, historyItems.Length, historyQueryTokens.Length, _t);
        RowChecks.Candidates(c, _t, s, _d, queryTokens.Length, sideFeatures.Length, logits.Length, targets.Length, interests.Length);
        if (c == 0) return;
        // One candidate: laying X out in blocks costs about as much as the one pass it would speed up.
        if (_w.Retrieval is not ExactRetrieval || c == 1)
        {
            for (int i = 0; i < c; i++)
                logits[i] = Score(historyItems, historyQueryTokens, targetItems[i], queryTokens.Slice(i * _t, _t), sideFeatures.Slice(i * s, s),
                    targets.IsEmpty ? _batchTargetScratch : targets.Slice(i * _d, _d), interests.IsEmpty ? _interest : interests.Slice(i * _d, _d));
            return;
        }

        Reserve(historyItems.Length);
        int n = FuseAll(historyItems, historyQueryTokens, scoreHeads: false);
        _blocked ??= new BlockedVectors(_d, n);
        if (_blockedFusions != _fusions)
        {
            _blocked.Load(_x, n);
            _blockedFusions = _fusions;
        }
        int padded = _blocked.PaddedCount;
        int chunk = BatchChunk(c, padded);
        Grow(ref _batchU, (long)chunk * _heads * _d);
        Grow(ref _batchTargets, (long)chunk * _d);
        Grow(ref _batchScores, (long)chunk * _heads * padded);
        for (int first = 0; first < c; first += chunk)
        {
            int m = Math.Min(chunk, c - first);
            for (int i = 0; i < m; i++)
            {
                int j = first + i;
                SideFeatureScaling.Check(sideFeatures.Slice(j * s, s), s, _columns.SideFeaturesColumnName);
                _fusion.FuseTarget(targetItems[j], queryTokens.Slice(j * _t, _t), _columns, _batchTargets.AsSpan(i * _d, _d), _batchU.AsSpan(i * _heads * _d, _heads * _d));
            }
            if (n > 0) _blocked.Score(_batchU.AsSpan(0, m * _heads * _d), m * _heads, _batchScores, path);
            for (int i = 0; i < m; i++)
            {
                int j = first + i;
                var interest = interests.IsEmpty ? _interest : interests.Slice(j * _d, _d);
                var target = _batchTargets.AsSpan(i * _d, _d);
                if (AttendPerHead(n, _batchScores.AsSpan(i * _heads * padded), padded)) _readout.Combine(interest);
                else _readout.Empty(interest);
                logits[j] = _readout.Logit(interest, target, sideFeatures.Slice(j * s, s));
                if (!targets.IsEmpty) target.CopyTo(targets.Slice(j * _d, _d));
            }
        }
    }

    void ICandidateBatchScorer.ScoreCandidates(ReadOnlySpan<long> historyItems, ReadOnlySpan<long> historyQueryTokens, ReadOnlySpan<long> targetItems,
        ReadOnlySpan<long> queryTokens, ReadOnlySpan<float> sideFeatures, Span<float> logits, Span<float> targets, Span<float> interests) =>
        ScoreCandidates(historyItems, historyQueryTokens, targetItems, queryTokens, sideFeatures, logits, targets, interests);

    static void Grow(ref float[] buffer, long length)
    {
        if (buffer.Length < length) buffer = new float[length];
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

        if (_step.Attend(this, historyItems, historyQueryTokens, (int)targetItem, target)) _readout.Combine(interest);
        else _readout.Empty(interest);
        return _readout.Logit(interest, target, sideFeatures);
    }

    /// <summary>
    /// The exact GSU and the ESU of one row: every behaviour scored against every head, each head's top-K attended.
    /// A history seen for the first time is streamed: each behaviour is fused and scored in registers
    /// (<see cref="PairFusion.FuseScore"/>) and only each head's kept rows are fused into X, so a one-candidate request
    /// does not write X (2.5 MB at L = 10,000, D = 64). The next row with the same history fuses X in full and the rows
    /// after it only score X, as a candidate list as rows needs. The same bits either way. False when the history has
    /// no real behaviour.
    /// </summary>
    internal bool AttendExact(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens)
    {
        if (items.Length <= _k || _history.Matches(items, tokens) || _seen.Matches(items, tokens))
            return AttendPerHead(FuseAll(items, tokens, scoreHeads: true));
        // X's rows are overwritten below with the kept ones of this history: it no longer holds any history in full.
        _history.Forget();
        _fusions++;
        int n = 0;
        for (int l = 0; l < Math.Min(CacheLines.RowsAhead, items.Length); l++) _fusion.PrefetchItem(items[l]);
        // Every token checked in one pass when all are valid (else behaviour by behaviour, for the message naming it):
        // the per-behaviour checks were 7-8% of a one-candidate request at L = 10,000 (both paths in one process).
        bool tokensChecked = _heads <= 4 && tokens.Length >= items.Length * _t && _fusion.AllTokensValid(tokens[..(items.Length * _t)]);
        for (int l = 0; l < items.Length; l++)
        {
            if (l + CacheLines.RowsAhead < items.Length) _fusion.PrefetchItem(items[l + CacheLines.RowsAhead]);
            int item = _fusion.CheckItem(items[l], _columns.HistoryItemIndicesColumnName, "history item", l);
            if (item == Vocabulary.Padding) continue;
            if (tokensChecked)
                _fusion.FuseScoreChecked(item, tokens.Slice(l * _t, _t), _u, _heads, _scores.AsSpan(n), _capacity);
            else if (_heads <= 4)
                _fusion.FuseScore(item, tokens.Slice(l * _t, _t), _columns.HistoryQueryTokensColumnName, "history query token", l, _u, _heads, _scores.AsSpan(n), _capacity);
            else
            {
                FuseRow(_row, item, tokens, l);
                RowDots.Score(_u, _heads, _row, _scores.AsSpan(n), _capacity);
            }
            _sources[n++] = l;
        }
        _seen.Remember(items, tokens);
        return AttendPerHead(n, _scores, _capacity, items, tokens, fuseKept: true);
    }

    /// <summary>
    /// Fuses each real behaviour into X (compacted, padding skipped), optionally scoring it against every head; returns how many.
    /// X is kept across rows: a history equal to the last one fused in full is not fused again, only scored against the new heads.
    /// </summary>
    internal int FuseAll(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens, bool scoreHeads)
    {
        if (!_history.Matches(items, tokens)) return FuseHistory(items, tokens, scoreHeads);
        if (scoreHeads)
            for (int row = 0; row < _fused; row++) ScoreRow(row);
        return _fused;
    }

    // Each row is scored right after it is fused, while it is still in L1.
    int FuseHistory(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens, bool scoreHeads)
    {
        // Forgotten first: a bad index half way leaves X part old, part new.
        _history.Forget();
        int n = 0;
        for (int l = 0; l < items.Length; l++)
        {
            int item = _fusion.CheckItem(items[l], _columns.HistoryItemIndicesColumnName, "history item", l);
            if (item == Vocabulary.Padding) continue;
            FuseRow(_x.AsSpan(n * _d, _d), item, tokens, l);
            if (scoreHeads) ScoreRow(n);
            n++;
        }
        _fused = n;
        _fusions++;
        _history.Remember(items, tokens);
        return n;
    }

    /// <summary>Fuses and scores the behaviours at <paramref name="positions"/> (real ones, already checked) into rows 0, 1, …; returns how many.</summary>
    internal int FuseAt(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens, ReadOnlySpan<int> positions)
    {
        _history.Forget();
        _fusions++;
        for (int i = 0; i < positions.Length; i++)
        {
            FuseRow(_x.AsSpan(i * _d, _d), (int)items[positions[i]], tokens, positions[i]);
            ScoreRow(i);
        }
        return positions.Length;
    }

    void FuseRow(Span<float> x, int item, ReadOnlySpan<long> tokens, int position) =>
        _fusion.Fuse(item, tokens.Slice(position * _t, _t), _columns.HistoryQueryTokensColumnName, "history query token", position, x);

    void ScoreRow(int row)
    {
        RowDots.Score(_u, _heads, _x.AsSpan(row * _d, _d), _scores.AsSpan(row), _capacity);
    }

    /// <summary>The first <paramref name="n"/> fused rows, <c>[n, D]</c>.</summary>
    internal ReadOnlySpan<float> Fused(int n) => _x.AsSpan(0, n * _d);

    /// <summary>Scratch of one position per behaviour of the current row, for a step's choice of behaviours.</summary>
    internal Span<int> Positions => _positions;

    /// <summary>Every item index checked against the vocabulary, so the strategies that fuse only some behaviours fail on the same input as the exact GSU.</summary>
    internal void CheckItems(ReadOnlySpan<long> items)
    {
        for (int l = 0; l < items.Length; l++) _fusion.CheckItem(items[l], _columns.HistoryItemIndicesColumnName, "history item", l);
    }

    /// <summary>Per head: its own top-K of the n fused and scored rows (all when n ≤ K), then the ESU over them; false when n = 0.</summary>
    internal bool AttendPerHead(int n) => AttendPerHead(n, _scores, _capacity);

    /// <summary>As <see cref="AttendPerHead(int)"/> with head h's scores of the n rows at <c>scores[h · stride]</c>.</summary>
    bool AttendPerHead(int n, ReadOnlySpan<float> headScores, int stride) => AttendPerHead(n, headScores, stride, default, default, fuseKept: false);

    /// <summary>
    /// As <see cref="AttendPerHead(int, ReadOnlySpan{float}, int)"/>; with <paramref name="fuseKept"/> X holds none of
    /// this history's rows (a streamed scan), so each head's kept rows are fused into their slots first.
    /// </summary>
    bool AttendPerHead(int n, ReadOnlySpan<float> headScores, int stride, ReadOnlySpan<long> items, ReadOnlySpan<long> tokens, bool fuseKept)
    {
        if (n == 0) return false;
        int k = Math.Min(_k, n);
        var rows = _rows.AsSpan(0, k);
        for (int h = 0; h < _heads; h++)
        {
            var scores = headScores.Slice(h * stride, n);
            // The ESU sums the kept rows in row order, whether all are kept or only the top K.
            if (k < n) _selector.SelectInRowOrder(scores, rows);
            else
            {
                for (int i = 0; i < k; i++) rows[i] = i;
            }
            for (int i = 0; i < k; i++)
            {
                int row = rows[i];
                if (fuseKept) FuseRow(_x.AsSpan(row * _d, _d), (int)items[_sources[row]], tokens, _sources[row]);
                _relevance[i] = scores[row];
            }
            _readout.AttendHead(h, _relevance.AsSpan(0, k), _x, rows);
        }
        return true;
    }

    /// <summary>The ESU over one set of fused rows (at most K) shared by the heads, each head with its own attention scores.</summary>
    internal void AttendShared(ReadOnlySpan<int> rows)
    {
        var relevance = _relevance.AsSpan(0, rows.Length);
        for (int h = 0; h < _heads; h++)
        {
            var u = _u.AsSpan(h * _d, _d);
            for (int i = 0; i < rows.Length; i++) relevance[i] = TensorPrimitives.Dot(u, _x.AsSpan(rows[i] * _d, _d));
            _readout.AttendHead(h, relevance, _x, rows);
        }
    }

    /// <summary>Given weights of the fused rows replace the softmax for every head.</summary>
    internal void AttendWeighted(ReadOnlySpan<float> weights) => _readout.AttendAllHeads(weights, _x);

    void Reserve(int length)
    {
        if (length <= _capacity) return;
        // Grow geometrically so a slowly lengthening stream of histories reallocates rarely.
        _capacity = Math.Max(length, Math.Min(2 * Math.Max(_capacity, 64), Array.MaxLength / Math.Max(Math.Max(_d, _heads), Math.Max(_step.WordsPerBehaviour, 1))));
        _history.Forget();
        _x = new float[(long)_capacity * _d];
        _scores = new float[(long)_capacity * _heads];
        _positions = new int[_capacity];
        _sources = new int[_capacity];
        _step.Reserve(_capacity);
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

    /// <summary>The per-candidate buffers of a batch of <paramref name="c"/> candidates hold what they must (targets and interests may be empty: not wanted).</summary>
    public static void Candidates(int c, int tokens, int side, int d, int queryTokens, int sideFeatures, int logits, int targets, int interests)
    {
        Expect(queryTokens, (long)c * tokens, "query token indices", nameof(queryTokens));
        Expect(sideFeatures, (long)c * side, "side feature values", nameof(sideFeatures));
        Expect(logits, c, "logits", nameof(logits));
        if (targets != 0) Expect(targets, (long)c * d, "target values", nameof(targets));
        if (interests != 0) Expect(interests, (long)c * d, "interest values", nameof(interests));
    }

    static void Expect(int actual, long expected, string what, string parameter)
    {
        if (actual != expected) throw new ArgumentException($"'{parameter}' holds {actual} {what}; the candidates need {expected}.", parameter);
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
