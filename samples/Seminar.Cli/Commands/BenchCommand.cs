using System.CommandLine;
using Seminar.Cli.Terminal;
using Seminar.MLNet.Evaluation.Retrieval;
using Spectre.Console;

namespace Seminar.Cli.Commands;

/// <summary><c>bench</c>: exact against approximate (product-quantized) retrieval, same requests, same process, one thread.</summary>
static class BenchCommand
{
    static readonly Option<string> Report = new("--report") { Description = "Write the JSON report to this file." };
    static readonly Option<string> Data = new("--data") { Description = "Canonical dataset to train on and draw behaviours from (default: the built-in synthetic data)." };
    static readonly Option<string> Lengths = new("--lengths") { Description = "History lengths, comma-separated.", DefaultValueFactory = _ => "1000,10000,100000" };
    static readonly Option<int> Seed = new("--seed") { Description = "Seed.", DefaultValueFactory = _ => 1 };

    public static Command Create()
    {
        var command = new Command("bench", "Exact against approximate retrieval at several history lengths: time, recall@K, bytes, memory bandwidth.")
        {
            Data, Lengths, Report, Seed,
        };
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            var lengths = parse.GetValue(Lengths)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(v => int.TryParse(v, out int n) && n > 0 ? n : throw new ArgumentException($"--lengths: '{v}' is not a positive whole number.")).ToArray();
            if (parse.GetValue(Report) is { } reportPath) OutputPaths.CheckWritableFile(reportPath, "--report");
            string? data = parse.GetValue(Data);
            string? temporary = null;
            if (data == null)
            {
                temporary = data = Path.Combine(Path.GetTempPath(), $"seminar-bench-{Guid.NewGuid():N}");
                GenerateCommand.Generate(data, new() { Seed = parse.GetValue(Seed) });
            }
            try
            {
                var options = new RetrievalBenchOptions { Lengths = lengths, Seed = parse.GetValue(Seed) };
                var report = StageProgressDisplay.Run(progress => RetrievalBench.Run(data, options, progress));
                Print(report);
                if (parse.GetValue(Report) is { } path)
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                    File.WriteAllText(path, report.ToJson());
                    AnsiConsole.MarkupLine($"Report: [link]{Markup.Escape(Path.GetFullPath(path))}[/]");
                }
            }
            finally
            {
                if (temporary != null) Directory.Delete(temporary, recursive: true);
            }
        }));
        return command;
    }

    static void Print(RetrievalBenchReport report)
    {
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(report.Dataset)}[/]: K = {report.K}, code sets {Markup.Escape(string.Join(", ", report.CodeSets))}, " +
            $"{(report.ByteScan ? "byte scan (AVX-512 VBMI)" : "float scan")}, memory bandwidth {report.MemoryBandwidthGbps:F1} GB/s (one thread)");
        var table = new Table().AddColumns("L", "requests", "exact µs", "PQ µs", "speedup", "recall@K", "bytes exact", "bytes PQ", "PQ / bandwidth bound");
        foreach (var l in report.Lengths)
            table.AddRow($"{l.Length:N0}", $"{l.Requests}", $"{l.ExactMicroseconds:N1}", $"{l.PqMicroseconds:N1}", $"{l.Speedup:F2}x", $"{l.Recall:F4}",
                $"{l.ExactBytesPerBehaviour}", $"{l.PqBytesPerBehaviour}", $"{l.PqOverBound:F2}");
        AnsiConsole.Write(table);
    }
}
