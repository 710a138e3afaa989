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

    [Fact]
    public void Fit_save_and_load_leave_the_temp_folder_as_it_was()
    {
        string scratch = Path.Combine(_dir.Path, "tmp");
        Directory.CreateDirectory(scratch);
        string shared = Path.Combine(Path.GetTempPath(), "seminar-mlnet");
        var sharedBefore = Listing(shared);

        var ml = new MLContext(5) { TempFilePath = scratch };
        var training = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(40, 5));
        var featurizer = PsuFixtures.Featurizer(ml, training);
        var featurized = featurizer.Transform(training);
        var v = featurizer.Vocabularies;
        var psu = PsuEmbeddingTransformer.Create(ml, PsuFixtures.RandomWeights(v, 8, 2, 3, 6, 4), v, new PsuColumnOptions(), featurized);
        var pq = ml.Seminar().PqAttention(new PqAttentionOptions { Quantizer = new ProductQuantizerOptions { SubSpaces = 2, Centroids = 16, Iterations = 5 }, Seed = 1 })
            .Fit(psu.Transform(featurized));
        var model = new TransformerChain<ITransformer>(featurizer, psu, pq);
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
}
