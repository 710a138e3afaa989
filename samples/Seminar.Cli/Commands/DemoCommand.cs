using System.CommandLine;
using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Evaluation.Protocol;
using Spectre.Console;

namespace Seminar.Cli.Commands;

/// <summary><c>demo</c> (the default command): generate the synthetic dataset, then evaluate on it.</summary>
static class DemoCommand
{
    static readonly Option<string> Output = new("--output") { Description = "Folder for data, report and models.", DefaultValueFactory = _ => "seminar-demo" };
    static readonly Option<string> Report = new("--report") { Description = "Report file (default: <output>/report.json)." };

    /// <summary>
    /// The demo takes training samples from the second half of the timeline: the synthetic cold items live
    /// only in the first half, so they reach the models as history and never as training targets.
    /// </summary>
    public const double DemoTrainFrom = 0.5;

    // Fewer users than `generate` makes by default: the demo trains thirteen models and must finish within 10 minutes on 2 cores.
    const int DemoUsers = 250;
    static readonly Option<int> Users = new("--users") { Description = "Number of users.", DefaultValueFactory = _ => DemoUsers };

    public static Command Create()
    {
        var command = new Command("demo", "Generate the built-in synthetic dataset and run evaluate on it (the default).")
        {
            Output, Report, Users, GenerateCommand.Items, GenerateCommand.History, GenerateCommand.Seed, EvaluateCommand.Models, EvaluateCommand.Seeds, EvaluateCommand.Bootstrap,
            EvaluateCommand.Threads,
        };
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            string output = parse.GetValue(Output)!;
            string data = Path.Combine(output, "data"), report = parse.GetValue(Report) ?? Path.Combine(output, "report.json");
            var options = new EvaluationOptions
            {
                Seed = parse.GetValue(GenerateCommand.Seed), TrainFromQuantile = DemoTrainFrom,
                Models = EvaluateCommand.SelectedModels(parse.GetValue(EvaluateCommand.Models)),
                Seeds = parse.GetValue(EvaluateCommand.Seeds), BootstrapReplicates = parse.GetValue(EvaluateCommand.Bootstrap),
                Psu = EvaluateCommand.PsuOptions(parse.GetValue(EvaluateCommand.Threads)),
            };
            // Before generating: the data folder is under the output folder, which the check covers.
            EvaluateCommand.CheckBeforeWork(options, report, output);
            AnsiConsole.MarkupLine("[bold]SEMINAR.MLNet demo[/]: synthetic lifelong histories; FastTree baseline against SEMINAR.");
            GenerateCommand.Generate(data, GenerateCommand.Options(parse, Users));
            EvaluateCommand.Execute(data, options, report, output, BadRowPolicy.SkipAndCount);
        }));
        return command;
    }
}
