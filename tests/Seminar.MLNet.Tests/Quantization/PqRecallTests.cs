using Seminar.MLNet.Datasets.Synthetic;
using Seminar.MLNet.Evaluation;
using Seminar.MLNet.Evaluation.Models;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Tests.Support;
using Seminar.MLNet.Training.PsuTraining;
using Xunit.Abstractions;

namespace Seminar.MLNet.Tests.Quantization;

[Trait("Category", "Slow")]
public class PqRecallTests(ITestOutputHelper output)
{
    /// <summary>
    /// A PSU pretrained on synthetic lifelong histories, quantized with 256 centroids on 4-dim sub-spaces (D = 64, 16
    /// sub-spaces per code set): on the test histories the approximate top-K per head keeps most of the exact top-K,
    /// and far more than lossy codes would (the same setup with 4 centroids is the control).
    /// </summary>
    [Fact]
    public void Approximate_top_K_recalls_the_exact_top_K_on_synthetic_test_histories()
    {
        using var tmp = new TempFolder();
        SyntheticDatasetGenerator.Generate(tmp.Path, new SyntheticDatasetOptions { Users = 120, Items = 1500, MeanEventsPerUser = 300, Seed = 7 });
        double Recall(int centroids)
        {
            var options = new EvaluationOptions
            {
                TrainFromQuantile = 0.5, MaxHistory = 1000, Seed = 3, Models = new[] { FastTreeSeminar.PqModelName }, PqRequests = 500,
                Psu = new PsuEmbeddingOptions { PretrainingMaxEpoch = 1, MaxEpoch = 1 },
                Pq = new PqAttentionOptions { Quantizer = new ProductQuantizerOptions { SubSpaces = 16, Centroids = centroids } },
            };
            var pq = Evaluator.Run(tmp.Path, options).Report.Pq!;
            output.WriteLine($"{centroids} centroids: recall@{pq.K} {pq.RecallAtK:F4} over {pq.Requests} requests of mean length {pq.MeanLength:F0}; {pq.BytesPerBehaviour} bytes per behaviour");
            Assert.Equal(500, pq.Requests);
            Assert.True(pq.MeanLength > 2 * pq.K, $"histories must be longer than K for recall to mean anything (mean {pq.MeanLength:F0})");
            return pq.RecallAtK;
        }

        double full = Recall(256), coarse = Recall(4);
        Assert.True(full > 0.9, $"recall@K with 256 centroids: {full:F4}");
        Assert.True(coarse < full - 0.1, $"4 centroids must recall less: {coarse:F4} vs {full:F4}");
    }
}
