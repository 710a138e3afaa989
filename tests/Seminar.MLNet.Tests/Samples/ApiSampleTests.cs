using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Samples;

[Trait("Category", "Slow")]
public class ApiSampleTests
{
    [Fact]
    public void Api_sample_trains_evaluates_saves_and_the_loaded_zip_predicts_the_sampled_row_as_the_fitted_model_does()
    {
        using var tmp = new TempFolder();
        // The dataset the sample generates when run without arguments.
        string data = ApiSample.GenerateSyntheticDataset(tmp.File("data"));
        var log = new StringWriter();

        var result = ApiSample.Run(data, tmp.File("out"), log);

        double auc = result.Metrics.AreaUnderRocCurve;
        Assert.True(double.IsFinite(auc) && auc > 0.5, $"AUC {auc}");
        Assert.True(double.IsFinite(result.Metrics.LogLoss), $"log-loss {result.Metrics.LogLoss}");
        Assert.Equal(tmp.File(Path.Combine("out", "ctr.zip")), result.ZipPath);
        Assert.True(new FileInfo(result.ZipPath).Length > 0, "the model zip must exist and hold the model");
        Assert.Contains($"model written to {result.ZipPath}", log.ToString());

        Assert.True(float.IsFinite(result.InMemory.Score) && result.InMemory.Probability is > 0 and < 1, $"{result.InMemory.Score} / {result.InMemory.Probability}");
        Assert.Equal(result.InMemory.Score, result.FromZip.Score, 1e-5);
        Assert.Equal(result.InMemory.Probability, result.FromZip.Probability, 1e-5);
    }
}
