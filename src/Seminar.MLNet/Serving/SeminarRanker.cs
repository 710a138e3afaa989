using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Serving;

namespace Seminar.MLNet;

/// <summary>
/// Scores one user's history against many candidates through a whole fitted or loaded chain (featurizer, PSU, PQ,
/// FastTree, ...), the way a ranking service calls a model. The chain's row mapper runs once per candidate on a row
/// that shares the request's history, so no data view is built per request; the featurizer reads the request's history
/// strings in place, once per request. When the score reads a <see cref="PqAttentionTransformer"/>, its history is grouped
/// and its codes gathered once for all candidates (scores equal <c>Transform</c>'s to the bit); else, when it reads a
/// <see cref="PsuEmbeddingTransformer"/> with the exact GSU, its relevance step runs once for all candidates as one matrix
/// product (scores then equal <c>Transform</c>'s to float rounding). Thread-safe: concurrent
/// <see cref="Rank(RankingRequest)"/> calls each take their own row state from a pool, kept for later requests.
/// </summary>
/// <example>
/// <code>
/// var model = ml.Model.Load("model.zip", out var schema);
/// using var ranker = new SeminarRanker(model, schema);
/// float[] scores = ranker.Rank(new RankingRequest { HistoryItems = history, Candidates = candidates });
/// </code>
/// </example>
public sealed class SeminarRanker : IDisposable
{
    readonly IRowToRowMapper _mapper;
    readonly SeminarRankerColumns _columns;
    readonly DataViewSchema.Column _score;
    readonly PsuBatchPlan? _batch;
    readonly ConcurrentBag<RankingSession> _sessions = new();
    bool _disposed;

    /// <summary>Wraps <paramref name="model"/>, whose input rows have <paramref name="inputSchema"/> (as <c>Model.Load</c> returns it).</summary>
    /// <param name="model">A fitted or loaded chain whose row mapper produces <see cref="SeminarRankerOptions.ScoreColumnName"/>.</param>
    /// <param name="inputSchema">The model's input schema.</param>
    /// <param name="options">Column names; null = the defaults.</param>
    /// <exception cref="ArgumentException">The score column is missing or not a Single, or the score reads an input a request cannot fill.</exception>
    public SeminarRanker(ITransformer model, DataViewSchema inputSchema, SeminarRankerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        options ??= new SeminarRankerOptions();
        _mapper = model.GetRowToRowMapper(inputSchema);
        _score = _mapper.OutputSchema.GetColumnOrNull(options.ScoreColumnName)
            ?? throw new ArgumentException($"The model has no output column '{options.ScoreColumnName}'; set SeminarRankerOptions.ScoreColumnName " +
                $"(outputs: {string.Join(", ", _mapper.OutputSchema.Select(c => c.Name).Distinct())}).", nameof(options));
        bool scoreIsVector = _score.Type is VectorDataViewType { ItemType: var item, Size: 1 } && item == NumberDataViewType.Single;
        if (!scoreIsVector && _score.Type != NumberDataViewType.Single)
            throw new ArgumentException($"Output column '{_score.Name}' is {_score.Type}; a score must be a Single or a vector of one Single.", nameof(options));
        _columns = new SeminarRankerColumns(inputSchema, _mapper.GetDependencies(new[] { _score }), options);
        _batch = PsuBatchPlan.TryCreate(model, inputSchema, options.ScoreColumnName);
    }

    /// <summary>Whether requests run a SEMINAR stage once for all their candidates (see the class remarks).</summary>
    internal bool BatchesPsu => _batch != null;

    /// <summary>The stage requests run once for all their candidates, or null.</summary>
    internal ITransformer? BatchedStage => _batch?.Stage;

    /// <summary>The score of each candidate, in the request's order.</summary>
    /// <exception cref="ArgumentException">The request lacks a value the model reads, or its history lists disagree in length.</exception>
    public float[] Rank(RankingRequest request)
    {
        _columns.Check(request);
        var scores = new float[request.Candidates.Count];
        Score(request, scores);
        return scores;
    }

    /// <summary>Writes each candidate's score into <paramref name="scores"/> (one per candidate), reusing the caller's array.</summary>
    /// <exception cref="ArgumentException">As <see cref="Rank(RankingRequest)"/>, or <paramref name="scores"/> is shorter than the candidates.</exception>
    public void Rank(RankingRequest request, Span<float> scores)
    {
        _columns.Check(request);
        if (scores.Length < request.Candidates.Count)
            throw new ArgumentException($"{request.Candidates.Count} candidates need {request.Candidates.Count} scores; the span holds {scores.Length}.", nameof(scores));
        Score(request, scores);
    }

    void Score(RankingRequest request, Span<float> scores)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (request.Candidates.Count == 0) return;
        if (!_sessions.TryTake(out var session))
            session = _batch != null ? new PsuBatchSession(_batch, _columns) : new RowByRowSession(_mapper, _columns, _score);
        bool ok = false;
        try
        {
            session.Score(request, scores);
            ok = true;
        }
        finally
        {
            // A session that failed half way may hold half a request's state: drop it rather than pool it.
            if (ok) _sessions.Add(session);
            else session.Dispose();
        }
    }

    /// <summary>Releases the pooled row state; the model stays with its owner.</summary>
    public void Dispose()
    {
        _disposed = true;
        while (_sessions.TryTake(out var session)) session.Dispose();
    }
}
