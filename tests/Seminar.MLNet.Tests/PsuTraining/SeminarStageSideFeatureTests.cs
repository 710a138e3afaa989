using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Evaluation.Models;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Tests.PsuTraining;

/// <summary>The evaluation's SEMINAR stage gives the PSU head the baseline's count features (what FastTree sees).</summary>
public class SeminarStageSideFeatureTests
{
    [Fact]
    public void The_stage_concatenates_the_baseline_counts_into_the_side_feature_column_the_PSU_and_PQ_read()
    {
        Assert.True(new EvaluationOptions().SideFeatures);
        using var fixture = new PsuFixture();
        var psu = new PsuEmbeddingOptions
        {
            Dimension = 8, Heads = 2, TopK = 4, HeadLayers = new[] { 8 }, PretrainingMaxEpoch = 1, MaxEpoch = 1, Threads = 1,
            TrainingMaxHistory = 50, SideFeaturesColumnName = SeminarStage.SideFeaturesColumnName,
        };
        var pq = new PqAttentionOptions { Quantizer = new ProductQuantizerOptions { SubSpaces = 2, Centroids = 16, Iterations = 2 }, Seed = 1 };
        var catalog = new CatalogDataView(CanonicalDataset.Open(fixture.Folder), new DataIssues());
        var stage = new SeminarStage(catalog, new() { MaxHistory = 400 }, psu, pq);
        var model = (TransformerChain<ITransformer>)stage.Fit(fixture.Ml, fixture.Train);
        var trained = model.OfType<PsuEmbeddingTransformer>().Single();
        Assert.Equal(BaselineFeatures.Names.Length, trained.Weights.SideFeatures);
        Assert.Equal(SeminarStage.SideFeaturesColumnName, pq.SideFeaturesColumnName);

        // The side vector of each row is its baseline counts, in BaselineFeatures.Names order.
        var scored = stage.FitPretrainedPq(fixture.Ml, fixture.Train).Transform(fixture.Test);
        var side = scored.GetColumn<VBuffer<float>>(SeminarStage.SideFeaturesColumnName).Take(50).Select(v => v.DenseValues().ToArray()).ToArray();
        for (int f = 0; f < BaselineFeatures.Names.Length; f++)
        {
            var column = scored.GetColumn<float>(BaselineFeatures.Names[f]).Take(50).ToArray();
            for (int r = 0; r < column.Length; r++) Assert.Equal(column[r], side[r][f]);
        }
        Assert.Equal(50, scored.GetColumn<VBuffer<float>>("SeminarPqScore").Take(50).Count());
    }
}
