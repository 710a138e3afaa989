using Microsoft.ML;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet;

/// <summary>Entry point to SEMINAR components: <c>mlContext.Seminar()</c>.</summary>
public static class SeminarMLContextExtensions
{
    /// <summary>The SEMINAR catalog of this context.</summary>
    public static SeminarCatalog Seminar(this MLContext ml) => new(ml ?? throw new ArgumentNullException(nameof(ml)));
}

/// <summary>
/// SEMINAR's estimators. Reached from the <see cref="MLContext"/> (not <c>mlContext.Transforms</c>, whose
/// environment is not public) so the components share the context's seed, log and threads.
/// </summary>
public sealed class SeminarCatalog
{
    internal SeminarCatalog(MLContext ml) => Context = ml;

    /// <summary>The context.</summary>
    public MLContext Context { get; }

    /// <summary>
    /// Featurizes lifelong query–item histories into index vectors for the PSU. The vocabularies come from
    /// <paramref name="itemCatalog"/> (an IDataView with ItemId, Title, Attributes and modality vector
    /// columns) and from the training data at fit time.
    /// </summary>
    /// <param name="itemCatalog">The item catalog.</param>
    /// <param name="options">Column names, history and vocabulary limits.</param>
    public SequenceFeaturizerEstimator FeaturizeSequences(IDataView itemCatalog, SequenceFeaturizerOptions options) =>
        new(Context, itemCatalog ?? throw new ArgumentNullException(nameof(itemCatalog)), options ?? throw new ArgumentNullException(nameof(options)));

    /// <summary>
    /// Featurizes lifelong query–item histories with the main settings (see the overload taking
    /// <see cref="SequenceFeaturizerOptions"/> for the rest, which keep their defaults).
    /// </summary>
    /// <param name="itemCatalog">The item catalog: an IDataView with ItemId, Title, Attributes and modality vector columns.</param>
    /// <param name="historyItemsColumnName">History item ids, oldest first (vector of text).</param>
    /// <param name="historyQueriesColumnName">Query per history behaviour (vector of text; empty = browsing); null = none.</param>
    /// <param name="targetItemColumnName">Target item id (text).</param>
    /// <param name="queryColumnName">Target query (text); null = none.</param>
    /// <param name="maxHistory">Most recent behaviours kept per row.</param>
    /// <param name="maxQueryTokens">Tokens kept per query.</param>
    public SequenceFeaturizerEstimator FeaturizeSequences(IDataView itemCatalog,
        string historyItemsColumnName = SeminarColumns.HistoryItems, string? historyQueriesColumnName = SeminarColumns.HistoryQueries,
        string targetItemColumnName = SeminarColumns.TargetItem, string? queryColumnName = SeminarColumns.Query,
        int maxHistory = 10_000, int maxQueryTokens = 8) =>
        FeaturizeSequences(itemCatalog, new SequenceFeaturizerOptions
        {
            HistoryItemsColumnName = historyItemsColumnName, HistoryQueriesColumnName = historyQueriesColumnName,
            TargetItemColumnName = targetItemColumnName, QueryColumnName = queryColumnName,
            MaxHistory = maxHistory, MaxQueryTokens = maxQueryTokens,
        });

    /// <summary>
    /// Multi-modal codebook product quantization for approximate target attention: adds SeminarPqInterest and
    /// SeminarPqScore, the PSU's interest and score with each head's top-K found by a lookup-table scan over byte
    /// codes instead of exact relevance. Place after <c>PsuEmbedding</c>.
    /// </summary>
    /// <param name="options">Column names, quantizer and retrieval settings.</param>
    public PqAttentionEstimator PqAttention(PqAttentionOptions options) => new(Context, options ?? throw new ArgumentNullException(nameof(options)));

