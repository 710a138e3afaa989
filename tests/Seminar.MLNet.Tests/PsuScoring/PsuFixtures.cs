using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Tests.PsuScoring;

public sealed class PsuTextRow
{
    public string[] HistoryItems { get; set; } = Array.Empty<string>();
    public string[] HistoryQueries { get; set; } = Array.Empty<string>();
    public string TargetItem { get; set; } = "";
    public string Query { get; set; } = "";
    public bool Label { get; set; }
    /// <summary>Side features: counts over orders of magnitude, a signed value and a constant (read only by the side-feature tests).</summary>
    [VectorType(PsuFixtures.SideFeatures)] public float[] Side { get; set; } = new float[PsuFixtures.SideFeatures];
}

public sealed class PsuCatalogRow
{
    public string ItemId { get; set; } = "";
    public string Title { get; set; } = "";
    public string Attributes { get; set; } = "";
    [VectorType(3)] public float[] Image { get; set; } = new float[3];
    [VectorType(5)] public float[] TextVector { get; set; } = new float[5];
}

/// <summary>The featurizer's output columns as index vectors (what the PSU reads), for rows built by hand.</summary>
public sealed class PsuIndexRow
{
    public long[] SeminarHistoryItems { get; set; } = Array.Empty<long>();
    public long[] SeminarHistoryQueryTokens { get; set; } = Array.Empty<long>();
    [VectorType(1)] public long[] SeminarTargetItem { get; set; } = new long[1];
    [VectorType(PsuFixtures.QueryTokens)] public long[] SeminarQueryTokens { get; set; } = new long[PsuFixtures.QueryTokens];
    [VectorType(PsuFixtures.SideFeatures)] public float[] Side { get; set; } = new float[PsuFixtures.SideFeatures];
}

/// <summary>A small catalog and dataset, the vocabularies the featurizer fits on them, and seeded random PSU weights.</summary>
public static class PsuFixtures
{
    public const int QueryTokens = 3;
    public const int SideFeatures = 4;
    static readonly string[] Words = { "red", "blue", "shoe", "hat", "green", "coat", "warm", "cheap", "summer", "boot" };

