using Microsoft.ML;
using Onnx;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Quantization.FastScan;
using Seminar.MLNet.Retrieval.Strategies;

namespace Seminar.MLNet;

/// <summary>
/// Rebuilds each SEMINAR transformer from its saved graph: the C# scorer reads exactly the initializers the graph runs
/// on (and the configuration in its metadata, <see cref="SavedGraphs"/>), and keeps the graph's bytes as its persisted
/// form, so saving again writes the same graph.
/// </summary>
internal static class SavedStages
{
    /// <summary>The featurizer of a graph marked <see cref="SavedGraphs.Featurizer"/>.</summary>
    public static SequenceFeaturizerTransformer Featurizer(MLContext ml, byte[] bytes, ModelProto graph, DataViewSchema inputSchema)
    {
        var c = SavedGraphs.Config<SequenceFeaturizerGraph.Config>(graph);
        if (c.Outputs.Length != 5) throw new InvalidDataException($"The featurizer configuration names {c.Outputs.Length} outputs; expected 5.");
        var options = new SequenceFeaturizerOptions
        {
            HistoryItemsColumnName = c.HistoryItems, HistoryQueriesColumnName = c.HistoryQueries, TargetItemColumnName = c.TargetItem, QueryColumnName = c.Query,
            OutputHistoryItemIndicesColumnName = c.Outputs[0], OutputHistoryQueryTokensColumnName = c.Outputs[1], OutputHistoryLengthColumnName = c.Outputs[2],
            OutputTargetItemIndexColumnName = c.Outputs[3], OutputQueryTokensColumnName = c.Outputs[4],
            MaxHistory = c.MaxHistory, MaxQueryTokens = c.MaxQueryTokens,
        };
        options.Validate();
        var inputs = new[] { c.HistoryItems, c.HistoryQueries, c.TargetItem, c.Query }.OfType<string>().ToArray();
        return new SequenceFeaturizerTransformer(SequenceVocabularies.FromGraph(graph, c), options, new PersistedGraph(ml, bytes, inputSchema, inputs, c.Outputs));
    }

    /// <summary>The PSU of a graph marked <see cref="SavedGraphs.Psu"/>; <paramref name="vocabularies"/> are the featurizer's before it in the chain, if any.</summary>
    public static PsuEmbeddingTransformer Psu(MLContext ml, byte[] bytes, ModelProto graph, DataViewSchema inputSchema, SequenceVocabularies? vocabularies)
    {
        var c = SavedGraphs.Config<PsuGraph.Config>(graph);
        if (c.Outputs.Length != 3) throw new InvalidDataException($"The PSU configuration names {c.Outputs.Length} outputs; expected 3.");
        var columns = Columns(new PsuColumnOptions(), c);
        (columns.OutputTargetColumnName, columns.OutputInterestColumnName, columns.OutputScoreColumnName) = (c.Outputs[0], c.Outputs[1], c.Outputs[2]);
        var model = PsuModel(graph, c, vocabularies);
        PsuInputColumns.Resolve(inputSchema, columns, model.QueryTokens, model.Weights.SideFeatures);
        return new PsuEmbeddingTransformer(model, columns, new PersistedGraph(ml, bytes, inputSchema, PsuGraph.InputNames(columns), c.Outputs));
    }

    /// <summary>The PQ attention of a graph marked <see cref="SavedGraphs.Pq"/>: its own PSU tables, catalog codebook and codes.</summary>
    public static PqAttentionTransformer Pq(MLContext ml, byte[] bytes, ModelProto graph, DataViewSchema inputSchema, SequenceVocabularies? vocabularies)
    {
        var c = SavedGraphs.Config<PqGraph.Config>(graph);
        if (c.Psu.Outputs.Length != 2) throw new InvalidDataException($"The PQ configuration names {c.Psu.Outputs.Length} outputs; expected 2.");
        var psu = PsuModel(graph, c.Psu, vocabularies);
        int d = psu.Dimension;
        if (c.SubSpaces is < 1 or > CatalogCodes.MaxSubSpaces || d % c.SubSpaces != 0)
            throw new InvalidDataException($"The PQ configuration's {c.SubSpaces} sub-spaces do not divide D = {d} into at most {CatalogCodes.MaxSubSpaces}.");
        if (c.Centroids is < 1 or > FourBitCodes.Centroids) throw new InvalidDataException($"The PQ codebook has {c.Centroids} centroids; 4-bit codes name 1 to {FourBitCodes.Centroids}.");
        if (c.TopK < 1 || c.Shortlist < c.TopK) throw new InvalidDataException($"The PQ configuration's K = {c.TopK} and shortlist {c.Shortlist} are out of range.");
        int dsub = d / c.SubSpaces;
        var padded = SavedGraphs.Floats(graph, "pq_codebook", c.SubSpaces, FourBitCodes.Centroids, dsub);
        var quantizer = ProductQuantizer.FromCodebook(d, c.SubSpaces, c.Centroids, PqGraph.Codebook(padded, c.SubSpaces, c.Centroids, dsub));
        var codes = CatalogCodes.FromPlain(quantizer, SavedGraphs.Bytes(graph, "pq_item_codes", psu.ItemCount, c.SubSpaces));
        var model = new PqAttentionModel(psu, codes, c.TopK, c.Shortlist);
        var options = Columns(new PqAttentionOptions
        {
            OutputPqInterestColumnName = c.Psu.Outputs[0], OutputPqScoreColumnName = c.Psu.Outputs[1], TopK = c.TopK, Shortlist = c.Shortlist,
            Quantizer = new ProductQuantizerOptions { SubSpaces = c.SubSpaces, Centroids = FourBitCodes.Centroids },
        }, c.Psu);
        options.Validate();
        PsuInputColumns.Resolve(inputSchema, options, psu.QueryTokens, psu.Weights.SideFeatures);
        return new PqAttentionTransformer(model, options, new PersistedGraph(ml, bytes, inputSchema, PqGraph.InputNames(options), c.Psu.Outputs));
    }

