using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Evaluation.Models;
using Seminar.MLNet.Evaluation.Reporting;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.Tests.Featurization;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Cli;

/// <summary>
/// Issue 17, "the CLI disposes what it loads": <c>evaluate</c>'s round trip (save the zip, load it with stock
/// <c>Model.Load</c>, re-score) must dispose the loaded chain, whose ONNX stages each keep a copy of their graph in the
/// context's temp folder until then.
/// </summary>
public class RoundTripDisposalTests
{
    [Fact]
    public void The_round_trip_disposes_the_loaded_chain_and_leaves_no_onnx_copies()
    {
        using var tmp = new TempFolder();
        string scratch = tmp.File("scratch");
        Directory.CreateDirectory(scratch);
        var ml = new MLContext(3) { TempFilePath = scratch };
        var rng = new Random(4);
        string[] items = { "a", "b", "c" };
        var rows = Enumerable.Range(0, 60).Select(_ =>
        {
            var history = Enumerable.Range(0, rng.Next(0, 6)).Select(_ => items[rng.Next(3)]).ToArray();
            string target = items[rng.Next(3)];
            return new InputRow { HistoryItems = history, HistoryQueries = history.Select(_ => "red shoe").ToArray(), TargetItem = target, Query = "hat", Label = history.Contains(target) };
        }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var catalog = ml.Data.LoadFromEnumerable(new[] { new CatalogRow { ItemId = "a", Title = "Red Shoe" }, new CatalogRow { ItemId = "b", Title = "hat" } });
        var model = ml.Seminar().FeaturizeSequences(catalog, new SequenceFeaturizerOptions { MaxHistory = 4, MaxQueryTokens = 2 })
            .Append(ml.Transforms.Conversion.ConvertType(new[] { new InputOutputColumnPair("LengthF", "SeminarHistoryLength"), new InputOutputColumnPair("TargetF", "SeminarTargetItem") }, DataKind.Single))
            .Append(ml.Transforms.Concatenate("Features", "LengthF", "TargetF"))
            .Append(ml.BinaryClassification.Trainers.FastTree(numberOfTrees: 5, minimumExampleCountPerLeaf: 2))
            .Fit(data);
        var probabilities = model.Transform(data).GetColumn<float>("Probability").ToArray();
        string zip = tmp.File("chain.zip");

        var report = RoundTrip.Measure(ml, new ModelRun("chain", model, probabilities, new ModelReport()), "Probability", data.Schema, data, zip);

        Assert.Equal(60, report.Rows);
        Assert.InRange(report.StockLoadMaxAbsDiff, 0.0, 1e-5);
        Assert.Equal(0.0, report.FastLoadMaxAbsDiff);
        Assert.True(File.Exists(zip));
        // The stock-loaded featurizer is an OnnxTransformer, which wrote its graph here; disposed, it deleted it.
        Assert.Empty(Directory.EnumerateFileSystemEntries(scratch));
    }
}
