using Seminar.MLNet.Datasets.Synthetic;
using Seminar.MLNet.Evaluation;
using Seminar.MLNet.Evaluation.Models;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Tests.Support;
using Seminar.MLNet.Training.PsuTraining;
using Xunit.Abstractions;

namespace Seminar.MLNet.Tests.PsuTraining;

[Trait("Category", "Slow")]
public class PretrainingHelpsTests(ITestOutputHelper output)
{
    /// <summary>
    /// Synthetic data with cold items (20% of the catalog, engaged with only in the first half of the timeline)
    /// and training samples from the second half, as in the demo: cold ids reach the model only as history.
    /// Pretraining on the histories embeds them (next-pair prediction, alignment with their content); a network
    /// fine-tuned from scratch sees them only through attention gradients. Same data, split and seed.
    /// </summary>
    [Fact]
    public void Pretraining_raises_the_test_AUC_of_seminar_neural_over_training_from_scratch()
    {
        using var tmp = new TempFolder();
        SyntheticDatasetGenerator.Generate(tmp.Path, new SyntheticDatasetOptions { Users = 150, Items = 1500, MeanEventsPerUser = 300, Seed = 5 });
        double Auc(bool pretrain)
        {
            var options = new EvaluationOptions
            {
                TrainFromQuantile = 0.5, MaxHistory = 1000, Seed = 3, Models = new[] { SeminarNeural.ModelName },
                Psu = new PsuEmbeddingOptions { Pretrain = pretrain },
            };
            var m = Evaluator.Run(tmp.Path, options).Report.Models[SeminarNeural.ModelName];
            output.WriteLine($"pretrain={pretrain}: AUC {m.Auc:F4}, GAUC {m.Gauc:F4}, LogLoss {m.LogLoss:F4}, {m.TrainSeconds:F0} s");
            return m.Auc;
        }

        // The size of the gain is a claim for evaluate's intervals over seeds, not for one run; one seeded run must only not lose.
        double pretrained = Auc(true), scratch = Auc(false);
        Assert.True(pretrained > scratch, $"pretrained AUC {pretrained:F4} vs from scratch {scratch:F4}");
    }
}