    public static IDataView Catalog(MLContext ml)
    {
        var rng = new Random(11);
        float[] Vector(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, 12).Select(i => new PsuCatalogRow
        {
            ItemId = "c" + i,
            // Items 3 and 7 have no title, items 5 and 7 no attributes.
            Title = i is 3 or 7 ? "" : $"{Words[i % Words.Length]} {Words[(i * 3 + 1) % Words.Length]}",
            Attributes = i is 5 or 7 ? "" : $"cat_{i % 3} brand_{i % 4}",
            Image = Vector(3), TextVector = Vector(5),
        }).ToList());
    }

    /// <summary>Training rows: catalog items and two ids only the data has (d1, d2), queries from the catalog's words and one of their own.</summary>
    public static PsuTextRow[] TrainingRows(int count, int seed)
    {
        var rng = new Random(seed);
        var sideRng = new Random(seed + 7919); // its own stream, so the rows other tests rely on stay as they were
        string Item() => rng.Next(8) == 0 ? "d" + rng.Next(1, 3) : "c" + rng.Next(12);
        string Query() => rng.Next(3) == 0 ? "" : string.Join(' ', Enumerable.Range(0, rng.Next(1, 5)).Select(_ => rng.Next(12) == 0 ? "rare" : Words[rng.Next(Words.Length)]));
        return Enumerable.Range(0, count).Select(_ =>
        {
            var items = Enumerable.Range(0, rng.Next(0, 12)).Select(_ => Item()).ToArray();
            string target = Item();
            bool label = items.Contains(target) || rng.Next(4) == 0;
            return new PsuTextRow
            {
                HistoryItems = items, HistoryQueries = items.Select(_ => Query()).ToArray(),
                TargetItem = target, Query = Query(), Label = label,
                Side = Side(sideRng, items.Length, label),
            };
        }).ToArray();
    }

    /// <summary>History length, a popularity count up to 10^4 that leans towards positives, a signed value, a constant.</summary>
    static float[] Side(Random rng, int length, bool label) =>
        new[] { length, MathF.Round((float)Math.Pow(10, rng.NextDouble() * 4 + (label ? 0.5 : 0))), (float)(rng.NextDouble() * 6 - 3), 2f };

    /// <summary>Test rows: like training rows plus empty histories, unknown ids and unseen words.</summary>
    public static PsuTextRow[] TestRows(int count, int seed)
    {
        var rng = new Random(seed);
        var rows = TrainingRows(count, seed);
        foreach (var row in rows)
        {
            if (rng.Next(6) == 0) { row.HistoryItems = Array.Empty<string>(); row.HistoryQueries = Array.Empty<string>(); }
            if (rng.Next(5) == 0) row.TargetItem = "nowhere" + rng.Next(3);
            if (row.HistoryItems.Length > 0 && rng.Next(3) == 0) row.HistoryItems[rng.Next(row.HistoryItems.Length)] = "unseen";
            if (rng.Next(5) == 0) row.Query = "never seen words";
        }
        return rows;
    }

    public static SequenceFeaturizerOptions FeaturizerOptions() => new() { MaxHistory = 1000, MaxQueryTokens = QueryTokens, MaxTitleTokens = 4, MaxAttributes = 3 };

    /// <summary>Fits the featurizer; then marks some catalog items as lacking a modality vector (the catalog format has every vector).</summary>
    public static SequenceFeaturizerTransformer Featurizer(MLContext ml, IDataView training)
    {
        var featurizer = ml.Seminar().FeaturizeSequences(Catalog(ml), FeaturizerOptions()).Fit(training);
        var v = featurizer.Vocabularies;
        v.Content.Modalities[0].HasVector[v.Items.IndexOf("c2")] = false;
        v.Content.Modalities[0].HasVector[v.Items.IndexOf("c7")] = false;
        v.Content.Modalities[1].HasVector[v.Items.IndexOf("c7")] = false;
        v.Content.Modalities[1].HasVector[v.Items.IndexOf("c9")] = false;
        return featurizer;
    }

    public static PsuWeights RandomWeights(SequenceVocabularies v, int dimension, int heads, int topK, int seed, params int[] hidden) =>
        Weights(v, dimension, heads, topK, seed, 0, hidden);

    /// <summary>Random weights whose head also reads <see cref="SideFeatures"/> side features (random means, scales in [0.5, 2]).</summary>
    public static PsuWeights RandomSideWeights(SequenceVocabularies v, int dimension, int heads, int topK, int seed, params int[] hidden) =>
        Weights(v, dimension, heads, topK, seed, SideFeatures, hidden);

    static PsuWeights Weights(SequenceVocabularies v, int dimension, int heads, int topK, int seed, int side, int[] hidden)
    {
        var rng = new Random(seed);
        int d = dimension;
        float[] Uniform(long n, double scale) => Enumerable.Range(0, checked((int)n)).Select(_ => (float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();
        DenseLayer Layer(int outputs, int inputs) => new(Uniform((long)outputs * inputs, Math.Sqrt(3.0 / inputs)), Uniform(outputs, 0.2));
        var modalities = v.Content.Modalities;
        int itemModalities = 3 + modalities.Count;
        var transforms = new float[(itemModalities + 1) * d * d];
        for (int m = 0; m <= itemModalities; m++)
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++)
                    transforms[m * d * d + i * d + j] = (i == j ? 1f : 0f) + (float)((rng.NextDouble() * 2 - 1) * 0.2);
        var widths = new[] { 3 * d + side }.Concat(hidden).Append(1).ToArray();
        return new PsuWeights
        {
            Dimension = d, Heads = heads, TopK = topK,
            ItemIds = Uniform((long)v.Items.Size * d, 1),
            Tokens = Uniform((long)v.Tokens.Size * d, 1),
            Attributes = Uniform((long)v.Attributes.Size * d, 1),
            Projections = modalities.Select(m => Layer(d, m.Dimension)).ToArray(),
            GateLogits = Uniform(itemModalities, 1),
            ModalityTransforms = transforms,
            QueryWeightLogit = 0.4f,
            // Scaled so relevance scores spread over a few units: softmax weights differ and top-K matters.
            AttentionQuery = Uniform(heads * d * d, Math.Sqrt(6.0 / d)),
            AttentionKey = Uniform(heads * d * d, Math.Sqrt(6.0 / d)),
            AttentionValue = Uniform(heads * d * d, Math.Sqrt(3.0 / d)),
            AttentionOutput = Layer(d, heads * d),
            EmptyInterest = Uniform(d, 1),
            Head = Enumerable.Range(0, widths.Length - 1).Select(i => Layer(widths[i + 1], widths[i])).ToArray(),
            SideMean = side == 0 ? null : Uniform(side, 2),
            SideScale = side == 0 ? null : Uniform(side, 0.75).Select(x => x + 1.25f).ToArray(),
        };
    }

    /// <summary>Random rows in index space: padding, unknown ids, duplicates, queries with inner zeros, lengths around K and far beyond.</summary>
    public static PsuIndexRow[] IndexRows(SequenceVocabularies v, int topK, int count, int seed)
    {
        var rng = new Random(seed);
        var sideRng = new Random(seed + 7919);
        int items = v.Items.Size, tokens = v.Tokens.Size, t = v.MaxQueryTokens;
        long[] Query()
        {
            var q = new long[t];
            if (rng.Next(3) == 0) return q; // empty
            for (int i = 0; i < t; i++) q[i] = rng.Next(3) == 0 ? 0 : rng.Next(1, tokens);
            return q;
        }
        int[] lengths = { 0, 1, 2, topK - 1, topK, topK + 1, 3 * topK, 40, 150 };
        return Enumerable.Range(0, count).Select(r =>
        {
            int length = r < lengths.Length ? lengths[r] : lengths[rng.Next(lengths.Length)];
            var history = new List<long>();
            var queries = new List<long>();
            for (int l = 0; l < length; l++)
            {
                if (l > 0 && rng.Next(5) == 0)
                {
                    // A duplicate behaviour: same item and query as an earlier one, so equal scores.
                    int from = rng.Next(l);
                    history.Add(history[from]);
                    queries.AddRange(queries.Skip(from * t).Take(t).ToArray());
                    continue;
                }
                int kind = rng.Next(12);
                history.Add(kind == 0 ? 0 : kind == 1 ? Vocabulary.Unknown : rng.Next(2, items));
                queries.AddRange(Query());
            }
            if (r == 2) history[0] = history[1] = 0; // padding only: an empty history
            return new PsuIndexRow
            {
                Side = Side(sideRng, length, sideRng.Next(2) == 0),
                SeminarHistoryItems = history.ToArray(), SeminarHistoryQueryTokens = queries.ToArray(),
                SeminarTargetItem = new[] { rng.Next(4) == 0 ? (long)Vocabulary.Unknown : rng.Next(1, items) },
                SeminarQueryTokens = Query(),
            };
        }).ToArray();
    }
}
