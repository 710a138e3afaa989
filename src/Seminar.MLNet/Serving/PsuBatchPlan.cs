using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Retrieval.Strategies;

namespace Seminar.MLNet.Serving;

/// <summary>
/// A chain split around a SEMINAR stage that scores a request's candidates in one call (<see cref="ICandidateBatchScorer"/>):
/// the PSU with the exact GSU (<see cref="PsuRowScorer.ScoreCandidates"/>: the relevance step as one matrix product over
/// the history laid out once) or PQ attention (<see cref="Quantization.PqRowScorer.ScoreCandidates"/>: the history grouped
/// and its codes gathered once, not compared again per candidate). The stages before it map each candidate row (the
/// featurizer reuses the request's history), the stage's outputs come from the batch, and the stages after it map each
/// candidate row over them. Built once per ranker; each <see cref="RankingSession"/> holds its own rows and scorer.
/// </summary>
sealed class PsuBatchPlan
{
    PsuBatchPlan(ITransformer stage, Func<ICandidateBatchScorer> scorer, (int D, int T, int S) shape, IRowToRowMapper? head,
        DataViewSchema headSchema, PsuInputColumns inputs, DataViewSchema psuSchema, IRowToRowMapper? tail, DataViewSchema.Column score,
        DataViewSchema.Column[] headActive, string? target, string interest, string logit)
    {
        Stage = stage;
        CreateScorer = scorer;
        (Dimension, QueryTokens, SideFeatures) = shape;
        Head = head;
        HeadSchema = headSchema;
        Inputs = inputs;
        PsuSchema = psuSchema;
        Tail = tail;
        Score = score;
        HeadActive = headActive;
        Target = target == null ? -1 : psuSchema[target].Index;
        Interest = psuSchema[interest].Index;
        Logit = psuSchema[logit].Index;
    }

    /// <summary>The batched stage: a <see cref="PsuEmbeddingTransformer"/> or a <see cref="PqAttentionTransformer"/>.</summary>
    public ITransformer Stage { get; }
    /// <summary>A new scorer for the stage (one per session).</summary>
    public Func<ICandidateBatchScorer> CreateScorer { get; }
    /// <summary>Width D of the stage's target and interest vectors.</summary>
    public int Dimension { get; }
    /// <summary>Query token slots T per behaviour and per candidate.</summary>
    public int QueryTokens { get; }
    /// <summary>Side features S per candidate (0 when the stage takes none).</summary>
    public int SideFeatures { get; }
    /// <summary>The stages before the batched one as one mapper over the model's input rows; null when it is the first stage.</summary>
    public IRowToRowMapper? Head { get; }
    /// <summary>The batched stage's input schema (the head's output, or the model's input).</summary>
    public DataViewSchema HeadSchema { get; }
    /// <summary>The batched stage's input columns in <see cref="HeadSchema"/>.</summary>
    public PsuInputColumns Inputs { get; }
    /// <summary>The batched stage's output schema: <see cref="HeadSchema"/> and its output columns.</summary>
    public DataViewSchema PsuSchema { get; }
    /// <summary>The stages after the batched one as one mapper over <see cref="PsuSchema"/>; null when the score is the stage's own.</summary>
    public IRowToRowMapper? Tail { get; }
    /// <summary>The score column: in the tail's output, or the stage's score column of <see cref="PsuSchema"/>.</summary>
    public DataViewSchema.Column Score { get; }
    /// <summary>The head's output columns read: the stage's inputs and what the tail reads from before the stage.</summary>
    public DataViewSchema.Column[] HeadActive { get; }
    /// <summary>Indices in <see cref="PsuSchema"/> of the stage's target (−1: PQ attention has none), interest and score columns.</summary>
    public int Target { get; }
    /// <inheritdoc cref="Target"/>
    public int Interest { get; }
    /// <inheritdoc cref="Target"/>
    public int Logit { get; }

    /// <summary>
    /// The plan for <paramref name="model"/> around the last batchable stage (PQ attention, or a PSU with the exact GSU; the
    /// other strategies choose behaviours per candidate) whose outputs the score reads, or null when there is none: no such
    /// stage, a stage that cannot map rows, or a chain that ends with the stage and takes its score from before it. A score
    /// that reads two SEMINAR stages gets the later one batched and the earlier one row by row.
    /// </summary>
    public static PsuBatchPlan? TryCreate(ITransformer model, DataViewSchema inputSchema, string scoreColumn)
    {
        var stages = Flatten(model).ToArray();
        if (stages.Any(s => !s.IsRowToRowMapper)) return null;
        for (int p = stages.Length - 1; p >= 0; p--)
            if (TryCreate(stages, p, inputSchema, scoreColumn) is { } plan) return plan;
        return null;
    }

    static PsuBatchPlan? TryCreate(ITransformer[] stages, int p, DataViewSchema inputSchema, string scoreColumn)
    {
        var (columns, queryTokens, sideFeatures, dimension, scorer, target, interest, logit) = stages[p] switch
        {
            PsuEmbeddingTransformer { Model.Weights.Retrieval: ExactRetrieval } psu => (psu.Columns, psu.Model.QueryTokens, psu.Model.Weights.SideFeatures, psu.Model.Dimension,
                (Func<ICandidateBatchScorer>)(() => new PsuRowScorer(psu.Model, psu.Columns)),
                (string?)psu.Columns.OutputTargetColumnName, psu.Columns.OutputInterestColumnName, psu.Columns.OutputScoreColumnName),
            PqAttentionTransformer pq => (pq.Options, pq.Model.Psu.QueryTokens, pq.Model.Psu.Weights.SideFeatures, pq.Model.Psu.Dimension,
                () => new PqRowScorer(pq.Model, pq.Options), null, pq.Options.OutputPqInterestColumnName, pq.Options.OutputPqScoreColumnName),
            _ => default,
        };
        if (scorer == null) return null;

        var head = p == 0 ? null : Chain(stages[..p]).GetRowToRowMapper(inputSchema);
        var headSchema = head?.OutputSchema ?? inputSchema;
        var inputs = PsuInputColumns.Resolve(headSchema, columns, queryTokens, sideFeatures);
        var psuSchema = stages[p].GetOutputSchema(headSchema);
        IRowToRowMapper? tail = p < stages.Length - 1 ? Chain(stages[(p + 1)..]).GetRowToRowMapper(psuSchema) : null;
        // Without later stages the score must be one of the stage's columns; with them, their mapper reads only what the score needs.
        if ((tail?.OutputSchema ?? psuSchema).GetColumnOrNull(scoreColumn) is not { } score || (tail == null && score.Index < headSchema.Count)) return null;
        var tailReads = tail?.GetDependencies(new[] { score }).ToArray() ?? Array.Empty<DataViewSchema.Column>();
        // A score that reads none of the stage's columns never runs it row by row either.
        if (tail != null && tailReads.All(c => c.Index < headSchema.Count)) return null;
        var headActive = inputs.All.Concat(tailReads.Where(c => c.Index < headSchema.Count).Select(c => headSchema[c.Index]))
            .DistinctBy(c => c.Index).ToArray();
        return new PsuBatchPlan(stages[p], scorer, (dimension, queryTokens, sideFeatures), head, headSchema, inputs, psuSchema, tail, score, headActive, target, interest, logit);
    }

    static ITransformer Chain(ITransformer[] stages) => new TransformerChain<ITransformer>(stages);

    /// <summary>The stages of <paramref name="model"/> in order, nested chains opened.</summary>
    static IEnumerable<ITransformer> Flatten(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : new[] { model };
}
