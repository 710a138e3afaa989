using System.CommandLine;
using Microsoft.ML;
using Seminar.Cli.Terminal;
using Seminar.MLNet;
using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Evaluation;
using Seminar.MLNet.Evaluation.Models;
using Seminar.MLNet.Evaluation.Reporting;
using Seminar.MLNet.Evaluation.Protocol;
using Spectre.Console;

namespace Seminar.Cli.Commands;

/// <summary><c>evaluate --data DIR</c>: trains and compares the models on a canonical dataset.</summary>
static class EvaluateCommand
{
    public static readonly Option<string> Report = new("--report") { Description = "Write the JSON report to this file." };
    static readonly Option<string> Data = new("--data") { Description = "Canonical dataset folder.", Required = true };
    static readonly Option<string> Output = new("--output") { Description = "Folder for the fitted model zips, and the plots when there is no --report (none when omitted)." };
    static readonly Option<int> MaxHistory = new("--max-history") { Description = "Most recent positives kept per history.", DefaultValueFactory = _ => 10_000 };
    static readonly Option<int> Seed = new("--seed") { Description = "Seed for sampling and training.", DefaultValueFactory = _ => 1 };
    public static readonly Option<int> Seeds = new("--seeds")
    {
        Description = "Train every model N times (seeds S..S+N-1, same split): metrics as mean and standard deviation, differences with 95% intervals.",
        DefaultValueFactory = _ => 1,
    };
    public static readonly Option<int> Bootstrap = new("--bootstrap")
    {
        Description = "Resamples of the test users behind the comparisons' bootstrap intervals (0: none).",
        DefaultValueFactory = _ => 1_000,
    };
    static readonly Option<double> Split = new("--split") { Description = "Time-split quantile: later events are test.", DefaultValueFactory = _ => 0.8 };
    static readonly Option<double> TrainFrom = new("--train-from") { Description = "Training samples start at this time quantile (histories still reach back).", DefaultValueFactory = _ => 0.0 };
    static readonly Option<int> Negatives = new("--negatives") { Description = "Sampled negatives per positive when the data has no label-0 events.", DefaultValueFactory = _ => 4 };
    static readonly Option<string> Sampling = new Option<string>("--negative-sampling")
    {
        Description = "How sampled negatives are drawn: popularity (by earlier positives, +1) or uniform.", DefaultValueFactory = _ => "popularity",
    }.AcceptOnlyFromAmong("popularity", "uniform");
    static readonly Option<double> Validation = new("--validation-fraction")
    {
        Description = "Latest share of the training period marked IsValidation (early stopping, choices on validation).", DefaultValueFactory = _ => 0.1,
    };
    static readonly Option<bool> Strict = new("--strict") { Description = "Stop at the first malformed row instead of skipping and counting it." };
    static readonly Option<string> Stacking = new("--stacking")
    {
        Description = "SEMINAR features of fasttree_seminar: auto (chosen on validation), cross-fitted (out of fold, folds + 1 PSU trainings) or in-sample (pretrained PSU).",
        DefaultValueFactory = _ => "auto",
    };
    public static readonly Option<int> Threads = new("--threads")
    {
        Description = "libtorch intra-op threads of every PSU training (0: one per core). Use 1 when other work shares the cores: libtorch's " +
            "threads spin while they wait, and on 2 cores with one other busy process 2 threads trained 2-3x slower than 1.",
        DefaultValueFactory = _ => 0,
    };
    public static readonly Option<string[]> Models = new("--models")
    {
        Description = $"Models to run (default: all): {string.Join(", ", Evaluator.ModelNames)}.",
        AllowMultipleArgumentsPerToken = true,
    };