    static T Columns<T>(T columns, PsuGraph.Config c) where T : PsuColumnOptions
    {
        columns.HistoryItemIndicesColumnName = c.HistoryItems;
        columns.HistoryQueryTokensColumnName = c.HistoryQueryTokens;
        columns.TargetItemIndexColumnName = c.TargetItem;
        columns.QueryTokensColumnName = c.QueryTokens;
        columns.SideFeaturesColumnName = c.SideFeatures;
        return columns;
    }

    /// <summary>
    /// The PSU scoring model from the tables <see cref="PsuGraph"/> writes. Every table is read back exactly (the query
    /// weight a is <c>psu_token_factor[1] = a / 1</c>; the folded attention and W_V are un-permuted), so the rebuilt C#
    /// scorer computes what the fitted one did, to the bit.
    /// </summary>
    internal static PsuScoringModel PsuModel(ModelProto graph, PsuGraph.Config c, SequenceVocabularies? vocabularies)
    {
        if (c.Retrieval != ExactRetrieval.Instance.Name)
            throw new NotSupportedException($"The PSU was saved with the {c.Retrieval} retrieval strategy; fast loading rebuilds the exact GSU only.");
        int d = c.Dimension, h = c.Heads, t = c.QueryTokenSlots;
        if (d < 1 || h < 1 || t < 1 || c.TopK < 1 || c.HeadLayers < 1 || c.ModalityNames.Length < 3)
            throw new InvalidDataException($"The PSU configuration is out of range (D = {d}, H = {h}, T = {t}, K = {c.TopK}, {c.HeadLayers} head layers, {c.ModalityNames.Length} modalities).");
        var items = SavedGraphs.Floats(graph, "psu_item_table", -1, d);
        var tokens = SavedGraphs.Floats(graph, "psu_query_token_table", -1, d);
        float a = SavedGraphs.Floats(graph, "psu_token_factor", t + 1)[1];
        var permuted = SavedGraphs.Floats(graph, "psu_folded_attention", d, (long)d * h);
        var folded = new float[h * d * d];
        for (int head = 0; head < h; head++)
            for (int j = 0; j < d; j++)
                for (int i = 0; i < d; i++) folded[head * d * d + j * d + i] = permuted[i * d * h + j * h + head];
        var valueT = SavedGraphs.Floats(graph, "psu_attention_value_t", h, d, d);
        var value = new float[h * d * d];
        for (int head = 0; head < h; head++) DenseMath.Transpose(valueT.AsSpan(head * d * d, d * d), d, d).CopyTo(value, head * d * d);
        var head0 = new List<DenseLayer>();
        for (int i = 0; i < c.HeadLayers; i++)
        {
            var dims = SavedGraphs.Dims(graph, $"psu_head{i}_weight");
            if (dims.Length != 2) throw new InvalidDataException($"Head layer {i}'s weight has shape [{string.Join(", ", dims)}]; expected [outputs, inputs].");
            head0.Add(new DenseLayer(SavedGraphs.Floats(graph, $"psu_head{i}_weight", dims[0], dims[1]), SavedGraphs.Floats(graph, $"psu_head{i}_bias", dims[0])));
        }
        bool side = c.SideFeatures != null;
        var readout = new PsuWeights
        {
            Dimension = d, Heads = h, TopK = c.TopK,
            // Not in a graph: the raw embeddings and unfolded projections (the fused tables above replace them).
            ItemIds = [], Tokens = [], Attributes = [], Projections = [], GateLogits = [], ModalityTransforms = [], AttentionQuery = [], AttentionKey = [],
            QueryWeightLogit = float.NaN,
            AttentionValue = value,
            AttentionOutput = new DenseLayer(SavedGraphs.Floats(graph, "psu_attention_output", d, (long)h * d), SavedGraphs.Floats(graph, "psu_attention_output_bias", d)),
            EmptyInterest = SavedGraphs.Floats(graph, "psu_empty_interest", 1, d),
            Head = head0,
            SideMean = side ? SavedGraphs.Floats(graph, "psu_side_mean", 1, -1) : null,
            SideScale = side ? SavedGraphs.Floats(graph, "psu_side_scale", 1, -1) : null,
        };
        if (head0[0].Inputs != 3 * d + readout.SideFeatures || head0[^1].Outputs != 1)
            throw new InvalidDataException($"The head takes {head0[0].Inputs} inputs and gives {head0[^1].Outputs}; expected {3 * d + readout.SideFeatures} and 1.");
        if (vocabularies != null && (vocabularies.Items.Size != items.Length / d || vocabularies.MaxQueryTokens != t))
            vocabularies = null; // another featurizer's: the PSU's tables do not index it
        return new PsuScoringModel(readout, items, tokens, a, folded, t, c.ModalityNames, vocabularies);
    }
}
