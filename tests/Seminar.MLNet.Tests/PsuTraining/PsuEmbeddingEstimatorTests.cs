using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Tests.PsuScoring;
using Seminar.MLNet.Tests.Support;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Tests.PsuTraining;

public class PsuEmbeddingEstimatorTests
{
    static PsuEmbeddingOptions Small() => new() { Dimension = 8, Heads = 2, TopK = 4, HeadLayers = new[] { 8 }, PretrainingMaxEpoch = 1, MaxEpoch = 1, BatchSize = 32 };

    [Fact]
    public void Featurizer_PSU_and_FastTree_fit_as_one_pipeline_save_and_load_with_identical_scores()
    {
        var ml = new MLContext(2);
        var training = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(300, 31));
        var pipeline = ml.Seminar().FeaturizeSequences(PsuFixtures.Catalog(ml), PsuFixtures.FeaturizerOptions())
            .Append(ml.Seminar().PsuEmbedding(Small()))
            .Append(ml.Transforms.Concatenate("Features", "SeminarInterest", "SeminarScore"))
            .Append(ml.BinaryClassification.Trainers.FastTree(numberOfTrees: 10, minimumExampleCountPerLeaf: 2));
        var model = pipeline.Fit(training);
        Assert.Contains(model, t => t is PsuEmbeddingTransformer);

        var test = ml.Data.LoadFromEnumerable(PsuFixtures.TestRows(120, 32));
        var scores = model.Transform(test).GetColumn<float>("Score").ToArray();
        using var tmp = new TempFolder();
        ml.Model.Save(model, training.Schema, tmp.File("ctr.zip"));
        var loaded = new MLContext(5).Model.Load(tmp.File("ctr.zip"), out _);
        var reloaded = loaded.Transform(test).GetColumn<float>("Score").ToArray();
        Assert.Equal(scores.Length, reloaded.Length);
        for (int i = 0; i < scores.Length; i++) Assert.True(Math.Abs(scores[i] - reloaded[i]) < 1e-4, $"row {i}: {scores[i]} vs {reloaded[i]}");
    }

    [Fact]
    public void Same_seed_and_data_give_the_same_weights()
    {
        var ml = new MLContext(2);
        var training = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(200, 41));
        var featurized = ml.Seminar().FeaturizeSequences(PsuFixtures.Catalog(ml), PsuFixtures.FeaturizerOptions()).Fit(training).Transform(training);
        var a = new MLContext(7).Seminar().PsuEmbedding(Small()).Fit(featurized).Weights;
        var b = new MLContext(7).Seminar().PsuEmbedding(Small()).Fit(featurized).Weights;
        var c = new MLContext(8).Seminar().PsuEmbedding(Small()).Fit(featurized).Weights;
        Assert.Equal(a.ItemIds, b.ItemIds);
        Assert.Equal(a.Head[0].Weight, b.Head[0].Weight);
        Assert.NotEqual(a.ItemIds, c.ItemIds);
    }

    [Fact]
    public void Bad_input_is_refused_with_a_message_that_names_the_problem()
    {
        var ml = new MLContext(2);
        var rows = PsuFixtures.TrainingRows(100, 51);
        var featurizer = ml.Seminar().FeaturizeSequences(PsuFixtures.Catalog(ml), PsuFixtures.FeaturizerOptions());

        // Constant label.
        foreach (var r in rows) r.Label = true;
        var constant = featurizer.Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
        var e = Assert.Throws<InvalidOperationException>(() => ml.Seminar().PsuEmbedding(Small()).Fit(constant));
        Assert.StartsWith("Label column 'Label' is constant (100 positive, 0 negative rows)", e.Message);

        // Missing label column.
        var noLabel = ml.Transforms.DropColumns("Label").Fit(constant).Transform(constant);
        var missing = Assert.Throws<ArgumentException>(() => ml.Seminar().PsuEmbedding(Small()).Fit(noLabel));
        Assert.StartsWith("Label column 'Label' is missing; set LabelColumnName = null to pretrain without labels.", missing.Message);
        // ... which is fine when pretraining only.
        var o = Small();
        o.LabelColumnName = null;
        Assert.NotNull(ml.Seminar().PsuEmbedding(o).Fit(noLabel).Weights);

        // Input that did not come from the featurizer's fast path: no vocabularies to embed with.
        var plain = ml.Data.LoadFromEnumerable(new[] { new PsuIndexRow() });
        var none = Assert.Throws<InvalidOperationException>(() => ml.Seminar().PsuEmbedding(Small()).Fit(plain));
        Assert.StartsWith("No sequence vocabularies found on column 'SeminarHistoryItems'.", none.Message);

        // NaN in a modality vector of the catalog.
        rows[0].Label = false;
        var fitted = featurizer.Fit(ml.Data.LoadFromEnumerable(rows));
        var image = fitted.Vocabularies.Content.Modalities[0];
        image.Values[fitted.Vocabularies.Items.IndexOf("c4") * image.Dimension + 1] = float.NaN;
        var nan = Assert.Throws<InvalidOperationException>(() => ml.Seminar().PsuEmbedding(Small()).Fit(fitted.Transform(ml.Data.LoadFromEnumerable(rows))));
        Assert.StartsWith($"Catalog column 'Image' holds NaN at item index {fitted.Vocabularies.Items.IndexOf("c4")}, component 1", nan.Message);

        // Options out of range.
        var bad = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Seminar().PsuEmbedding(new PsuEmbeddingOptions { TopK = 0 }));
        Assert.Contains("TopK must be at least 1.", bad.Message);
    }
}
