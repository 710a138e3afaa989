using Microsoft.ML;
using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Datasets.Converters;
using Seminar.MLNet.Datasets.Synthetic;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Featurization;

public class RealDataFeaturizerTests
{
    /// <summary>Fits on the training split, then checks every output of up to <paramref name="rows"/> test rows in three ways.</summary>
    static SequenceVocabularies FitAndCheckParity(string folder, int rows, SequenceFeaturizerOptions options)
    {
        var ml = new MLContext(1);
        var dataset = CanonicalDataset.Open(folder);
        var split = SampleBuilder.Build(EventLog.Load(dataset), new EvaluationOptions());
        var train = new SampleDataView(split.Train);
        var test = ml.Data.TakeRows(new SampleDataView(split.Test), rows);
        var model = ml.Seminar().FeaturizeSequences(new CatalogDataView(dataset, new DataIssues()), options).Fit(train);

        var fast = FeaturizerOutputs.Read(model.Transform(test));
        Assert.Equal(Math.Min(rows, split.Test.Count), fast.Count);
        FeaturizerOutputs.AssertIdentical(fast, FeaturizerOutputs.Read(model.Persisted.Transform(test)), "fast vs ONNX");
        using var tmp = new TempFolder();
        ml.Model.Save(model, train.Schema, tmp.File("f.zip"));
        FeaturizerOutputs.AssertIdentical(fast, FeaturizerOutputs.Read(new MLContext(9).Model.Load(tmp.File("f.zip"), out _).Transform(test)), "fast vs stock load");

        // Every kept behaviour is a known item: the event log only has items the vocabulary saw (catalog or data).
        for (int r = 0; r < fast.Count; r++)
        {
            Assert.Equal(Math.Min(split.Test.History(r).Length, options.MaxHistory), fast[r][2][0]);
            Assert.Equal(fast[r][2][0], fast[r][0].Length);
            Assert.Equal(fast[r][0].Length * options.MaxQueryTokens, fast[r][1].Length);
        }
        return model.Vocabularies;
    }

    [Fact]
    public void Ml100k_histories_featurize_identically_in_every_path()
    {
        using var tmp = new TempFolder();
        new RecBoleConverter().Convert(RepositoryPaths.Dataset("ml-100k"), tmp.Path, new DataIssues());
        var v = FitAndCheckParity(tmp.Path, 1500, new SequenceFeaturizerOptions { MaxHistory = 200 });
        Assert.Equal(1682, v.CatalogItems);
        Assert.Equal(1682 + Vocabulary.Reserved, v.Items.Size);  // every rated movie is in the catalog
        // Titles share the token vocabulary: "Toy Story (1995)" style titles give "story" its own index.
        Assert.NotEqual(Vocabulary.Unknown, v.Tokens.IndexOf("story"));
        Assert.Contains(v.Attributes.Entries, a => a.StartsWith("class_", StringComparison.Ordinal));
    }

    [Fact]
    public void Jdsearch_queries_and_titles_share_term_ids_and_featurize_identically()
    {
        using var tmp = new TempFolder();
        new JdSearchConverter().Convert(RepositoryPaths.Dataset("jdsearch-sample"), tmp.Path, new DataIssues());
        var v = FitAndCheckParity(tmp.Path, 200, new SequenceFeaturizerOptions());
        Assert.Equal(409, v.CatalogItems);
        // History behaviours reference products outside the 409-product sample: they get their own indices.
        Assert.True(v.Items.Size > 409 + Vocabulary.Reserved);
        Assert.True(v.ItemsOutsideCatalog > 0);
    }

    [Fact]
    public void Synthetic_data_with_modalities_featurizes_identically_and_fills_content_tables()
    {
        using var tmp = new TempFolder();
        SyntheticDatasetGenerator.Generate(tmp.Path, new SyntheticDatasetOptions { Users = 30, Items = 300, MeanEventsPerUser = 200, Seed = 8 });
        var v = FitAndCheckParity(tmp.Path, 400, new SequenceFeaturizerOptions { MaxHistory = 64 });
        Assert.Equal(new[] { "image", "text" }, v.Content.Modalities.Select(m => m.Name));
        Assert.Equal(new[] { 48, 32 }, v.Content.Modalities.Select(m => m.Dimension));
        Assert.All(v.Content.Modalities, m => Assert.Equal(300, m.HasVector.Count(h => h)));
    }
}