    /// <summary>
    /// Product-quantized approximate target attention with the main settings (see the overload taking
    /// <see cref="PqAttentionOptions"/> for the rest, which keep their defaults). Place after <c>PsuEmbedding</c>.
    /// </summary>
    /// <param name="outputPqInterestColumnName">Output: the interest vector computed with approximate retrieval.</param>
    /// <param name="outputPqScoreColumnName">Output: the head's logit computed with approximate retrieval.</param>
    /// <param name="topK">Behaviours kept per head; null = the PSU's K.</param>
    /// <param name="subSpaces">Sub-spaces of the 4-bit catalog codes, at most 32 (must divide the embedding dimension).</param>
    /// <param name="shortlist">Behaviours per head re-ranked exactly before the top K are kept (at least K).</param>
    public PqAttentionEstimator PqAttention(string outputPqInterestColumnName = "SeminarPqInterest", string outputPqScoreColumnName = "SeminarPqScore",
        int? topK = null, int subSpaces = 32, int shortlist = 400) =>
        PqAttention(new PqAttentionOptions
        {
            OutputPqInterestColumnName = outputPqInterestColumnName, OutputPqScoreColumnName = outputPqScoreColumnName, TopK = topK,
            Quantizer = new ProductQuantizerOptions { SubSpaces = subSpaces, Centroids = 16 }, Shortlist = shortlist,
        });

    /// <summary>
    /// Loads a model zip saved with <c>mlContext.Model.Save</c> for serving: each SEMINAR stage (featurizer, PSU, PQ attention)
    /// comes back as its C# transformer, rebuilt from the ONNX graph the zip holds (its tables and metadata; nothing else is
    /// stored), so it scores as the fitted chain did, to float rounding, and as fast; every other stage (FastTree,
    /// Concatenate, ...) is what <c>mlContext.Model.Load</c> gives. The zip stays an ordinary one: stock loading still runs the
    /// graphs in ONNX Runtime, and a chain loaded here saves again as the same zip. A loaded PSU exposes its scoring tables and
    /// the featurizer's vocabularies, not <see cref="PsuEmbeddingTransformer.Weights"/> (the raw embeddings are not in a graph);
    /// PqAttention can still be fitted on it (its codes need only the fused item table). Dispose the result when done (ONNX Runtime sessions of the persisted graphs).
    /// </summary>
    /// <param name="path">The model zip.</param>
    /// <param name="inputSchema">The schema of the rows the model was saved with.</param>
    /// <exception cref="InvalidDataException">The zip is truncated or corrupted, or a SEMINAR graph in it is; the message names the stage and the file.</exception>
    /// <exception cref="InvalidOperationException">A SEMINAR graph has a format version (or component) this version does not read.</exception>
    public ITransformer LoadModel(string path, out DataViewSchema inputSchema)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return SeminarModelLoader.Load(Context, File.ReadAllBytes(path), $"'{path}'", out inputSchema);
    }

    /// <summary>
    /// Loads a model zip from <paramref name="stream"/> for serving, as <see cref="LoadModel(string, out DataViewSchema)"/> does
    /// (the stream is read to its end).
    /// </summary>
    /// <param name="stream">The model zip.</param>
    /// <param name="inputSchema">The schema of the rows the model was saved with.</param>
    /// <exception cref="InvalidDataException">The zip is truncated or corrupted, or a SEMINAR graph in it is; the message names the stage.</exception>
    /// <exception cref="InvalidOperationException">A SEMINAR graph has a format version (or component) this version does not read.</exception>
    public ITransformer LoadModel(Stream stream, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return SeminarModelLoader.Load(Context, buffer.ToArray(), "the model stream", out inputSchema);
    }

    /// <summary>
    /// ML.NET's binary prediction columns from a logit column such as <c>SeminarScore</c> or <c>SeminarPqScore</c>: scalar
    /// <c>Score</c> (the logit), <c>Probability</c> (its sigmoid) and <c>PredictedLabel</c>, so the usual
    /// <c>float Probability</c> output class binds, after stock loading too.
    /// </summary>
    /// <param name="logitColumnName">A one-value Single vector column holding a logit.</param>
    public LogitPredictionEstimator Prediction(string logitColumnName = "SeminarScore") => new(Context, logitColumnName);
}