    public static Command Create()
    {
        var command = new Command("evaluate", "Train and compare the models on a canonical dataset; print a table and write the JSON report.")
        {
            Data, Report, Output, MaxHistory, Seed, Seeds, Bootstrap, Split, TrainFrom, Negatives, Sampling, Validation, Strict, Models, Stacking, Threads,
        };
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            var options = new EvaluationOptions
            {
                MaxHistory = parse.GetValue(MaxHistory), Seed = parse.GetValue(Seed), SplitQuantile = parse.GetValue(Split),
                TrainFromQuantile = parse.GetValue(TrainFrom), Negatives = parse.GetValue(Negatives),
                NegativeSampling = Enum.Parse<NegativeSampling>(parse.GetValue(Sampling)!, ignoreCase: true), ValidationFraction = parse.GetValue(Validation),
                Models = SelectedModels(parse.GetValue(Models)), Stacking = ParseStacking(parse.GetValue(Stacking)),
                Seeds = parse.GetValue(Seeds), BootstrapReplicates = parse.GetValue(Bootstrap), Psu = PsuOptions(parse.GetValue(Threads)),
            };
            CheckBeforeWork(options, parse.GetValue(Report), parse.GetValue(Output));
            Execute(parse.GetValue(Data)!, options, parse.GetValue(Report), parse.GetValue(Output),
                parse.GetValue(Strict) ? BadRowPolicy.Throw : BadRowPolicy.SkipAndCount);
        }));
        return command;
    }

    /// <summary>The PSU options of <c>--threads</c>: every other PSU option at its default.</summary>
    /// <exception cref="ArgumentException">The count is negative.</exception>
    public static PsuEmbeddingOptions PsuOptions(int threads) =>
        threads >= 0 ? new PsuEmbeddingOptions { Threads = threads } : throw new ArgumentException($"--threads is {threads}; use 0 (one per core) or a positive count.");

    /// <summary>The stacking named by <c>--stacking</c>.</summary>
    public static SeminarStacking ParseStacking(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => SeminarStacking.Auto,
        "cross-fitted" => SeminarStacking.CrossFitted,
        "in-sample" => SeminarStacking.InSamplePretrained,
        _ => throw new ArgumentException($"Unknown --stacking '{value}'; use auto, cross-fitted or in-sample."),
    };

    /// <summary>The models chosen with <c>--models</c> (comma- or space-separated), or null for all.</summary>
    /// <exception cref="ArgumentException">The option was given but names no model, or a model <c>evaluate</c> does not know.</exception>
    public static IReadOnlyList<string>? SelectedModels(string[]? values)
    {
        if (values is not { Length: > 0 }) return null;
        var names = values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
        string valid = string.Join(", ", Evaluator.ModelNames);
        // `--models ""` (an empty shell variable) would otherwise train nothing and exit 0.
        if (names.Length == 0) throw new ArgumentException($"--models names no model; choose from {valid}.");
        var unknown = names.Where(n => !Evaluator.ModelNames.Contains(n, StringComparer.Ordinal)).ToArray();
        if (unknown.Length > 0) throw new ArgumentException($"--models: unknown model(s) {string.Join(", ", unknown)}; choose from {valid}.");
        return names;
    }

    /// <summary>
    /// What can be checked before reading the data, shared with <c>demo</c>: the options, and that the report, the plots
    /// beside it and the model zips can be written.
    /// </summary>
    public static void CheckBeforeWork(EvaluationOptions options, string? reportPath, string? outputFolder)
    {
        options.Validate();
        // The output folder first: demo's default report lies in it, and the error then names the option the user gave.
        if (outputFolder != null) OutputPaths.CheckWritableFolder(outputFolder, "--output");
        if (reportPath != null) OutputPaths.CheckWritableFile(reportPath, "--report");
    }

    /// <summary>Runs the evaluation and writes its outputs; shared with <c>demo</c>.</summary>
    public static void Execute(string data, EvaluationOptions options, string? reportPath, string? outputFolder, BadRowPolicy policy)
    {
        // The round trip's zip is the one the output folder keeps for that model: saved once.
        if (outputFolder != null)
        {
            Directory.CreateDirectory(outputFolder);
            options.RoundTripZip ??= ModelZip(outputFolder, FastTreeSeminar.PqModelName);
        }
        var result = StageProgressDisplay.Run(progress => Evaluator.Run(data, options, progress: progress, policy: policy));
        try
        {
            WriteOutputs(result, options, reportPath, outputFolder);
        }
        finally
        {
            // The fitted chains hold native resources (ONNX Runtime sessions, model tables) until disposed.
            foreach (var run in result.Runs) (run.Model as IDisposable)?.Dispose();
        }
    }

    static void WriteOutputs(EvaluationResult result, EvaluationOptions options, string? reportPath, string? outputFolder)
    {
        ReportPrinter.PrintIssues(result.Issues);
        var sampled = new[] { ("train", result.Split.TrainNegativesSampled), ("test", result.Split.TestNegativesSampled) }.Where(s => s.Item2).Select(s => s.Item1).ToArray();
        if (sampled.Length > 0)
            AnsiConsole.MarkupLine($"[grey]No label-0 events in the {string.Join(" and ", sampled)} period: {options.Negatives} sampled negatives per positive there (seed {options.Seed}).[/]");
        if (result.Split.NegativesNotFound > 0)
            AnsiConsole.MarkupLine($"[yellow]warning:[/] {result.Split.NegativesNotFound:N0} sampled negatives could not be drawn (users who engaged with nearly every item).");
        ReportPrinter.PrintReport(result.Report);
        if (reportPath != null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(reportPath))!);
            File.WriteAllText(reportPath, result.Report.ToJson());
            AnsiConsole.MarkupLine($"Report: [link]{Markup.Escape(Path.GetFullPath(reportPath))}[/]");
        }
        if ((reportPath != null ? Path.GetDirectoryName(Path.GetFullPath(reportPath)) : outputFolder) is { } plotFolder)
            foreach (string png in EvaluationPlots.Write(result.Report, plotFolder))
                AnsiConsole.MarkupLine($"Plot: [link]{Markup.Escape(png)}[/]");
        if (outputFolder != null)
        {
            var ml = new MLContext(options.Seed);
            foreach (var run in result.Runs)
            {
                string zip = ModelZip(outputFolder, run.Name);
                if (result.Report.Roundtrip?.Model != run.Name || zip != options.RoundTripZip) ml.Model.Save(run.Model, result.TrainSchema, zip);
                AnsiConsole.MarkupLine($"Model: {Markup.Escape(Path.GetFullPath(zip))}");
            }
        }
    }

    static string ModelZip(string folder, string model) => Path.Combine(folder, model + ".zip");
}
