using System.Globalization;
using ScottPlot;

namespace Seminar.MLNet.Evaluation.Reporting;

/// <summary>
/// Draws the report's plots as PNG files (ScottPlot, headless): AUC per model, retrieval cost against history length
/// and recall against K. A plot whose data the report lacks is skipped.
/// </summary>
public static class EvaluationPlots
{
    /// <summary>File name of the AUC-per-model bar chart.</summary>
    public const string AucFileName = "auc_by_model.png";
    /// <summary>File name of the retrieval cost against history length plot.</summary>
    public const string CostFileName = "cost_vs_length.png";
    /// <summary>File name of the recall against K plot.</summary>
    public const string RecallFileName = "recall_vs_k.png";
    /// <summary>Width of every plot, pixels.</summary>
    public const int Width = 900;
    /// <summary>Height of every plot, pixels.</summary>
    public const int Height = 540;

    /// <summary>
    /// Writes every plot the report has data for into <paramref name="folder"/> (created if missing), replacing files
    /// of the same name: <see cref="AucFileName"/> when it has models, <see cref="CostFileName"/> when its curves have
    /// lengths, <see cref="RecallFileName"/> when its curves have recall points.
    /// </summary>
    /// <returns>The full paths written, in that order.</returns>
    public static IReadOnlyList<string> Write(EvaluationReport report, string folder)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        void Save(Plot? plot, string name)
        {
            if (plot is null) return;
            string path = Path.GetFullPath(Path.Combine(folder, name));
            plot.SavePng(path, Width, Height);
            written.Add(path);
        }
        Save(AucPlot(report), AucFileName);
        Save(CostPlot(report.Curves), CostFileName);
        Save(RecallPlot(report.Curves), RecallFileName);
        return written;
    }

    /// <summary>
    /// One bar per model, in report order, annotated with its AUC; a model without a finite AUC shows "n/a". With more than one seed
    /// the bar is the mean and carries an error bar of ± one standard deviation over seeds (the spread of a single training).
    /// </summary>
    internal static Plot? AucPlot(EvaluationReport report)
    {
        if (report.Models.Count == 0) return null;
        var models = report.Models.ToArray();
        bool seeds = models.Any(m => m.Value.Seeds > 1);
        double Spread(ModelReport m) => seeds && double.IsFinite(m.AucStd) ? m.AucStd : 0;
        var finite = models.Select(m => m.Value.Auc).Where(double.IsFinite).ToArray();
        double maxError = models.Where(m => double.IsFinite(m.Value.Auc)).Select(m => Spread(m.Value)).DefaultIfEmpty(0).Max();
        // Bars rise from a floor at or below 0.5 (chance), so differences between models stay visible.
        double floor = finite.Length == 0 ? 0 : Math.Clamp(Math.Floor((finite.Min() - maxError - 0.05) * 20) / 20, 0, 0.5);
        double top = finite.Length == 0 ? 1 : Math.Min(1, finite.Max() + maxError) + 0.05;
        var plot = new Plot();
        var bars = models.Select((m, i) => new Bar
        {
            Position = i,
            ValueBase = floor,
            Value = double.IsFinite(m.Value.Auc) ? m.Value.Auc : floor,
            Error = double.IsFinite(m.Value.Auc) ? Spread(m.Value) : 0,
            Label = !double.IsFinite(m.Value.Auc) ? "n/a"
                : seeds ? FormattableString.Invariant($"{m.Value.Auc:F4}\n±{Spread(m.Value):F4}") : m.Value.Auc.ToString("F4", CultureInfo.InvariantCulture),
            FillColor = plot.Add.Palette.GetColor(i),
        }).ToArray();
        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 14;
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(0, models.Length).Select(i => (double)i).ToArray(), models.Select(m => m.Key).ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        // Slanted names stay readable with a dozen models; the axis grows to hold the longest (about 8 px per character).
        plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 20 + 6 * models.Max(m => m.Key.Length);
        plot.Axes.SetLimitsY(floor, top);
        plot.Axes.SetLimitsX(-0.6, models.Length - 0.4);
        string what = seeds ? $"Test AUC per model, mean ± sd over {models.Max(m => m.Value.Seeds)} seeds" : "Test AUC per model";
        plot.Title(string.IsNullOrEmpty(report.Dataset) ? what : $"{what} ({report.Dataset})");
        plot.YLabel("AUC");
        return plot;
    }

    /// <summary>Exact and approximate GSU microseconds per request against history length, both axes log-scaled.</summary>
    internal static Plot? CostPlot(RetrievalCurvesReport? curves)
    {
        var points = curves?.Lengths.Where(p => p.Length > 0 && p.ExactMicroseconds > 0 && p.PqMicroseconds > 0).OrderBy(p => p.Length).ToArray();
        if (curves is null || points is null || points.Length == 0) return null;
        var plot = new Plot();
        double[] xs = points.Select(p => Math.Log10(p.Length)).ToArray();
        var exact = plot.Add.Scatter(xs, points.Select(p => Math.Log10(p.ExactMicroseconds)).ToArray());
        exact.LegendText = "exact (FMA scan of pair vectors)";
        var pq = plot.Add.Scatter(xs, points.Select(p => Math.Log10(p.PqMicroseconds)).ToArray());
        pq.LegendText = $"approximate (PQ codes): speed-up, recall@{curves.K}";
        foreach (var (p, x) in points.Zip(xs))
        {
            // Lengths up to 4K have no recall to show (NaN: recall is trivially high there).
            string recall = double.IsFinite(p.Recall) ? ", " + p.Recall.ToString("F2", CultureInfo.InvariantCulture) : "";
            var label = plot.Add.Text($"{p.Speedup.ToString("F1", CultureInfo.InvariantCulture)}x{recall}", x, Math.Log10(p.PqMicroseconds));
            label.LabelFontSize = 12;
            label.LabelAlignment = Alignment.UpperCenter;
            label.OffsetY = 8;
        }
        plot.Axes.Bottom.TickGenerator = LogTicks();
        plot.Axes.Left.TickGenerator = LogTicks();
        plot.Axes.Margins(0.15, 0.15);
        plot.Title("Retrieval cost per request against history length (one thread)");
        plot.XLabel("history length (behaviours, log scale)");
        plot.YLabel("µs per request (log scale)");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    /// <summary>Recall@K of approximate against exact retrieval for each K, with the model's K marked.</summary>
    internal static Plot? RecallPlot(RetrievalCurvesReport? curves)
    {
        var points = curves?.Recall.Where(p => p.K > 0 && double.IsFinite(p.Recall)).OrderBy(p => p.K).ToArray();
        if (curves is null || points is null || points.Length == 0) return null;
        var plot = new Plot();
        double[] xs = points.Select(p => Math.Log10(p.K)).ToArray();
        var line = plot.Add.Scatter(xs, points.Select(p => p.Recall).ToArray());
        line.LegendText = "approximate against exact top-K";
        foreach (var (p, x) in points.Zip(xs))
        {
            var label = plot.Add.Text(p.Recall.ToString("F3", CultureInfo.InvariantCulture), x, p.Recall);
            label.LabelFontSize = 12;
            label.LabelAlignment = Alignment.UpperCenter;
            label.OffsetY = 8;
        }
        if (curves.K > 0)
        {
            var model = plot.Add.VerticalLine(Math.Log10(curves.K));
            model.LinePattern = LinePattern.Dashed;
            model.LegendText = $"model K = {curves.K}";
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xs, points.Select(p => p.K.ToString(CultureInfo.InvariantCulture)).ToArray());
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(0.1);
        plot.Axes.SetLimitsY(0, 1.05);
        plot.Title($"Recall@K on {curves.Requests:N0} test requests (mean length {curves.MeanLength.ToString("F0", CultureInfo.InvariantCulture)})");
        plot.XLabel("K (behaviours kept per head, log scale)");
        plot.YLabel("recall@K");
        plot.ShowLegend(Alignment.LowerRight);
        return plot;
    }

    /// <summary>Ticks for an axis that holds log10 of the values: labels show the values, minor ticks at 2..9 of each decade.</summary>
    static ScottPlot.TickGenerators.NumericAutomatic LogTicks() => new()
    {
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
        LabelFormatter = v => Math.Pow(10, v).ToString("#,0.###", CultureInfo.InvariantCulture),
    };
}
