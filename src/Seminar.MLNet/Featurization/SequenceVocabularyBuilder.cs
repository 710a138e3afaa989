using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet.Featurization;

/// <summary>
/// Fits <see cref="SequenceVocabularies"/>: one streaming pass over the training rows (only the last
/// MaxHistory behaviours of each, as the transform keeps) and one over the catalog, which is held in
/// memory since every item's content is needed at once.
/// </summary>
internal static class SequenceVocabularyBuilder
{
    /// <summary>Fits the vocabularies and content tables.</summary>
    /// <param name="data">Training rows in the column contract.</param>
    /// <param name="catalog">The item catalog.</param>
    /// <param name="options">Column names and limits.</param>
    /// <param name="progress">Rows scanned so far, reported every 4,096 rows.</param>
    public static SequenceVocabularies Fit(IDataView data, IDataView catalog, SequenceFeaturizerOptions options, IProgress<long>? progress = null)
    {
        options.Validate();
        var (items, modalities) = ReadCatalog(catalog, options);
        var catalogIds = items.Select(i => i.Id).ToArray();
        var catalogSet = catalogIds.ToHashSet(StringComparer.Ordinal);

        var tokenCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        var forms = new HashSet<string>(StringComparer.Ordinal);
        var extraItemCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        var attributeCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            foreach (var t in TextTokenizer.Tokenize(item.Title, options.MaxTitleTokens)) Increment(tokenCounts, t);
            foreach (var a in item.Attributes) Increment(attributeCounts, a);
        }

        long outside = 0, rows = 0;
        var columns = InputColumns.Resolve(data.Schema, options);
        using (var cursor = data.GetRowCursor(columns.Active))
        {
            var reader = new InputRowReader(cursor, columns);
            var countItem = (string id) =>
            {
                if (catalogSet.Contains(id)) return;
                outside++;
                if (id.Length > 0) Increment(extraItemCounts, id);
            };
            while (cursor.MoveNext())
            {
                reader.Read();
                int from = Math.Max(0, reader.HistoryLength - options.MaxHistory);
                var history = reader.HistoryItems;
                for (int i = from; i < reader.HistoryLength; i++) countItem(history[i].ToString());
                countItem(reader.Target.ToString());
                if (reader.HasHistoryQueries)
                {
                    var queries = reader.HistoryQueries;
                    for (int i = from; i < reader.HistoryLength; i++) CountTokens(tokenCounts, forms, queries[i].Span, options.MaxQueryTokens);
                }
                CountTokens(tokenCounts, forms, reader.Query.Span, options.MaxQueryTokens);
                if ((++rows & 4095) == 0) progress?.Report(rows);
            }
        }
        progress?.Report(rows);

