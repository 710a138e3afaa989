using System.CommandLine;
using Seminar.Cli.Terminal;
using Seminar.MLNet.Evaluation.Retrieval;
using Spectre.Console;

namespace Seminar.Cli.Commands;

/// <summary>
/// <c>bench</c>: exact against approximate (product-quantized) retrieval, same requests, same process, one thread; with
/// <c>--serving</c>, ranking requests through whole chains (<see cref="ServingBench"/>).
/// </summary>
static class BenchCommand
{
    static readonly Option<string> Report = new("--report") { Description = "Write the JSON report to this file." };
    static readonly Option<string> Lengths = new("--lengths") { Description = "History lengths, comma-separated.", DefaultValueFactory = _ => "1000,10000,100000" };
    static readonly Option<string> Catalogs = new("--catalogs") { Description = "Catalog sizes of the gather setting, comma-separated (the smallest is also the catalog of the ranking and stored settings).", DefaultValueFactory = _ => "100000,1000000" };
    static readonly Option<int> RankingCandidates = new("--ranking-candidates") { Description = "Candidates of a ranking request.", DefaultValueFactory = _ => 100 };
    static readonly Option<int> Shortlist = new("--shortlist") { Description = "Behaviours re-ranked exactly per request vector (K').", DefaultValueFactory = _ => 300 };
    static readonly Option<int> Seed = new("--seed") { Description = "Seed.", DefaultValueFactory = _ => 1 };
    static readonly Option<bool> Serving = new("--serving") { Description = "Serving bench instead: ranking requests through whole fitted, fast-loaded and stock-loaded chains (exact PSU and PQ), p50/p99 and bytes allocated per request." };
    static readonly Option<string> ServingLengths = new("--serving-lengths") { Description = "With --serving: history lengths, comma-separated (add 100000 for the largest).", DefaultValueFactory = _ => "100,1000,10000" };
    static readonly Option<int> ServingCatalog = new("--serving-catalog") { Description = "With --serving: items of the catalog the requests draw their history from (a large one puts the vocabulary and item tables out of the caches).", DefaultValueFactory = _ => 5_000 };
    static readonly Option<string> Candidates = new("--candidates") { Description = "With --serving: candidates per request, comma-separated.", DefaultValueFactory = _ => "1,100" };
    static readonly Option<double> WarmupSeconds = new("--warmup-seconds") { Description = "Untimed seconds per measured setting.", DefaultValueFactory = _ => 1 };
    static readonly Option<double> MeasureSeconds = new("--measure-seconds") { Description = "Timed seconds per measured setting.", DefaultValueFactory = _ => 2 };
    static readonly Option<int> MinRequests = new("--min-requests") { Description = "Fewest timed requests per measured setting (and side).", DefaultValueFactory = _ => 20 };
    static readonly Option<bool> Load = new("--load") { Description = "With --serving: then a load run of samples/Seminar.Serving on 127.0.0.1 (its own process) over the exact chain: requests per second, p50/p99, errors and answers that differ from single-threaded scoring." };
    static readonly Option<int> LoadClients = new("--load-clients") { Description = "With --load: concurrent clients.", DefaultValueFactory = _ => 8 };
    static readonly Option<double> LoadSeconds = new("--load-seconds") { Description = "With --load: seconds the clients keep sending.", DefaultValueFactory = _ => 30 };
    static readonly Option<int> LoadRequests = new("--load-requests") { Description = "With --load: distinct requests the clients draw from.", DefaultValueFactory = _ => 64 };
    static readonly Option<int> LoadLength = new("--load-length") { Description = "With --load: history length of every request.", DefaultValueFactory = _ => 1_000 };
    static readonly Option<int> LoadCandidates = new("--load-candidates") { Description = "With --load: candidates per request.", DefaultValueFactory = _ => 100 };

