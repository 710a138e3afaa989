using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.Benchmarks;

/// <summary>
/// The catalog the PSU benchmarks embed: 5,000 items with two-word titles from 300 words, category and brand
/// attributes and a 32-dimensional image vector, fitted into featurizer vocabularies.
/// </summary>
static class BenchmarkCatalog
{
    public const int Items = 5_000, Words = 300;

    public sealed class CatalogRow
    {
        public string ItemId { get; set; } = "";
        public string Title { get; set; } = "";
        public string Attributes { get; set; } = "";
        [VectorType(32)] public float[] Image { get; set; } = new float[32];
    }

    public sealed class TextRow
    {
        public string[] HistoryItems { get; set; } = Array.Empty<string>();
        public string TargetItem { get; set; } = "";
        public string Query { get; set; } = "";
    }

    /// <summary>Vocabularies over the catalog (image vectors drawn from <paramref name="rng"/>), every word seen as a query.</summary>
    public static SequenceVocabularies Vocabularies(MLContext ml, Random rng, int queryTokens)
    {
        var catalog = ml.Data.LoadFromEnumerable(Enumerable.Range(0, Items).Select(i => new CatalogRow
        {
            ItemId = "item" + i, Title = $"word{i % Words} word{i * 7 % Words}", Attributes = $"cat_{i % 20} brand_{i % 50}",
            Image = Enumerable.Range(0, 32).Select(_ => (float)rng.NextDouble()).ToArray(),
        }));
        var text = ml.Data.LoadFromEnumerable(Enumerable.Range(0, Words).Select(i => new TextRow { TargetItem = "item" + i, Query = $"word{i}" }));
        return ml.Seminar().FeaturizeSequences(catalog, new SequenceFeaturizerOptions { MaxQueryTokens = queryTokens }).Fit(text).Vocabularies;
    }
}
