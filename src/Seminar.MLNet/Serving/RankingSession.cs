using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet.Serving;

/// <summary>
/// One thread's state for <see cref="SeminarRanker"/>: the request row and the rows mapped over it, kept between requests
/// (a ranker pools its sessions) so that a warm request builds no rows, getters or buffers.
/// </summary>
abstract class RankingSession : IDisposable
{
    /// <summary>Writes each candidate's score into <paramref name="scores"/>; the request is already checked.</summary>
    public abstract void Score(RankingRequest request, Span<float> scores);

    public abstract void Dispose();

    /// <summary>Reads a Single score, or a vector of one Single, from a row.</summary>
    protected static Func<float> ScoreReader(DataViewRow row, DataViewSchema.Column column)
    {
        if (column.Type == NumberDataViewType.Single)
        {
            var getter = row.GetGetter<float>(column);
            return () =>
            {
                float value = 0;
                getter(ref value);
                return value;
            };
        }
        var vector = row.GetGetter<VBuffer<float>>(column);
        VBuffer<float> buffer = default;
        return () =>
        {
            vector(ref buffer);
            return buffer.GetItemOrDefault(0);
        };
    }
}

/// <summary>The whole chain's row mapper, once per candidate (any chain, and the stock-loaded ONNX one).</summary>
sealed class RowByRowSession : RankingSession
{
    readonly CandidateRow _input;
    readonly DataViewRow _output;
    readonly Func<float> _score;

    public RowByRowSession(IRowToRowMapper mapper, SeminarRankerColumns columns, DataViewSchema.Column score)
    {
        _input = new CandidateRow(columns);
        _output = mapper.GetRow(_input, new[] { score });
        _score = ScoreReader(_output, score);
    }

    public override void Score(RankingRequest request, Span<float> scores)
    {
        _input.Start(request);
        for (int c = 0; c < request.Candidates.Count; c++)
        {
            _input.Next();
            scores[c] = _score();
        }
    }

    public override void Dispose() => _output.Dispose();
}
