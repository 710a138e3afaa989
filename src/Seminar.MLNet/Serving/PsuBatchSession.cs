using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Serving;

/// <summary>
/// A request scored along a <see cref="PsuBatchPlan"/>: a first pass maps each candidate through the stages before the
/// batched stage and collects its inputs, one <see cref="ICandidateBatchScorer.ScoreCandidates"/> call scores them all, and
/// a second pass maps each candidate through the stages after it with the batch's outputs in the stage's columns. The
/// scores equal the row path's to float rounding (the exact PSU's batch sums the relevance dot products in another order;
/// PQ attention's gives the same bits).
/// </summary>
sealed class PsuBatchSession : RankingSession
{
    readonly CandidateRow _input;
    readonly DataViewRow _head;
    readonly DataViewRow? _tail;
    readonly Func<float>? _score;
    readonly ICandidateBatchScorer _scorer;
    readonly ValueGetter<VBuffer<long>> _historyItems, _historyTokens, _targetItem, _queryTokens;
    readonly ValueGetter<VBuffer<float>>? _side;
    readonly int _d, _t, _s;
    // PQ attention has no target column: its scorer need not copy targets nobody reads.
    readonly bool _targetsWanted;
    VBuffer<long> _items, _tokens, _target, _query, _itemsDense, _tokensDense, _targetDense, _queryDense;
    VBuffer<float> _sideValues, _sideDense;
    long[] _targets = Array.Empty<long>(), _queries = Array.Empty<long>();
    float[] _sides = Array.Empty<float>();
    readonly PsuBatchOutputs _outputs = new();

    public PsuBatchSession(PsuBatchPlan plan, SeminarRankerColumns columns)
    {
        _input = new CandidateRow(columns);
        _head = plan.Head?.GetRow(_input, plan.HeadActive) ?? _input;
        _scorer = plan.CreateScorer();
        (_d, _t, _s) = (plan.Dimension, plan.QueryTokens, plan.SideFeatures);
        _targetsWanted = plan.Target >= 0;
        _outputs.Dimension = _d;
        var indices = plan.Inputs.Indices;
        _historyItems = _head.GetGetter<VBuffer<long>>(indices[0]);
        _historyTokens = _head.GetGetter<VBuffer<long>>(indices[1]);
        _targetItem = _head.GetGetter<VBuffer<long>>(indices[2]);
        _queryTokens = _head.GetGetter<VBuffer<long>>(indices[3]);
        _side = plan.Inputs.Side is { } side ? _head.GetGetter<VBuffer<float>>(side) : null;
        if (plan.Tail is { } tail)
        {
            _tail = tail.GetRow(new PsuBatchRow(plan, _head, _outputs), new[] { plan.Score });
            _score = ScoreReader(_tail, plan.Score);
        }
    }

    public override void Score(RankingRequest request, Span<float> scores)
    {
        int count = request.Candidates.Count;
        Reserve(count);
        _input.Start(request);
        for (int c = 0; c < count; c++)
        {
            _input.Next();
            // The history is the request's, the same for every candidate: read it once.
            if (c == 0)
            {
                _historyItems(ref _items);
                _historyTokens(ref _tokens);
            }
            _targetItem(ref _target);
            _targets[c] = DenseValues.Of(ref _target, ref _targetDense)[0];
            _queryTokens(ref _query);
            DenseValues.Of(ref _query, ref _queryDense).CopyTo(_queries.AsSpan(c * _t, _t));
            if (_side != null)
            {
                _side(ref _sideValues);
                DenseValues.Of(ref _sideValues, ref _sideDense).CopyTo(_sides.AsSpan(c * _s, _s));
            }
        }
        if (count == 0) return;
        try
        {
            _scorer.ScoreCandidates(DenseValues.Of(ref _items, ref _itemsDense), DenseValues.Of(ref _tokens, ref _tokensDense), _targets.AsSpan(0, count), _queries.AsSpan(0, count * _t),
                _sides.AsSpan(0, count * _s), _outputs.Logits.AsSpan(0, count), _targetsWanted ? _outputs.Targets.AsSpan(0, count * _d) : Span<float>.Empty, _outputs.Interests.AsSpan(0, count * _d));
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"Ranking request: {e.Message}", e);
        }
        if (_tail == null)
        {
            _outputs.Logits.AsSpan(0, count).CopyTo(scores);
            return;
        }
        _input.Rewind();
        for (int c = 0; c < count; c++)
        {
            _input.Next();
            _outputs.Candidate = c;
            scores[c] = _score!();
        }
    }

    void Reserve(int count)
    {
        if (_targets.Length >= count) return;
        int n = Math.Max(count, 2 * _targets.Length);
        _targets = new long[n];
        _queries = new long[n * _t];
        _sides = new float[n * _s];
        _outputs.Logits = new float[n];
        _outputs.Targets = new float[n * _d];
        _outputs.Interests = new float[n * _d];
    }

    public override void Dispose() => (_tail ?? _head).Dispose();
}