        var itemVocab = Vocabulary.FromCounts(extraItemCounts, options.MinItemCount, options.MaxExtraItems == 0 ? 0 : catalogIds.Length + options.MaxExtraItems, catalogIds);
        var tokenVocab = Vocabulary.FromCounts(tokenCounts, options.MinTokenCount, options.MaxTokens);
        var attributeVocab = Vocabulary.FromCounts(attributeCounts, 1, 0);
        var content = new ItemContentTables(itemVocab.Size, options.MaxTitleTokens, options.MaxAttributes, modalities);
        foreach (var item in items)
        {
            int index = itemVocab.IndexOf(item.Id);
            var title = TextTokenizer.Tokenize(item.Title, options.MaxTitleTokens);
            for (int t = 0; t < title.Length; t++) content.TitleTokens[index * content.TitleWidth + t] = tokenVocab.IndexOf(title[t]);
            for (int a = 0; a < Math.Min(item.Attributes.Length, content.AttributeWidth); a++)
                content.Attributes[index * content.AttributeWidth + a] = attributeVocab.IndexOf(item.Attributes[a]);
            for (int m = 0; m < item.Vectors.Length; m++)
            {
                item.Vectors[m].Values.CopyTo(content.Modalities[m].Values.AsSpan(index * content.Modalities[m].Dimension));
                content.Modalities[m].HasVector[index] = true;
            }
        }
        return new SequenceVocabularies
        {
            Items = itemVocab, Tokens = tokenVocab, TokenForms = new TokenLookup(tokenVocab, forms), Attributes = attributeVocab, Content = content, CatalogItems = catalogIds.Length,
            MaxHistory = options.MaxHistory, MaxQueryTokens = options.MaxQueryTokens, ItemsOutsideCatalog = outside, RowsScanned = rows,
        };
    }

    static void Increment(Dictionary<string, long> counts, string key)
    {
        ref long c = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(counts, key, out _);
        c++;
    }

    /// <summary>Counts the lower-cased tokens of raw text and remembers surface forms that differ from them.</summary>
    static void CountTokens(Dictionary<string, long> counts, HashSet<string> forms, ReadOnlySpan<char> text, int maxTokens)
    {
        if (text.IsEmpty) return;
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        var formLookup = forms.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> lower = stackalloc char[256];
        int n = 0;
        foreach (var token in TextTokenizer.EnumerateTokens(text))
        {
            if (n++ == maxTokens) break;
            var folded = token.Length <= lower.Length ? lower[..token.Length] : new char[token.Length];
            token.ToLowerInvariant(folded);
            lookup[folded] = lookup.TryGetValue(folded, out long c) ? c + 1 : 1;
            if (!token.SequenceEqual(folded)) formLookup.Add(token);
        }
    }

    sealed record CatalogItem(string Id, string Title, string[] Attributes, (string Name, float[] Values)[] Vectors);

    static (string Name, int Dimension)[] CatalogModalities(DataViewSchema schema, SequenceFeaturizerOptions options)
    {
        var names = options.CatalogModalityColumnNames
            ?? schema.Where(c => c.Type is VectorDataViewType v && v.ItemType == NumberDataViewType.Single && v.IsKnownSize).Select(c => c.Name).ToArray();
        return names.Select(n =>
        {
            var col = schema.GetColumnOrNull(n) ?? throw new ArgumentException($"Catalog has no modality column '{n}'.", nameof(options));
            if (col.Type is not VectorDataViewType { ItemType: NumberDataViewType t } v || t != NumberDataViewType.Single || !v.IsKnownSize)
                throw new ArgumentException($"Catalog modality column '{n}' must be a known-size vector of Single; it is {col.Type}.", nameof(options));
            return (n, v.Size);
        }).ToArray();
    }

    static (List<CatalogItem> Items, (string Name, int Dimension)[] Modalities) ReadCatalog(IDataView catalog, SequenceFeaturizerOptions options)
    {
        var schema = catalog.Schema;
        var id = RequireText(schema, options.CatalogItemIdColumnName, "catalog item id");
        var title = schema.GetColumnOrNull(options.CatalogTitleColumnName);
        if (title is { } tc && tc.Type is not TextDataViewType) throw new ArgumentException($"Catalog title column '{tc.Name}' must be text; it is {tc.Type}.");
        var attrs = schema.GetColumnOrNull(options.CatalogAttributesColumnName);
        bool attrVector = attrs is { Type: VectorDataViewType { ItemType: TextDataViewType } };
        if (attrs is { } ac && ac.Type is not TextDataViewType && !attrVector)
            throw new ArgumentException($"Catalog attributes column '{ac.Name}' must be text or a vector of text; it is {ac.Type}.");
        var modalities = CatalogModalities(schema, options);
        var modalityCols = modalities.Select(m => schema[m.Name]).ToArray();

        var active = new List<DataViewSchema.Column> { id };
        if (title != null) active.Add(title.Value);
        if (attrs != null) active.Add(attrs.Value);
        active.AddRange(modalityCols);
        var result = new List<CatalogItem>();
        var seen = new Dictionary<string, long>(StringComparer.Ordinal);
        using var cursor = catalog.GetRowCursor(active);
        var getId = cursor.GetGetter<ReadOnlyMemory<char>>(id);
        var getTitle = title != null ? cursor.GetGetter<ReadOnlyMemory<char>>(title.Value) : null;
        var getAttrText = attrs != null && !attrVector ? cursor.GetGetter<ReadOnlyMemory<char>>(attrs.Value) : null;
        var getAttrVector = attrs != null && attrVector ? cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(attrs.Value) : null;
        var getVectors = modalityCols.Select(c => cursor.GetGetter<VBuffer<float>>(c)).ToArray();
        ReadOnlyMemory<char> text = default;
        VBuffer<ReadOnlyMemory<char>> textVector = default;
        VBuffer<float> vector = default;
        while (cursor.MoveNext())
        {
            getId(ref text);
            string itemId = text.ToString();
            if (itemId.Length == 0) throw new InvalidOperationException($"Catalog row {cursor.Position} has an empty item id.");
            if (seen.TryGetValue(itemId, out long first))
                throw new InvalidOperationException($"Catalog item '{itemId}' appears twice (rows {first} and {cursor.Position}); item ids must be unique.");
            seen[itemId] = cursor.Position;
            string itemTitle = "";
            if (getTitle != null) { getTitle(ref text); itemTitle = text.ToString(); }
            string[] itemAttrs = Array.Empty<string>();
            if (getAttrText != null) { getAttrText(ref text); itemAttrs = text.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries); }
            if (getAttrVector != null)
            {
                getAttrVector(ref textVector);
                itemAttrs = textVector.DenseValues().Select(a => a.ToString()).Where(a => a.Length > 0).ToArray();
            }
            var vectors = new (string, float[])[modalities.Length];
            for (int m = 0; m < modalities.Length; m++)
            {
                getVectors[m](ref vector);
                var values = vector.DenseValues().ToArray();
                for (int k = 0; k < values.Length; k++)
                    if (!float.IsFinite(values[k]))
                        throw new InvalidOperationException($"Catalog item '{itemId}': modality column '{modalities[m].Name}' has {values[k]} at index {k}; vectors must be finite.");
                vectors[m] = (modalities[m].Name, values);
            }
            result.Add(new CatalogItem(itemId, itemTitle, itemAttrs, vectors));
        }
        return (result, modalities);
    }

    static DataViewSchema.Column RequireText(DataViewSchema schema, string name, string what)
    {
        var col = schema.GetColumnOrNull(name) ?? throw new ArgumentException($"The {what} column '{name}' is missing (columns: {string.Join(", ", schema.Select(c => c.Name))}).");
        if (col.Type is not TextDataViewType) throw new ArgumentException($"The {what} column '{name}' must be text; it is {col.Type}.");
        return col;
    }
}