    public static Command Create()
    {
        var command = new Command("bench", "Exact against approximate retrieval in three settings (ranking, gather, stored) at several history lengths: time, recall@K, bytes, memory bandwidth.")
        {
            Lengths, Catalogs, RankingCandidates, Shortlist, Report, Seed, Serving, ServingLengths, ServingCatalog, Candidates, WarmupSeconds, MeasureSeconds, MinRequests,
            Load, LoadClients, LoadSeconds, LoadRequests, LoadLength, LoadCandidates,
        };
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            if (parse.GetValue(Report) is { } reportPath) OutputPaths.CheckWritableFile(reportPath, "--report");
            if (parse.GetValue(Load) && !parse.GetValue(Serving)) throw new ArgumentException("--load runs after the serving bench: give --serving too.");
            if (parse.GetValue(Serving))
            {
                var serving = new ServingBenchOptions
                {
                    Lengths = Counts(parse.GetValue(ServingLengths)!, "--serving-lengths"), Candidates = Counts(parse.GetValue(Candidates)!, "--candidates"),
                    Seed = parse.GetValue(Seed), WarmupSeconds = parse.GetValue(WarmupSeconds), MeasureSeconds = parse.GetValue(MeasureSeconds),
                    MinRequests = parse.GetValue(MinRequests), CatalogItems = parse.GetValue(ServingCatalog),
                    Load = parse.GetValue(Load) ? new ServingLoadOptions
                    {
                        SampleDll = ServingSample.Dll(), Clients = parse.GetValue(LoadClients), Seconds = parse.GetValue(LoadSeconds),
                        Requests = parse.GetValue(LoadRequests), HistoryLength = parse.GetValue(LoadLength), Candidates = parse.GetValue(LoadCandidates),
                    } : null,
                };
                var servingReport = StageProgressDisplay.Run(progress => ServingBench.Run(serving, progress));
                Print(servingReport);
                Write(parse.GetValue(Report), servingReport.ToJson());
                return;
            }
            var options = new RetrievalBenchOptions
            {
                Lengths = Counts(parse.GetValue(Lengths)!, "--lengths"), CatalogSizes = Counts(parse.GetValue(Catalogs)!, "--catalogs"),
                Candidates = parse.GetValue(RankingCandidates), Shortlist = parse.GetValue(Shortlist), Seed = parse.GetValue(Seed),
                WarmupSeconds = parse.GetValue(WarmupSeconds), MeasureSeconds = parse.GetValue(MeasureSeconds), MinSamples = parse.GetValue(MinRequests),
            };
            options.Validate();
            var report = StageProgressDisplay.Run(progress => RetrievalBench.Run(options, progress));
            Print(report);
            Write(parse.GetValue(Report), report.ToJson());
        }));
        return command;
    }

    static int[] Counts(string text, string option) => text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(v => int.TryParse(v, out int n) && n > 0 ? n : throw new ArgumentException($"{option}: '{v}' is not a positive whole number.")).ToArray();

    static void Write(string? path, string json)
    {
        if (path == null) return;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, json);
        AnsiConsole.MarkupLine($"Report: [link]{Markup.Escape(Path.GetFullPath(path))}[/]");
    }

    static void Print(ServingBenchReport report)
    {
        AnsiConsole.MarkupLine($"D = {report.Dimension}, {report.Heads} heads, K = {report.K}, one thread of {report.Processors}, tiered compilation {(report.TieredCompilation ? "on" : "off")}, {ReadyToRun(report.ReadyToRun)}");
        var table = new Table().AddColumns("setting", "L", "C", "chain", "retrieval", "path", "p50 µs", "p99 µs", "bytes / request", "requests");
        foreach (var r in report.Requests.Concat(report.PsuStage))
            table.AddRow(Markup.Escape(r.Setting), $"{r.HistoryLength:N0}", $"{r.Candidates}", r.Chain, r.Retrieval, r.Path, $"{r.P50Microseconds:N1}", $"{r.P99Microseconds:N1}",
                $"{r.AllocatedBytes:N0}", $"{r.Requests}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(Markup.Escape(report.Note));
        if (report.Load is { } load)
            AnsiConsole.MarkupLine(Markup.Escape($"load: {load.Clients} clients, {load.Seconds:0.##} s, L = {load.HistoryLength:N0}, C = {load.Candidates} ({load.Retrieval}): " +
                $"{load.RequestsPerSecond:N1} requests/s, p50 {load.P50Milliseconds:N2} ms, p99 {load.P99Milliseconds:N2} ms, {load.Requests:N0} requests, " +
                $"{load.Errors} errors, {load.Mismatches} mismatches{(load.FirstError is { } e ? $" (first error: {e})" : "")}"));
    }

    static string ReadyToRun(bool on) => on ? "framework ReadyToRun code on (DOTNET_ReadyToRun=0 compiles it fully optimised)" : "ReadyToRun off";

    static void Print(RetrievalBenchReport report)
    {
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(report.Dataset)}[/]: D = {report.Dimension}, K = {report.K}, M = {report.SubSpaces} 4-bit ({report.CodeBytesPerItem} B per item, " +
            $"{report.CodeCompression:F0}x below float32), K' = {report.Shortlist}, {(report.ByteScan ? "vector" : "scalar")} byte scan, memory bandwidth {report.MemoryBandwidthGbps:F1} GB/s (one thread), " +
            $"tiered compilation {(report.TieredCompilation ? "on" : "off")}, {ReadyToRun(report.ReadyToRun)}");
        var table = new Table().AddColumns("setting", "catalog", "L", "C", "exact p50 µs", "exact p90 µs", "approx p50 µs", "approx p90 µs", "speedup", "recall@K", "samples");
        foreach (var l in report.Lengths)
            table.AddRow(l.Setting, $"{l.CatalogItems:N0}", $"{l.Length:N0}", $"{l.Candidates}", $"{l.ExactMicroseconds:N1}", $"{l.ExactP90Microseconds:N1}",
                $"{l.ApproximateMicroseconds:N1}", $"{l.ApproximateP90Microseconds:N1}", $"{l.Speedup:F2}x", l.RecallCounted ? $"{l.Recall:F4}" : $"({l.Recall:F4})", $"{l.Samples}");
        AnsiConsole.Write(table);
        foreach (var l in report.Lengths.Where(l => l.OnnxMatMulMicroseconds is not null))
            AnsiConsole.MarkupLine(Markup.Escape($"ranking, L = {l.Length:N0}: the relevance product alone {l.ExactProductMicroseconds:N1} µs in the exact kernel, " +
                $"{l.OnnxMatMulMicroseconds:N1} µs as one ONNX Runtime MatMul (one thread; largest difference {l.OnnxMatMulMaxAbsDiff:G2})"));
        foreach (var t in report.Targets)
            AnsiConsole.MarkupLine(Markup.Escape($"{(t.Met ? "met" : "NOT met")}: {t.Target} (measured {t.Measured:F2}{(t.Recall is { } r ? $", recall {r:F4}" : "")}{(t.Rerank is { } how ? $", {how} re-rank" : "")})"));
    }
}
