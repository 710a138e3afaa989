using System.Buffers.Binary;
using System.Text.Json;
using Seminar.MLNet.Evaluation.Reporting;
using Seminar.MLNet.Tests.Support;
using SkiaSharp;

namespace Seminar.MLNet.Tests.Evaluation;

public class EvaluationPlotsTests
{
    static readonly byte[] PngSignature = { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A };

    static EvaluationReport Report(bool curves = true) => new()
    {
        Dataset = "synthetic",
        Models =
        {
            ["fasttree_baseline"] = new ModelReport { Auc = 0.6612 },
            ["seminar_neural"] = new ModelReport { Auc = 0.7034 },
            ["fasttree_seminar"] = new ModelReport { Auc = 0.7291 },
            ["fasttree_seminar_pq"] = new ModelReport { Auc = 0.7268 },
        },
        Curves = curves ? new RetrievalCurvesReport
        {
            K = 50, Requests = 500, MeanLength = 812,
            Lengths = new[]
            {
                new RetrievalLengthPoint { Length = 100, Requests = 64, ExactMicroseconds = 9.5, PqMicroseconds = 6.1, Speedup = 1.56, Recall = 1 },
                new RetrievalLengthPoint { Length = 1_000, Requests = 64, ExactMicroseconds = 61, PqMicroseconds = 14, Speedup = 4.36, Recall = 0.93 },
                new RetrievalLengthPoint { Length = 10_000, Requests = 26, ExactMicroseconds = 720, PqMicroseconds = 75, Speedup = 9.6, Recall = 0.91 },
            },
            Recall = new[] { 10, 20, 50, 100, 200 }.Select((k, i) => new RetrievalRecallPoint { K = k, Recall = 0.85 + 0.03 * i }).ToArray(),
        } : null,
    };

    /// <summary>A real PNG: signature, IHDR size, decodes in full, and shows more than a blank canvas.</summary>
    static void AssertPlot(string path)
    {
        Assert.True(File.Exists(path), path);
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 10_000, $"{Path.GetFileName(path)}: {bytes.Length} bytes is too small for a drawn plot");
        Assert.Equal(PngSignature, bytes.Take(8));
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(EvaluationPlots.Width, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)));
        Assert.Equal(EvaluationPlots.Height, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        Assert.Equal((EvaluationPlots.Width, EvaluationPlots.Height), (bitmap.Width, bitmap.Height));
        var colors = new HashSet<SKColor>();
        for (int y = 0; y < bitmap.Height; y += 3)
            for (int x = 0; x < bitmap.Width; x += 3)
                colors.Add(bitmap.GetPixel(x, y));
        Assert.True(colors.Count > 20, $"{Path.GetFileName(path)}: only {colors.Count} colours");
    }

    [Fact]
    public void Plots_write_all_three_PNGs_for_a_report_with_curves()
    {
        using var tmp = new TempFolder();
        string folder = tmp.File("out/plots");
        var written = EvaluationPlots.Write(Report(), folder);
        Assert.Equal(new[] { EvaluationPlots.AucFileName, EvaluationPlots.CostFileName, EvaluationPlots.RecallFileName }, written.Select(Path.GetFileName));
        Assert.All(written, p => Assert.Equal(Path.GetFullPath(folder), Path.GetDirectoryName(p)));
        foreach (var path in written) AssertPlot(path);
    }

    [Fact]
    public void Plots_skip_what_the_report_lacks()
    {
        using var tmp = new TempFolder();
        var onlyAuc = EvaluationPlots.Write(Report(curves: false), tmp.File("a"));
        Assert.Equal(new[] { EvaluationPlots.AucFileName }, onlyAuc.Select(Path.GetFileName));
        AssertPlot(onlyAuc[0]);
        Assert.Single(Directory.GetFiles(tmp.File("a")));

        var noLengths = Report();
        noLengths.Curves!.Lengths = Array.Empty<RetrievalLengthPoint>();
        Assert.Equal(new[] { EvaluationPlots.AucFileName, EvaluationPlots.RecallFileName }, EvaluationPlots.Write(noLengths, tmp.File("b")).Select(Path.GetFileName));

        var nothing = new EvaluationReport();
        Assert.Empty(EvaluationPlots.Write(nothing, tmp.File("c")));
    }

    [Fact]
    public void Plots_draw_a_model_without_a_finite_AUC()
    {
        using var tmp = new TempFolder();
        var report = Report(curves: false);
        report.Models["broken"] = new ModelReport { Auc = double.NaN };
        AssertPlot(Assert.Single(EvaluationPlots.Write(report, tmp.Path)));
    }

    [Fact]
    public void Auc_plot_shows_mean_and_std_error_bars_when_there_are_several_seeds()
    {
        var report = Report(curves: false);
        Assert.All(BarsOf(report), b => Assert.Equal(0, b.Error));
        foreach (var (m, i) in report.Models.Values.Select((m, i) => (m, i)))
        {
            m.Seeds = 3;
            m.AucStd = 0.001 * (i + 1);
        }
        report.Models["broken"] = new ModelReport { Auc = double.NaN, AucStd = double.NaN, Seeds = 3 };
        var bars = BarsOf(report);
        Assert.Equal(new[] { 0.001, 0.002, 0.003, 0.004, 0 }, bars.Select(b => Math.Round(b.Error, 9)));
        Assert.Equal("0.6612\n±0.0010", bars[0].Label);
        Assert.Equal("n/a", bars[4].Label);
        using var tmp = new TempFolder();
        AssertPlot(Assert.Single(EvaluationPlots.Write(report, tmp.Path)));
    }

    static ScottPlot.Bar[] BarsOf(EvaluationReport report) =>
        EvaluationPlots.AucPlot(report)!.GetPlottables().OfType<ScottPlot.Plottables.BarPlot>().Single().Bars.ToArray();

    [Fact]
    public void Plots_renderer_native_library_comes_with_the_build()
    {
        // SkiaSharp's native library is a NuGet asset copied beside the tests, not a system package.
        string native = OperatingSystem.IsLinux() ? "libSkiaSharp.so" : OperatingSystem.IsMacOS() ? "libSkiaSharp.dylib" : "libSkiaSharp.dll";
        Assert.NotEmpty(Directory.GetFiles(AppContext.BaseDirectory, native, SearchOption.AllDirectories));
    }

    [Fact]
    public void Curves_section_uses_snake_case_names_and_is_left_out_when_null()
    {
        var report = Report();
        using var doc = JsonDocument.Parse(report.ToJson());
        var curves = doc.RootElement.GetProperty("curves");
        Assert.Equal(new[] { "k", "requests", "mean_length", "lengths", "recall" }, curves.EnumerateObject().Select(p => p.Name));
        Assert.Equal(new[] { "length", "requests", "exact_us", "pq_us", "speedup", "recall@k" }, curves.GetProperty("lengths")[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal(new[] { "k", "recall@k", "requests", "recall_all_lengths" }, curves.GetProperty("recall")[0].EnumerateObject().Select(p => p.Name));
        var back = EvaluationReport.FromJson(report.ToJson());
        Assert.Equal(report.ToJson(), back.ToJson());
        Assert.Equal(720, back.Curves!.Lengths[2].ExactMicroseconds);

        using var without = JsonDocument.Parse(Report(curves: false).ToJson());
        Assert.False(without.RootElement.TryGetProperty("curves", out _));
    }
}
