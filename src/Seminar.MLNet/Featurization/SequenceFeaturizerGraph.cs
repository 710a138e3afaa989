using Onnx;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.Onnx;

namespace Seminar.MLNet.Featurization;

/// <summary>
/// The featurizer as an ONNX graph: the persisted form, run by ML.NET's OnnxTransformer. Computes what <see cref="SequenceRowFeaturizer"/> computes: keep the last
/// MaxHistory behaviours, map ids through the item vocabulary, split queries on whitespace and map
/// each token's surface form (<see cref="TokenLookup"/>), pad each query to MaxQueryTokens. Vector inputs are [1, L] and scalar text inputs [1, 1], as
/// OnnxTransformer feeds them; outputs are [L], [L*T], [1], [1] and [T].
/// </summary>
internal static class SequenceFeaturizerGraph
{
    /// <summary>Names of the graph's inputs: the column each reads.</summary>
    /// <param name="HistoryItems">History item ids column.</param>
    /// <param name="HistoryQueries">History queries column, or null when the input has none.</param>
    /// <param name="TargetItem">Target item id column.</param>
    /// <param name="Query">Target query column, or null when the input has none.</param>
    public sealed record Inputs(string HistoryItems, string? HistoryQueries, string TargetItem, string? Query);

    /// <summary>Builds the graph's bytes.</summary>
    public static byte[] Build(SequenceVocabularies v, SequenceFeaturizerOptions o, Inputs inputs)
    {
        var outputs = new[] { o.OutputHistoryItemIndicesColumnName, o.OutputHistoryQueryTokensColumnName, o.OutputHistoryLengthColumnName, o.OutputTargetItemIndexColumnName, o.OutputQueryTokensColumnName };
        var ins = new[] { inputs.HistoryItems, inputs.HistoryQueries, inputs.TargetItem, inputs.Query }.OfType<string>().ToArray();
        foreach (var name in outputs)
            if (ins.Contains(name, StringComparer.Ordinal))
                throw new ArgumentException($"Output column '{name}' has the same name as an input column; choose another output name.", nameof(o));

        long t = v.MaxQueryTokens;
        var b = new OnnxGraphBuilder("seminar_sequence_featurizer");
        var itemKeys = new[] { "" }.Concat(v.Items.Entries).ToArray();
        var itemValues = new[] { (long)Vocabulary.Unknown }.Concat(Enumerable.Range(Vocabulary.Reserved, v.Items.Entries.Count).Select(i => (long)i)).ToArray();
        var forms = v.TokenForms.Forms.ToArray();
        var tokenKeys = new[] { "" }.Concat(forms.Select(f => f.Key)).ToArray();
        var tokenValues = new[] { (long)Vocabulary.Padding }.Concat(forms.Select(f => (long)f.Value)).ToArray();
        var int64 = TensorProto.Types.DataType.Int64;
        var text = TensorProto.Types.DataType.String;

        // History items: keep the last MaxHistory (Slice clamps a start before 0), map, flatten.
        var items = b.AddInput(inputs.HistoryItems, text, 1, "L");
        var kept = b.Slice(items, new[] { -(long)v.MaxHistory }, new[] { long.MaxValue }, new[] { 1L });
        var itemIndex = b.LabelEncoder(kept, itemKeys, itemValues, Vocabulary.Unknown);
        b.Reshape(itemIndex, new[] { 1L, -1L }, o.OutputHistoryItemIndicesColumnName);
        var length = b.Shape(kept, 1, 2, o.OutputHistoryLengthColumnName);

        // History query tokens: [1, L', M] split, mapped ("" pads to 0), padded with T zeros and cut to T.
        var zeroColumn = b.Mul(b.Unsqueeze(itemIndex, new[] { 2L }), b.Int64Scalar(0));
        var zeros = b.AddNode("Tile", new[] { zeroColumn, b.Int64Vector(new[] { 1L, 1L, t }) });
        string tokens = zeros;
        string? tokenLookup = null;
        if (inputs.HistoryQueries != null)
        {
            // Queries reshaped to the items' shape: fails unless both have the same length, empty ones included
            // (Concat below skips an empty input, so it alone would let 0 queries pass as browsing, or 0 items read garbage).
            var queries = b.ReshapeExactly(b.AddInput(inputs.HistoryQueries, text, 1, "L"), b.Shape(items));
            var keptQueries = b.Slice(queries, new[] { -(long)v.MaxHistory }, new[] { long.MaxValue }, new[] { 1L });
            var (split, _) = b.StringSplit(keptQueries);
            var mapped = b.LabelEncoder(split, tokenKeys, tokenValues, Vocabulary.Unknown);
            tokenLookup = mapped;
            tokens = b.Slice(b.Concat(2, mapped, zeros), new[] { 0L }, new[] { t }, new[] { 2L });
        }
        b.Reshape(tokens, new[] { 1L, -1L }, o.OutputHistoryQueryTokensColumnName);

        // Target item and query.
        var target = b.AddInput(inputs.TargetItem, text, 1, 1);
        b.Reshape(b.LabelEncoder(target, itemKeys, itemValues, Vocabulary.Unknown), new[] { 1L }, o.OutputTargetItemIndexColumnName);
        var queryPad = b.AddInitializer(b.UniqueName("query_pad"), new long[t], 1, 1, t);
        if (inputs.Query != null)
        {
            var query = b.AddInput(inputs.Query, text, 1, 1);
            var (split, _) = b.StringSplit(query);
            var mapped = b.LabelEncoder(split, tokenKeys, tokenValues, Vocabulary.Unknown);
            tokenLookup ??= mapped;
            var cut = b.Slice(b.Concat(2, mapped, queryPad), new[] { 0L }, new[] { t }, new[] { 2L });
            b.Reshape(cut, new[] { t }, o.OutputQueryTokensColumnName);
        }
        else b.Reshape(queryPad, new[] { t }, o.OutputQueryTokensColumnName);

        // Variable-length outputs keep a leading 1: a loaded OnnxTransformer types a lone symbolic dim as size 1.
        b.AddOutput(o.OutputHistoryItemIndicesColumnName, int64, 1, "kept");
        b.AddOutput(o.OutputHistoryQueryTokensColumnName, int64, 1, "kept_x_tokens");
        b.AddOutput(o.OutputHistoryLengthColumnName, int64, 1);
        b.AddOutput(o.OutputTargetItemIndexColumnName, int64, 1);
        b.AddOutput(o.OutputQueryTokensColumnName, int64, t);
        return SavedGraphs.ToBytes(b, SavedGraphs.Featurizer, new Config(inputs.HistoryItems, inputs.HistoryQueries, inputs.TargetItem, inputs.Query, outputs,
            v.MaxHistory, v.MaxQueryTokens, v.CatalogItems, v.Attributes.Entries.ToArray(), v.ItemsOutsideCatalog, v.RowsScanned, itemIndex, tokenLookup,
            v.Content.Modalities.Select(m => new ModalityConfig(m.Name, m.Dimension)).ToArray()));
    }

    /// <summary>
    /// What the C# featurizer needs beside the graph's two lookups (rebuilt from the LabelEncoders whose outputs are
    /// <paramref name="ItemLookup"/> and <paramref name="TokenLookup"/>): column names, limits, and the fit's vocabulary
    /// facts the graph does not use (the attribute vocabulary, catalog size and counts, the modality columns).
    /// </summary>
    internal sealed record Config(string HistoryItems, string? HistoryQueries, string TargetItem, string? Query, string[] Outputs,
        int MaxHistory, int MaxQueryTokens, int CatalogItems, string[] Attributes, long ItemsOutsideCatalog, long RowsScanned,
        string ItemLookup, string? TokenLookup, ModalityConfig[] Modalities);

    /// <summary>A catalog modality column: name and vector size.</summary>
    internal sealed record ModalityConfig(string Name, int Dimension);
}
