using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.Onnx;

namespace Seminar.MLNet;

/// <summary>
/// Fits the sequence featurizer: streams the training rows and the item catalog into vocabularies and
/// content tables, then builds the ONNX graph that persists them. Created by
/// <c>mlContext.Seminar().FeaturizeSequences(catalog, options)</c>.
/// </summary>
public sealed class SequenceFeaturizerEstimator : IEstimator<SequenceFeaturizerTransformer>
{
    readonly MLContext _ml;
    readonly IDataView _catalog;
    readonly SequenceFeaturizerOptions _options;

    internal SequenceFeaturizerEstimator(MLContext ml, IDataView catalog, SequenceFeaturizerOptions options)
    {
        options.Validate();
        _ml = ml;
        _catalog = catalog;
        _options = options;
    }

    /// <inheritdoc />
    public SequenceFeaturizerTransformer Fit(IDataView input)
    {
        var columns = InputColumns.Resolve(input.Schema, _options);
        var env = (IHostEnvironment)_ml;
        using var channel = env.Start("SequenceFeaturizer");
        void Info(string message) => channel.Info(MessageSensitivity.None, message);
        Info("Scanning training rows and the item catalog for vocabularies.");
        var vocabularies = SequenceVocabularyBuilder.Fit(input, _catalog, _options,
            new SynchronousProgress<long>(rows => Info($"Scanned {rows:N0} rows.")));
        Info($"Vocabularies: {vocabularies.Items.Size:N0} items ({vocabularies.CatalogItems:N0} from the catalog), {vocabularies.Tokens.Size:N0} tokens, " +
             $"{vocabularies.Attributes.Size:N0} attributes; {vocabularies.ItemsOutsideCatalog:N0} item occurrences had no catalog entry.");

        var graph = new SequenceFeaturizerGraph.Inputs(columns.HistoryItems.Name, columns.HistoryQueries?.Name, columns.TargetItem.Name, columns.Query?.Name);
        byte[] onnx = SequenceFeaturizerGraph.Build(vocabularies, _options, graph);
        var inputs = new[] { graph.HistoryItems, graph.HistoryQueries, graph.TargetItem, graph.Query }.OfType<string>().ToArray();
        var outputs = SequenceFeaturizerDataView.OutputColumns(_options, _options.MaxQueryTokens).Select(c => c.Name).ToArray();
        return new SequenceFeaturizerTransformer(vocabularies, _options, new PersistedGraph(_ml, onnx, input.Schema, inputs, outputs));
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        foreach (var (name, vector, required) in new (string? Name, bool Vector, bool Required)[]
                 {
                     (_options.HistoryItemsColumnName, true, true), (_options.HistoryQueriesColumnName, true, false),
                     (_options.TargetItemColumnName, false, true), (_options.QueryColumnName, false, false),
                 })
        {
            if (name == null) continue;
            var found = inputSchema.Where(c => c.Name == name).ToArray();
            if (found.Length == 0)
            {
                if (required) throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Input column '{name}' is missing.");
                continue;
            }
            var col = found[^1];
            bool isVector = col.Kind != SchemaShape.Column.VectorKind.Scalar;
            if (col.ItemType is not TextDataViewType || isVector != vector)
                throw new ArgumentOutOfRangeException(nameof(inputSchema), $"Input column '{name}' must be {(vector ? "a vector of text" : "text")}.");
        }
        return OutputSchemaShapes.Append(_ml, inputSchema, SequenceFeaturizerDataView.OutputColumns(_options, _options.MaxQueryTokens));
    }
}
