using System.Globalization;
using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Evaluation.Reporting;
using Spectre.Console;

namespace Seminar.Cli.Terminal;

/// <summary>Prints a report as a results table, and input issues as counted warnings.</summary>
static class ReportPrinter
{
    public static void PrintReport(EvaluationReport report)
    {
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(report.Dataset)}[/]: {report.Users:N0} users, {report.Items:N0} items, " +
            $"{report.Samples.Train:N0} train / {report.Samples.Test:N0} test samples, history mean {report.History.Mean:F1} max {report.History.Max:N0}");
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var h in new[] { "model", "AUC", "GAUC", "LogLoss", "HIT@10", "NDCG@10", "MRR", "train s", "score us/row" })
            table.AddColumn(new TableColumn(h).RightAligned());
        int seeds = report.Models.Values.Select(m => m.Seeds).DefaultIfEmpty(1).Max();
        foreach (var (name, m) in report.Models)
            table.AddRow(Markup.Escape(name), Mean(m.Auc, m.AucStd, seeds), Mean(m.Gauc, m.GaucStd, seeds), Mean(m.LogLoss, m.LogLossStd, seeds),
                Mean(m.HitAt10, m.HitAt10Std, seeds), Mean(m.NdcgAt10, m.NdcgAt10Std, seeds), Mean(m.Mrr, m.MrrStd, seeds),
                m.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture), m.ScoreMicrosPerRow.ToString("F1", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        if (seeds > 1)
            AnsiConsole.MarkupLine($"[grey]Each metric: mean ± standard deviation over {seeds} seeds (same split); train s and score us/row: means.[/]");
        PrintComparisons(report.Comparisons, seeds);
        if (report.Pq is { } pq)
            AnsiConsole.MarkupLine(FormattableString.Invariant(
                $"approximate retrieval on {pq.Requests:N0} test histories (mean length {pq.MeanLength:F0}): recall@{pq.K} {Recall(pq.RecallAtK)} over the {pq.RecallRequests:N0} of at least {pq.RecallMinLength:N0} behaviours ({pq.RecallAllLengths:F4} over all), exact {pq.ExactMicroseconds:F1} us vs PQ {pq.PqMicroseconds:F1} us per request (speed-up {pq.SpeedupVsExact:F2}x), {pq.BytesPerBehaviour:F0} bytes per behaviour vs {pq.ExactBytesPerBehaviour:F0}"));
        if (report.Curves is { } curves)
        {
            foreach (var p in curves.Lengths)
                AnsiConsole.MarkupLine(FormattableString.Invariant(
                    $"  history length {p.Length:N0}: exact {p.ExactMicroseconds:F1} us, PQ {p.PqMicroseconds:F1} us ({p.Speedup:F2}x), recall@{curves.K} {Recall(p.Recall)}"));
            if (curves.Recall.Count > 0)
                AnsiConsole.MarkupLine("  recall@K by K: " + string.Join(", ", curves.Recall.Select(r => FormattableString.Invariant($"{r.K}: {Recall(r.Recall)}"))) +
                    " (histories longer than 4K only)");
        }
        if (report.Roundtrip is { } rt)
            AnsiConsole.MarkupLine(FormattableString.Invariant(
                $"save/load: {Markup.Escape(rt.Model)} saved as a zip and loaded with stock Model.Load scores {rt.Rows:N0} test rows within {rt.StockLoadMaxAbsDiff:G3} of the fitted pipeline") +
                (rt.FastLoadMaxAbsDiff is double fast ? FormattableString.Invariant($"; fast-loaded (Seminar().LoadModel, C# stages) within {fast:G3}") : ""));
    }

    /// <summary>
    /// The comparisons whose 95% interval excludes 0: over seeds when there are several, else (one seed) the bootstrap over test
    /// users, which measures test-set noise only. The other interval is shown beside it.
    /// </summary>
    static void PrintComparisons(IReadOnlyList<ComparisonReport> comparisons, int seeds)
    {
        static bool Excludes0(double? low, double? high) => low > 0 || high < 0;
        var clear = comparisons.Where(c => seeds > 1 ? Excludes0(c.Low, c.High) : Excludes0(c.BootstrapLow, c.BootstrapHigh)).ToArray();
        if (comparisons.Count == 0) return;
        string basis = seeds > 1 ? $"paired over {seeds} seeds" : "bootstrap over test users, one seed";
        AnsiConsole.MarkupLine($"Differences whose 95% interval ({basis}) excludes 0: {clear.Length} of {comparisons.Count}" + (clear.Length > 0 ? ":" : "."));
        foreach (var c in clear)
        {
            string seedPart = c.Low is { } lo && c.High is { } hi ? FormattableString.Invariant($"seeds [{lo:+0.0000;-0.0000}, {hi:+0.0000;-0.0000}]") : "";
            string bootPart = c.BootstrapLow is { } bl && c.BootstrapHigh is { } bh ? FormattableString.Invariant($"users [{bl:+0.0000;-0.0000}, {bh:+0.0000;-0.0000}]") : "";
            AnsiConsole.MarkupLine(Markup.Escape(FormattableString.Invariant(
                $"  {c.Model} - {c.Against} {c.Metric}: {c.Difference:+0.0000;-0.0000} {string.Join(", ", new[] { seedPart, bootPart }.Where(p => p.Length > 0))}")));
        }
    }

    public static void PrintIssues(DataIssues issues)
    {
        foreach (var (kind, count, examples) in issues.Summary())
            AnsiConsole.MarkupLine($"[yellow]warning:[/] {count:N0} x {Markup.Escape(kind)} (e.g. {Markup.Escape(string.Join("; ", examples))})");
    }

    static string Mean(double mean, double std, int seeds) =>
        seeds > 1 && !double.IsNaN(mean) ? $"{F(mean)}±{std.ToString("F4", CultureInfo.InvariantCulture)}" : F(mean);

    static string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F4", CultureInfo.InvariantCulture);

    /// <summary>A recall, or "n/a" when no history was long enough to count (NaN).</summary>
    static string Recall(double value) => double.IsFinite(value) ? value.ToString("F4", CultureInfo.InvariantCulture) : "n/a (no history longer than 4K)";
}
