using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Retrieval.Strategies;

namespace Seminar.MLNet.Serving;

/// <summary>
/// A chain split around its PSU stage, so that a ranking request runs the PSU once for all its candidates
/// (<see cref="PsuRowScorer.ScoreCandidates"/>: the relevance step as one matrix product over the history laid out once)
/// instead of candidate by candidate. The stages before the PSU map each candidate row (the featurizer reuses the
/// request's history), the PSU's three outputs come from the batch, and the stages after it map each candidate row over
/// them. Built once per ranker; each <see cref="RankingSession"/> holds its own rows and scorer.
/// </summary>
sealed class PsuBatchPlan
{
    PsuBatchPlan(PsuEmbeddingTransformer psu, IRowToRowMapper? head, DataViewSchema headSchema, PsuInputColumns inputs,
        DataViewSchema psuSchema, IRowToRowMapper? tail, DataViewSchema.Column score, DataViewSchema.Column[] headActive)
    {
        Psu = psu;
        Head = head;
        HeadSchema = headSchema;
        Inputs = inputs;
        PsuSchema = psuSchema;
        Tail = tail;
        Score = score;
        HeadActive = headActive;
        Target = psuSchema[psu.Columns.OutputTargetColumnName].Index;
        Interest = psuSchema[psu.Columns.OutputInterestColumnName].Index;
        Logit = psuSchema[psu.Columns.OutputScoreColumnName].Index;
    }

    /// <summary>The PSU stage.</summary>
    public PsuEmbeddingTransformer Psu { get; }
    /// <summary>The stages before the PSU as one mapper over the model's input rows; null when the PSU is the first stage.</summary>
    public IRowToRowMapper? Head { get; }
    /// <summary>The PSU's input schema (the head's output, or the model's input).</summary>
    public DataViewSchema HeadSchema { get; }
    /// <summary>The PSU's input columns in <see cref="HeadSchema"/>.</summary>
    public PsuInputColumns Inputs { get; }
    /// <summary>The PSU's output schema: <see cref="HeadSchema"/> and the three PSU columns.</summary>
    public DataViewSchema PsuSchema { get; }
    /// <summary>The stages after the PSU as one mapper over <see cref="PsuSchema"/>; null when the score is the PSU's own.</summary>
    public IRowToRowMapper? Tail { get; }
    /// <summary>The score column: in the tail's output, or the PSU's score column of <see cref="PsuSchema"/>.</summary>
    public DataViewSchema.Column Score { get; }
    /// <summary>The head's output columns read: the PSU's inputs and what the tail reads from before the PSU.</summary>
    public DataViewSchema.Column[] HeadActive { get; }
    /// <summary>Indices in <see cref="PsuSchema"/> of the PSU's target, interest and score columns.</summary>
    public int Target { get; }
    /// <inheritdoc cref="Target"/>
    public int Interest { get; }
    /// <inheritdoc cref="Target"/>
    public int Logit { get; }

    /// <summary>
    /// The plan for <paramref name="model"/>, or null when batching would not change the work: no PSU stage, a PSU whose
    /// search is not the exact GSU (the other strategies choose behaviours per candidate), a stage that cannot map rows,
    /// a score that does not read the PSU's outputs, or a chain that ends with the PSU and takes its score from before it.
    /// </summary>
    public static PsuBatchPlan? TryCreate(ITransformer model, DataViewSchema inputSchema, string scoreColumn)
    {
        var stages = Flatten(model).ToArray();
        int p = Array.FindIndex(stages, s => s is PsuEmbeddingTransformer);
        if (p < 0 || stages.Any(s => !s.IsRowToRowMapper)) return null;
        var psu = (PsuEmbeddingTransformer)stages[p];
        if (psu.Model.Weights.Retrieval is not ExactRetrieval) return null;

        var head = p == 0 ? null : Chain(stages[..p]).GetRowToRowMapper(inputSchema);
        var headSchema = head?.OutputSchema ?? inputSchema;
        var inputs = PsuInputColumns.Resolve(headSchema, psu.Columns, psu.Model.QueryTokens, psu.Model.Weights.SideFeatures);
        var psuSchema = psu.GetOutputSchema(headSchema);
        IRowToRowMapper? tail = p < stages.Length - 1 ? Chain(stages[(p + 1)..]).GetRowToRowMapper(psuSchema) : null;
        // Without later stages the score must be one of the PSU's columns; with them, their mapper reads only what the score needs.
        if ((tail?.OutputSchema ?? psuSchema).GetColumnOrNull(scoreColumn) is not { } score || (tail == null && score.Index < headSchema.Count)) return null;
        var tailReads = tail?.GetDependencies(new[] { score }).ToArray() ?? Array.Empty<DataViewSchema.Column>();
        // A score that reads none of the PSU's columns (PQ attention's, say) never runs the PSU row by row either.
        if (tail != null && tailReads.All(c => c.Index < headSchema.Count)) return null;
        var headActive = inputs.All.Concat(tailReads.Where(c => c.Index < headSchema.Count).Select(c => headSchema[c.Index]))
            .DistinctBy(c => c.Index).ToArray();
        return new PsuBatchPlan(psu, head, headSchema, inputs, psuSchema, tail, score, headActive);
    }

    static ITransformer Chain(ITransformer[] stages) => new TransformerChain<ITransformer>(stages);

    /// <summary>The stages of <paramref name="model"/> in order, nested chains opened.</summary>
    static IEnumerable<ITransformer> Flatten(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : new[] { model };
}
