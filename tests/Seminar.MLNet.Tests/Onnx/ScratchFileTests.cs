using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Tests.PsuScoring;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Onnx;

/// <summary>
/// Issue 17, case 4: fitting, saving and loading a featurizer -> PSU -> PQ pipeline leaves no file behind in the folder
/// the graphs are written to (the context's <see cref="MLContext.TempFilePath"/>), and never uses a shared folder.
/// </summary>
public sealed class ScratchFileTests : IDisposable
{
    readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    static string[] Listing(string folder) => Directory.Exists(folder)
        ? Directory.EnumerateFileSystemEntries(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray()
        : Array.Empty<string>();

    /// <summary>A fitted featurizer -> PSU (random weights) -> PQ chain and its training rows.</summary>
    static (TransformerChain<ITransformer> Model, IDataView Training) FeaturizerPsuPq(MLContext ml, int seed)
    {
        var training = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(40, seed));
        var featurizer = PsuFixtures.Featurizer(ml, training);
        var featurized = featurizer.Transform(training);
        var v = featurizer.Vocabularies;
        var psu = PsuEmbeddingTransformer.Create(ml, PsuFixtures.RandomWeights(v, 8, 2, 3, 6, 4), v, new PsuColumnOptions(), featurized);
        var pq = ml.Seminar().PqAttention(new PqAttentionOptions { Quantizer = new ProductQuantizerOptions { SubSpaces = 2, Centroids = 16, Iterations = 5 }, Seed = 1 })
            .Fit(psu.Transform(featurized));
        return (new TransformerChain<ITransformer>(featurizer, psu, pq), training);
    }

    [Fact]
    public void Fit_save_and_load_leave_the_temp_folder_as_it_was()
    {
        string scratch = Path.Combine(_dir.Path, "tmp");
        Directory.CreateDirectory(scratch);
        string shared = Path.Combine(Path.GetTempPath(), "seminar-mlnet");
        var sharedBefore = Listing(shared);

        var ml = new MLContext(5) { TempFilePath = scratch };
        var (model, training) = FeaturizerPsuPq(ml, 5);
        var featurizer = (SequenceFeaturizerTransformer)model.First();
        Assert.Empty(Listing(scratch)); // fitted: the graphs were read and their files removed
        // Why each save builds its own OnnxTransformer: ML.NET's rereads its model file when saved, and that file is gone.
        Assert.ThrowsAny<IOException>(() => ml.Model.Save(featurizer.Persisted, training.Schema, Path.Combine(_dir.Path, "persisted.zip")));

        string zip = Path.Combine(_dir.Path, "model.zip");
        ml.Model.Save(model, training.Schema, zip);
        Assert.Empty(Listing(scratch));
        var fitted = model.Transform(training).GetColumn<float[]>("SeminarPqScore").ToArray();

        // Stock loading writes ONNX Runtime's copies to the same folder; disposing the loaded model removes them.
        var loaded = ml.Model.Load(zip, out _);
        var scores = loaded.Transform(training).GetColumn<float[]>("SeminarPqScore").ToArray();
        for (int r = 0; r < fitted.Length; r++) Assert.Equal(fitted[r][0], scores[r][0], 1e-4f);
        ((IDisposable)loaded).Dispose();
        model.Dispose();

        Assert.Empty(Listing(scratch));
        Assert.Equal(sharedBefore, Listing(shared));
    }

    [Fact]
    public void Fast_loading_leaves_nothing_in_the_temp_folder_even_when_the_model_is_never_disposed()
    {
        string scratch = Path.Combine(_dir.Path, "tmp");
        Directory.CreateDirectory(scratch);
        var ml = new MLContext(6) { TempFilePath = scratch };
        var (model, training) = FeaturizerPsuPq(ml, 6);
        string zip = Path.Combine(_dir.Path, "model.zip");
        ml.Model.Save(model, training.Schema, zip);
        var fitted = model.Transform(training).GetColumn<float[]>("SeminarPqScore").ToArray();

        // The stock loader inside LoadModel writes a copy of every graph here; the SEMINAR stages' copies go with their
        // stock sessions as soon as the C# transformers replace them, so an app that never disposes its model leaks nothing.
        var fast = (TransformerChain<ITransformer>)ml.Seminar().LoadModel(zip, out var fastSchema);
        Assert.Empty(Listing(scratch));
        var scores = fast.Transform(training).GetColumn<float[]>("SeminarPqScore").ToArray();
        for (int r = 0; r < fitted.Length; r++) Assert.Equal(fitted[r][0], scores[r][0], 1e-5f);
        Assert.Empty(Listing(scratch));

        // The ONNX form is still there on demand, built from the bytes in memory, and agrees with the C# scores.
        var loadedPq = fast.OfType<PqAttentionTransformer>().Single();
        var onnx = loadedPq.Persisted.Transform(fast.OfType<PsuEmbeddingTransformer>().Single().Transform(fast.First().Transform(training)))
            .GetColumn<float[]>("SeminarPqScore").ToArray();
        for (int r = 0; r < fitted.Length; r++) Assert.Equal(fitted[r][0], onnx[r][0], 1e-4f);
        Assert.Empty(Listing(scratch));
        fast.Dispose();
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => loadedPq.Persisted);
        // Disposed, it still saves: the same graphs, which score as before.
        string again = Path.Combine(_dir.Path, "again.zip");
        ml.Model.Save(fast, fastSchema, again);
        using var reloaded = (TransformerChain<ITransformer>)ml.Seminar().LoadModel(again, out _);
        var rescored = reloaded.Transform(training).GetColumn<float[]>("SeminarPqScore").ToArray();
        for (int r = 0; r < fitted.Length; r++) Assert.Equal(scores[r][0], rescored[r][0]);
        Assert.Empty(Listing(scratch));
    }
}
