using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Tests.PsuScoring;

/// <summary>The head's side features (the ranking tower's context, user, item and user–item counts) in the C# path and the ONNX graph.</summary>
public class PsuSideFeatureTests
{
    const int D = 12, Heads = 3, TopK = 5;
    static readonly PsuColumnOptions Columns = new() { SideFeaturesColumnName = "Side" };

    static SequenceVocabularies Vocabularies()
    {
        var ml = new MLContext(1);
        return PsuFixtures.Featurizer(ml, ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(60, 2))).Vocabularies;
    }

    [Fact]
    public void Scaling_compresses_with_a_signed_log_and_standardises_with_the_population_deviation()
    {
        // Compressed: ln 1 = 0, ln 4, −ln 4 for the first feature; the second is constant, so its scale is 1.
        var (mean, scale) = SideFeatureScaling.Fit(new[] { new[] { 0f, 5f }, new[] { 3f, 5f }, new[] { -3f, 5f } }, 2);
        double l4 = Math.Log(4);
        Assert.Equal(0, mean[0], 6);
        Assert.Equal(Math.Sqrt(2 * l4 * l4 / 3), scale[0], 5);
        Assert.Equal(Math.Log(6), mean[1], 5);
        Assert.Equal(1f, scale[1]);
        var z = new float[2];
        SideFeatureScaling.Standardise(new[] { 3f, 5f }, mean, scale, z);
        Assert.Equal(l4 / Math.Sqrt(2 * l4 * l4 / 3), z[0], 5);
        Assert.Equal(0, z[1], 6);
    }

    [Fact]
    public void Scorer_with_side_features_matches_the_naive_spec_and_the_onnx_graph()
    {
        var ml = new MLContext(1);
        var v = Vocabularies();
        var weights = PsuFixtures.RandomSideWeights(v, D, Heads, TopK, 3, 8);
        var scorer = new PsuRowScorer(new PsuScoringModel(weights, v), Columns);
        var naive = new NaivePsu(weights, v);
        var target = new float[D];
        var interest = new float[D];
        var rows = PsuFixtures.IndexRows(v, TopK, 300, 4);
        int moved = 0;
        for (int r = 0; r < rows.Length; r++)
        {
            var row = rows[r];
            float score = scorer.Score(row.SeminarHistoryItems, row.SeminarHistoryQueryTokens, row.SeminarTargetItem[0], row.SeminarQueryTokens, row.Side, target, interest);
            var expected = naive.Score(row.SeminarHistoryItems, row.SeminarHistoryQueryTokens, row.SeminarTargetItem[0], row.SeminarQueryTokens, row.Side);
            Assert.True(Math.Abs(expected.Score - score) <= 1e-5 * Math.Max(1, Math.Abs(expected.Score)), $"row {r}: expected {expected.Score}, got {score}");
            var other = row.Side.Select(s => s + 1).ToArray();
            if (Math.Abs(scorer.Score(row.SeminarHistoryItems, row.SeminarHistoryQueryTokens, row.SeminarTargetItem[0], row.SeminarQueryTokens, other, target, interest) - score) > 1e-3) moved++;
        }
        Assert.True(moved > rows.Length / 2, "the side features must change the score");

        var data = ml.Data.LoadFromEnumerable(rows);
        var psu = PsuEmbeddingTransformer.Create(ml, weights, v, Columns, data);
        PsuOutputs.AssertClose(PsuOutputs.Read(psu.Transform(data)), PsuOutputs.Read(psu.Persisted.Transform(data)), 1e-4, "fast vs ONNX");
    }

    [Fact]
    public void Wrong_size_missing_or_non_finite_side_features_fail_naming_the_column()
    {
        var ml = new MLContext(1);
        var v = Vocabularies();
        var weights = PsuFixtures.RandomSideWeights(v, D, Heads, TopK, 3, 8);
        var scorer = new PsuRowScorer(new PsuScoringModel(weights, v), Columns);
        var row = PsuFixtures.IndexRows(v, TopK, 1, 4)[0];
        var target = new float[D];
        var interest = new float[D];
        var e = Assert.Throws<ArgumentException>(() => scorer.Score(row.SeminarHistoryItems, row.SeminarHistoryQueryTokens, 2, row.SeminarQueryTokens, new float[3], target, interest));
        Assert.StartsWith("Side feature column 'Side' holds 3 values; the PSU was trained with 4.", e.Message);
        e = Assert.Throws<ArgumentException>(() => scorer.Score(row.SeminarHistoryItems, row.SeminarHistoryQueryTokens, 2, row.SeminarQueryTokens, new[] { 1f, float.NaN, 0, 0 }, target, interest));
        Assert.StartsWith("Side feature column 'Side' holds NaN at component 1: side features must be finite.", e.Message);

        var shortSide = ml.Data.LoadFromEnumerable(new[] { new ShortSideRow() });
        e = Assert.Throws<ArgumentException>(() => PsuEmbeddingTransformer.Create(ml, weights, v, Columns, shortSide));
        Assert.StartsWith("Side feature column 'Side' holds 3 values; the PSU was trained with 4.", e.Message);
        var rows = PsuFixtures.IndexRows(v, TopK, 8, 4);
        e = Assert.Throws<ArgumentException>(() => PsuEmbeddingTransformer.Create(ml, weights, v, new PsuColumnOptions(), ml.Data.LoadFromEnumerable(rows)));
        Assert.StartsWith("The PSU was trained with 4 side features, but no side feature column is set", e.Message);

        rows[5].Side[2] = float.PositiveInfinity;
        var data = ml.Data.LoadFromEnumerable(rows);
        var psu = PsuEmbeddingTransformer.Create(ml, weights, v, Columns, data);
        var bad = Assert.Throws<InvalidOperationException>(() => PsuOutputs.Read(psu.Transform(data)));
        Assert.StartsWith("Row 5: Side feature column 'Side' holds ∞ at component 2", bad.Message.Replace("Infinity", "∞"));
    }

    public sealed class ShortSideRow
    {
        public long[] SeminarHistoryItems { get; set; } = Array.Empty<long>();
        public long[] SeminarHistoryQueryTokens { get; set; } = Array.Empty<long>();
        [VectorType(1)] public long[] SeminarTargetItem { get; set; } = { 2 };
        [VectorType(PsuFixtures.QueryTokens)] public long[] SeminarQueryTokens { get; set; } = new long[PsuFixtures.QueryTokens];
        [VectorType(3)] public float[] Side { get; set; } = new float[3];
    }
}
