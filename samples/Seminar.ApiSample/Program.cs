using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet;
using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Datasets.Synthetic;
using Seminar.MLNet.Evaluation.Protocol;

// Usage: Seminar.ApiSample [dataset folder] [output folder]
// Without a dataset folder a small synthetic one is generated, so the sample runs anywhere.
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string data = args.Length > 0 ? args[0] : ApiSample.GenerateSyntheticDataset(Path.Combine(Path.GetTempPath(), "seminar-api-sample-data"));
string output = args.Length > 1 ? args[1] : "seminar-api-sample";
ApiSample.Run(data, output, Console.Out);

/// <summary>Trains, evaluates, saves, loads and uses a CTR model with SEMINAR features in one ML.NET pipeline.</summary>
public static class ApiSample
{
    /// <param name="datasetFolder">A canonical dataset folder (items.tsv, events.tsv, dataset.json, features/).</param>
    /// <param name="outputFolder">Where the model zip goes.</param>
    /// <param name="log">Where the results are printed.</param>
    public static ApiSampleResult Run(string datasetFolder, string outputFolder, TextWriter log)
    {
        var ml = new MLContext(seed: 1);

        // The protocol turns the event log into samples in SEMINAR's column contract (HistoryItems,
        // HistoryQueries, TargetItem, Query, Label) split by time, so the test split is the future.
        // Training samples come from the later half of the timeline: older behaviour is only ever history.
        var dataset = CanonicalDataset.Open(datasetFolder);
        var events = EventLog.Load(dataset);
        var split = SampleBuilder.Build(events, new EvaluationOptions { TrainFromQuantile = 0.5 });
        var train = new SampleDataView(split.Train);
        var test = new SampleDataView(split.Test);
        var catalog = new CatalogDataView(dataset, new DataIssues());
        log.WriteLine($"{dataset.Manifest.Name}: {events.Count:N0} events, {split.Train.Count:N0} training and {split.Test.Count:N0} test samples");

        // The features the app already has; SEMINAR's outputs go to the trees beside them.
        string[] appFeatures = BaselineFeatures.Names;
        Directory.CreateDirectory(outputFolder);
        string zip = Path.GetFullPath(Path.Combine(outputFolder, "ctr.zip"));
        var clock = Stopwatch.StartNew();

        // The README's pipeline, word for word (a test holds the two to each other).
        #region README pipeline
        // ml: an MLContext. catalog: the items (ItemId, Title, Attributes and any Single vector columns: modalities).
        // train: rows in SEMINAR's column contract (HistoryItems, HistoryQueries, TargetItem, Query, Label) with the
        // app's own feature columns (appFeatures). zip: where the model goes.
        var pipeline = ml.Seminar().FeaturizeSequences(catalog)
            // Pretraining only (no label column): a PSU fine-tuned on the trees' own training rows hands them
            // over-confident features. A small network on one libtorch thread: about a minute on 2 cores.
            .Append(ml.Seminar().PsuEmbedding(new PsuEmbeddingOptions { LabelColumnName = null, Dimension = 32, Heads = 2, TopK = 20, Threads = 1 }))
            .Append(ml.Seminar().PqAttention())                  // codebooks + approximate target attention
            .Append(ml.Transforms.Concatenate("Features", ["SeminarPqInterest", "SeminarPqScore", .. appFeatures]))
            .Append(ml.BinaryClassification.Trainers.FastTree());
        var model = pipeline.Fit(train);
        ml.Model.Save(model, train.Schema, zip);               // an ordinary ML.NET model zip
        var loaded = new MLContext().Model.Load(zip, out _);   // stock ML.NET loads it: no registration, no TorchSharp
        #endregion
        log.WriteLine($"fitted and saved in {clock.Elapsed.TotalSeconds:F0} s; model written to {zip}");

        var metrics = ml.BinaryClassification.Evaluate(model.Transform(test));
        log.WriteLine($"test: AUC {metrics.AreaUnderRocCurve:F4}, log-loss {metrics.LogLoss:F4} bits (reduction {metrics.LogLossReduction:F4}), " +
                      $"accuracy {metrics.Accuracy:F4}, F1 {metrics.F1Score:F4}");

        // One request as an app would send it; the zip must score it as the fitted model does.
        var request = ml.Data.CreateEnumerable<CtrInput>(test, reuseRowObject: false).First(r => r.HistoryItems.Length > 0);
        var inMemory = ml.Model.CreatePredictionEngine<CtrInput, CtrPrediction>(model).Predict(request);
        var fromZip = ml.Model.CreatePredictionEngine<CtrInput, CtrPrediction>(loaded).Predict(request);
        // Stock-loaded ONNX stages keep a copy of their graph in the temp folder until the model is disposed.
        (loaded as IDisposable)?.Dispose();
        log.WriteLine($"user {request.UserId}: {request.HistoryItems.Length} past behaviours, target {request.TargetItem}, " +
                      $"query '{request.Query}', clicked {request.Label}");
        log.WriteLine($"  fitted model: score {inMemory.Score:F6}, probability {inMemory.Probability:F6}");
        log.WriteLine($"  loaded zip:   score {fromZip.Score:F6}, probability {fromZip.Probability:F6}");
        return new ApiSampleResult(metrics, zip, inMemory, fromZip);
    }

    /// <summary>Writes the built-in synthetic dataset into <paramref name="folder"/> and returns the folder.</summary>
    public static string GenerateSyntheticDataset(string folder, int users = 120, int items = 1_000, int eventsPerUser = 200)
    {
        SyntheticDatasetGenerator.Generate(folder, new SyntheticDatasetOptions { Users = users, Items = items, MeanEventsPerUser = eventsPerUser });
        return folder;
    }
}

/// <summary>What <see cref="ApiSample.Run"/> measured.</summary>
public sealed record ApiSampleResult(CalibratedBinaryClassificationMetrics Metrics, string ZipPath, CtrPrediction InMemory, CtrPrediction FromZip);

/// <summary>One request: the user's lifelong history, the target, and the features the app already has.</summary>
public sealed class CtrInput
{
    public string UserId { get; set; } = "";
    /// <summary>Items the user engaged with, oldest first.</summary>
    public string[] HistoryItems { get; set; } = [];
    /// <summary>The search query of each behaviour, same length; empty for browsing.</summary>
    public string[] HistoryQueries { get; set; } = [];
    public string TargetItem { get; set; } = "";
    public string Query { get; set; } = "";
    public bool Label { get; set; }
    public float HistoryLength { get; set; }
    public float TargetInHistory { get; set; }
    public float AttributeShare { get; set; }
    public float ItemPopularity { get; set; }
    public float UserPositiveRate { get; set; }
}

public sealed class CtrPrediction
{
    public float Score { get; set; }
    public float Probability { get; set; }
}
