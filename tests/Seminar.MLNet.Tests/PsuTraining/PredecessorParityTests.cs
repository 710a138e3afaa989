using Microsoft.ML;
using Microsoft.ML.Runtime;
using Seminar.MLNet.MLNet;
using Seminar.MLNet.Retrieval.Strategies;
using Seminar.MLNet.Tests.PsuScoring;
using Seminar.MLNet.Tests.Support;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Tests.PsuTraining;

/// <summary>
/// Each predecessor's search, trained as a strategy of the PSU network (pretrained and fine-tuned for one epoch each), scores the
/// same in TorchSharp, in the C# path and in the stock-loaded ONNX graph. Small K, window and hash widths so every search narrows the
/// 0–11 behaviour histories, and ties (repeated items, equal Hamming distances) occur.
/// </summary>
public class PredecessorParityTests
{
    static PsuEmbeddingOptions Options(RetrievalStrategy strategy) => new()
    {
        Dimension = 12, Heads = 2, TopK = 3, HeadLayers = new[] { 10 }, PretrainingEpochs = 1, FineTuningEpochs = 1, BatchSize = 32,
        RetrievalStrategy = strategy, RecentWindow = 4, SimHashBits = 16, HashFunctions = 4, BitsPerFunction = 2,
    };

    [Theory]
    [InlineData(RetrievalStrategy.Recent)]
    [InlineData(RetrievalStrategy.SoftSearch)]
    [InlineData(RetrievalStrategy.SimHash)]
    [InlineData(RetrievalStrategy.HashCollision)]
    public void TorchSharp_the_CSharp_path_and_the_stock_loaded_zip_agree(RetrievalStrategy strategy)
    {
        var ml = new MLContext(4);
        var training = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(300, 21));
        var featurizer = PsuFixtures.Featurizer(ml, training);
        var v = featurizer.Vocabularies;
        var featurized = featurizer.Transform(training);
        var o = Options(strategy);

        var reader = new PsuRowReader(featurized, o, o.LabelColumn, o.TrainingMaxHistory, v.MaxQueryTokens);
        using var channel = ((IHostEnvironment)ml).Start("test");
        using var content = new ItemContentTensors(v.Content);
        using var network = new PsuTrainer(reader, new PsuTrainer.DataSummary(300, 1, 1, 0), v, o, seed: 5, channel).Train(content);
        var weights = PsuWeightsExport.From(network);
        Assert.Equal(strategy, weights.Strategy);
        var psu = PsuEmbeddingTransformer.Create(ml, weights, v, o, featurized);

        var test = ml.Data.LoadFromEnumerable(PsuFixtures.TestRows(200, 22));
        var featurizedTest = featurizer.Transform(test);
        var rows = new PsuRowReader(featurizedTest, o, null, int.MaxValue, v.MaxQueryTokens).Rows(false).ToList();
        var torchRows = PsuTrainedParityTests.Torch(network, rows, v.MaxQueryTokens);
        if (strategy == RetrievalStrategy.HashCollision)   // some history collides with its target under no function: the empty interest
            Assert.Contains(Enumerable.Range(0, rows.Count), r => rows[r].Length > 0 && torchRows[r][1].SequenceEqual(weights.EmptyInterest));
        PsuOutputs.AssertClose(torchRows, PsuOutputs.Read(psu.Transform(featurizedTest)), 1e-4, $"{strategy}: TorchSharp vs C#");

        using var tmp = new TempFolder();
        ml.Model.Save(new Microsoft.ML.Data.TransformerChain<ITransformer>(featurizer, psu), training.Schema, tmp.File("psu.zip"));
        var stock = new MLContext(9).Model.Load(tmp.File("psu.zip"), out _).Transform(test);
        PsuOutputs.AssertClose(torchRows, PsuOutputs.Read(stock), 1e-4, $"{strategy}: TorchSharp vs stock-loaded ONNX");
    }
}
