using Microsoft.ML;
using Seminar.MLNet.Tests.PsuScoring;
using Seminar.MLNet.Training.PsuTraining;
using Seminar.MLNet.Training.Runtime;
using static TorchSharp.torch;

namespace Seminar.MLNet.Tests.PsuTraining;

/// <summary>Side features and head dropout while training: bad input refused at fit, dropout only while fine-tuning in training mode.</summary>
public class PsuSideTrainingTests
{
    static PsuEmbeddingOptions Small() => new()
    {
        Dimension = 8, Heads = 2, TopK = 4, HeadLayers = new[] { 8 }, PretrainingMaxEpoch = 1, MaxEpoch = 1, BatchSize = 32, SideFeaturesColumnName = "Side",
    };

    [Fact]
    public void Missing_mistyped_or_non_finite_side_features_are_refused_at_fit_naming_the_column_and_row()
    {
        var ml = new MLContext(2);
        var rows = PsuFixtures.TrainingRows(100, 51);
        rows[7].Side[1] = float.NaN;
        var data = ml.Data.LoadFromEnumerable(rows);
        var featurized = ml.Seminar().FeaturizeSequences(PsuFixtures.Catalog(ml), PsuFixtures.FeaturizerOptions()).Fit(data).Transform(data);

        var nan = Assert.Throws<InvalidOperationException>(() => ml.Seminar().PsuEmbedding(Small()).Fit(featurized));
        Assert.StartsWith("Row 7: Side feature column 'Side' holds NaN at component 1: side features must be finite.", nan.Message);

        var o = Small();
        o.SideFeaturesColumnName = "Nowhere";
        var missing = Assert.Throws<ArgumentException>(() => ml.Seminar().PsuEmbedding(o).Fit(featurized));
        Assert.StartsWith("Side feature column 'Nowhere' is missing; set SideFeaturesColumnName = null to train without side features.", missing.Message);
        o.SideFeaturesColumnName = "SeminarHistoryItems";
        var mistyped = Assert.Throws<ArgumentException>(() => ml.Seminar().PsuEmbedding(o).Fit(featurized));
        Assert.StartsWith("Side feature column 'SeminarHistoryItems' must be a known-size vector of Single", mistyped.Message);

        foreach (double p in new[] { -0.1, 1.0, double.NaN })
        {
            var bad = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Seminar().PsuEmbedding(new PsuEmbeddingOptions { HeadDropout = p }));
            Assert.StartsWith("HeadDropout must be in [0, 1).", bad.Message);
        }
    }

    [Fact]
    public void Head_dropout_applies_only_while_fine_tuning_in_training_mode()
    {
        var ml = new MLContext(2);
        var data = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(40, 61));
        var featurizer = PsuFixtures.Featurizer(ml, data);
        var v = featurizer.Vocabularies;
        var o = Small();
        var rows = new PsuRowReader(featurizer.Transform(data), o, o.LabelColumnName, 100, v.MaxQueryTokens).Rows(true).ToList();
        using var content = new ItemContentTensors(v.Content);
        // libtorch's generator is process-wide: seeding, initialising and the dropout masks here would otherwise draw from
        // it while another test class trains, and change that training's numbers.
        using var exclusive = TorchRuntime.Exclusive();
        manual_seed(3);
        using var network = new PsuNetwork(v, content, 8, 2, 4, new[] { 16, 16 }, sideScaling: (new float[4], Enumerable.Repeat(1f, 4).ToArray()), headDropout: 0.5);
        using var _ = no_grad();
        var batch = new PsuBatch(rows, v.MaxQueryTokens);
        float[] Logits() => network.Score(batch).Logit.data<float>().ToArray();

        network.train();
        Assert.Equal(Logits(), Logits());          // pretraining: no dropout
        network.UnfreezeModalityTransforms();      // fine-tuning begins
        Assert.NotEqual(Logits(), Logits());       // training mode: a fresh mask each pass
        network.eval();
        var scored = Logits();
        Assert.Equal(scored, Logits());            // scoring: none
        network.train();
        network.UnfreezeModalityTransforms();
        network.eval();
        Assert.Equal(scored, Logits());
    }
}
