using Microsoft.ML;
using Microsoft.ML.Runtime;
using Seminar.MLNet.Tests.PsuScoring;
using Seminar.MLNet.Tests.Support;
using Seminar.MLNet.Training.PsuTraining;
using static TorchSharp.torch;

namespace Seminar.MLNet.Tests.PsuTraining;

public class PsuTrainedParityTests
{
    /// <summary>
    /// A trained network (pretrained and fine-tuned, so G, gates and the query weight have moved off their
    /// initial values) scores the same in TorchSharp, in the C# path and in the stock-loaded zip.
    /// </summary>
    [Fact]
    public void TorchSharp_forward_the_CSharp_path_and_the_stock_loaded_zip_agree_on_every_output()
    {
        var o = new PsuEmbeddingOptions { Dimension = 12, Heads = 2, TopK = 4, HeadLayers = new[] { 10 }, PretrainingMaxEpoch = 2, MaxEpoch = 2, BatchSize = 32 };
        AssertParity(o, 400, 300, (weights, _, _, torchRows) =>
        {
            Assert.NotEqual(1f, weights.ModalityTransforms[0]);   // G moved off the identity while fine-tuning
            Assert.Contains(torchRows, r => r[1].SequenceEqual(weights.EmptyInterest));   // empty histories are in the test rows
        });
    }

    /// <summary>
    /// With side features (a count up to 10^4, a signed value, a constant) the head reads them, fitted statistics and all, the same in
    /// TorchSharp, C# and the stock-loaded zip. Pretraining leaves the head's side columns at zero (it feeds zeros there); fine-tuning
    /// trains them.
    /// </summary>
    [Fact]
    public void With_side_features_TorchSharp_the_CSharp_path_and_the_stock_loaded_zip_agree()
    {
        var o = new PsuEmbeddingOptions
        {
            Dimension = 12, Heads = 2, TopK = 4, HeadLayers = new[] { 10 }, PretrainingMaxEpoch = 1, MaxEpoch = 2, BatchSize = 32,
            SideFeaturesColumnName = "Side", HeadDropout = 0.2,
        };
        AssertParity(o, 400, 300, (weights, pretrained, _, _) =>
        {
            int d = o.Dimension, s = PsuFixtures.SideFeatures, inputs = 3 * d + s;
            // Statistics of the compressed training values, by hand in double.
            var training = PsuFixtures.TrainingRows(400, 21).Select(r => r.Side).ToArray();
            for (int j = 0; j < s; j++)
            {
                var c = training.Select(x => Math.Sign(x[j]) * Math.Log(1 + Math.Abs((double)x[j]))).ToArray();
                double mean = c.Average(), sd = Math.Sqrt(c.Select(x => (x - mean) * (x - mean)).Average());
                Assert.Equal(mean, weights.SideMean![j], 4);
                Assert.Equal(sd > 1e-6 ? sd : 1, weights.SideScale![j], 4);
            }
            Assert.Equal(1f, weights.SideScale![3]);   // the constant feature
            Assert.Equal(inputs, weights.Head[0].Inputs);
            bool SideColumnsZero(Seminar.MLNet.PsuWeights w) =>
                Enumerable.Range(0, w.Head[0].Outputs).All(r => Enumerable.Range(3 * d, s).All(c => w.Head[0].Weight[r * inputs + c] == 0));
            Assert.True(SideColumnsZero(pretrained!), "pretraining feeds zeros to the side columns, which start and stay at zero");
            Assert.False(SideColumnsZero(weights), "fine-tuning trains the side columns");
        });
    }

    /// <summary>
    /// Trains on <paramref name="trainingRows"/> fixture rows, then checks the TorchSharp forward pass against the C# path and the
    /// stock-loaded zip (1e-4) on <paramref name="testRows"/> test rows; <paramref name="check"/> sees the weights, the weights pretraining
    /// left (null without fine-tuning), the test rows and the TorchSharp outputs.
    /// </summary>
    internal static void AssertParity(PsuEmbeddingOptions o, int trainingRows, int testRows,
        Action<Seminar.MLNet.PsuWeights, Seminar.MLNet.PsuWeights?, List<PsuRow>, List<float[][]>> check)
    {
        var ml = new MLContext(4);
        var training = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(trainingRows, 21));
        var featurizer = PsuFixtures.Featurizer(ml, training);
        var v = featurizer.Vocabularies;
        var featurized = featurizer.Transform(training);

        var reader = new PsuRowReader(featurized, o, o.LabelColumnName, o.TrainingMaxHistory, v.MaxQueryTokens);
        var summary = new PsuTrainer.DataSummary(trainingRows, 1, 1, 0);
        using var channel = ((IHostEnvironment)ml).Start("test");
        using var content = new ItemContentTensors(v.Content);
        using var network = new PsuTrainer(reader, summary, v, o, seed: 5, channel).Train(content, out var pretrained);
        var weights = PsuWeightsExport.From(network);
        var psu = PsuEmbeddingTransformer.Create(ml, weights, v, o, featurized);

        var test = ml.Data.LoadFromEnumerable(PsuFixtures.TestRows(testRows, 22));
        var featurizedTest = featurizer.Transform(test);
        var fast = PsuOutputs.Read(psu.Transform(featurizedTest));

        var rows = new PsuRowReader(featurizedTest, o, null, int.MaxValue, v.MaxQueryTokens).Rows(false).ToList();
        if (weights.SideFeatures > 0)
        {
            // A reader standardises with the statistics of the rows it reads; scoring uses the training rows' (in the weights).
            var raw = PsuFixtures.TestRows(testRows, 22);
            rows = rows.Select((r, i) => WithSide(r, raw[i].Side, weights)).ToList();
        }
        var torchRows = Torch(network, rows, v.MaxQueryTokens);
        check(weights, pretrained, rows, torchRows);
        string what = o.Retrieval.Name;
        PsuOutputs.AssertClose(torchRows, fast, 1e-4, $"{what}: TorchSharp vs C#");

        using var tmp = new TempFolder();
        ml.Model.Save(new Microsoft.ML.Data.TransformerChain<ITransformer>(featurizer, psu), training.Schema, tmp.File("psu.zip"));
        var stock = new MLContext(9).Model.Load(tmp.File("psu.zip"), out _).Transform(test);
        PsuOutputs.AssertClose(torchRows, PsuOutputs.Read(stock), 1e-4, $"{what}: TorchSharp vs stock-loaded ONNX");
    }

    static PsuRow WithSide(PsuRow r, float[] raw, Seminar.MLNet.PsuWeights w)
    {
        var side = new float[raw.Length];
        Seminar.MLNet.PsuScoring.SideFeatureScaling.Standardise(raw, w.SideMean, w.SideScale, side);
        return new PsuRow { Items = r.Items, QueryTokens = r.QueryTokens, Target = r.Target, TargetQuery = r.TargetQuery, Label = r.Label, Position = r.Position, Side = side };
    }

    static List<float[][]> Torch(PsuNetwork network, List<PsuRow> rows, int queryTokens)
    {
        var result = new List<float[][]>();
        network.eval();
        using var _ = no_grad();
        foreach (var chunk in rows.Chunk(50))
        {
            using var scope = NewDisposeScope();
            var batch = new PsuBatch(chunk, queryTokens);
            using var hold = CollectorHold.Enter();
            var (t, o, logit) = network.Score(batch);
            for (int i = 0; i < chunk.Length; i++)
                result.Add(new[] { t[i].data<float>().ToArray(), o[i].data<float>().ToArray(), new[] { logit[i].item<float>() } });
        }
        return result;
    }
}
