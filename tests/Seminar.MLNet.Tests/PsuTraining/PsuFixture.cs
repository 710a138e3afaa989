using Microsoft.ML;
using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Datasets.Synthetic;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.PsuTraining;

/// <summary>A small synthetic dataset, split and featurized: what the PSU tests train and score on.</summary>
public sealed class PsuFixture : IDisposable
{
    readonly TempFolder _folder = new();

    public PsuFixture(SyntheticDatasetOptions? data = null, EvaluationOptions? evaluation = null, int maxHistory = 400)
    {
        Ml = new MLContext(seed: 3);
        SyntheticDatasetGenerator.Generate(_folder.Path, data ?? new SyntheticDatasetOptions { Users = 40, Items = 400, MeanEventsPerUser = 120, Seed = 5 });
        var dataset = CanonicalDataset.Open(_folder.Path);
        Split = SampleBuilder.Build(EventLog.Load(dataset), evaluation ?? new EvaluationOptions());
        Train = new SampleDataView(Split.Train);
        Test = new SampleDataView(Split.Test);
        Featurizer = Ml.Seminar().FeaturizeSequences(new CatalogDataView(dataset, new DataIssues()), new SequenceFeaturizerOptions { MaxHistory = maxHistory }).Fit(Train);
        FeaturizedTrain = Featurizer.Transform(Train);
        FeaturizedTest = Featurizer.Transform(Test);
    }

    public MLContext Ml { get; }
    public SampleSplit Split { get; }
    public SampleDataView Train { get; }
    public SampleDataView Test { get; }
    public SequenceFeaturizerTransformer Featurizer { get; }
    public SequenceVocabularies Vocabularies => Featurizer.Vocabularies;
    public IDataView FeaturizedTrain { get; }
    public IDataView FeaturizedTest { get; }
    public string Folder => _folder.Path;

    public void Dispose() => _folder.Dispose();
}
