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
        foreach (var (name, m) in report.Models)
            table.AddRow(Markup.Escape(name), F(m.Auc), F(m.Gauc), F(m.LogLoss), F(m.HitAt10), F(m.NdcgAt10), F(m.Mrr),
                m.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture), m.ScoreMicrosPerRow.ToString("F1", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        if (report.Pq is { } pq)
            AnsiConsole.MarkupLine(FormattableString.Invariant(
                $"approximate retrieval on {pq.Requests:N0} test histories (mean length {pq.MeanLength:F0}): recall@{pq.K} {pq.RecallAtK:F4}, exact {pq.ExactMicroseconds:F1} us vs PQ {pq.PqMicroseconds:F1} us per request (speed-up {pq.SpeedupVsExact:F2}x), {pq.BytesPerBehaviour:F0} bytes per behaviour vs {pq.ExactBytesPerBehaviour:F0}"));
        if (report.Curves is { } curves)
        {
            foreach (var p in curves.Lengths)
                AnsiConsole.MarkupLine(FormattableString.Invariant(
                    $"  history length {p.Length:N0}: exact {p.ExactMicroseconds:F1} us, PQ {p.PqMicroseconds:F1} us ({p.Speedup:F2}x), recall@{curves.K} {p.Recall:F3}"));
            if (curves.Recall.Count > 0)
                AnsiConsole.MarkupLine("  recall@K by K: " + string.Join(", ", curves.Recall.Select(r => FormattableString.Invariant($"{r.K}: {r.Recall:F3}"))));
        }
        if (report.Roundtrip is { } rt)
            AnsiConsole.MarkupLine(FormattableString.Invariant(
                $"save/load: {Markup.Escape(rt.Model)} saved as a zip and loaded with stock Model.Load scores {rt.Rows:N0} test rows within {rt.StockLoadMaxAbsDiff:G3} of the fitted pipeline"));
    }

    public static void PrintIssues(DataIssues issues)
    {
        foreach (var (kind, count, examples) in issues.Summary())
            AnsiConsole.MarkupLine($"[yellow]warning:[/] {count:N0} x {Markup.Escape(kind)} (e.g. {Markup.Escape(string.Join("; ", examples))})");
    }

    static string F(double v) => double.IsNaN(v) ? "n/a" : v.ToString("F4", CultureInfo.InvariantCulture);
}
