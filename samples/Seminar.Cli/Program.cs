using System.CommandLine;
using Seminar.Cli.Commands;
using Spectre.Console;

// Redirected output (logs, CI) reports 80 columns; the results table needs more.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 140);

// The command names and options are a contract (docs/architecture.md, "The command-line contract"): scripts and docs use them.
var root = new RootCommand("SEMINAR.MLNet: lifelong user-behaviour modelling for CTR and search ranking in ML.NET.");
var demo = DemoCommand.Create();
root.Subcommands.Add(demo);
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(ConvertCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
// No command runs the demo.
foreach (var option in demo.Options) root.Options.Add(option);
root.Action = demo.Action;
return root.Parse(args).Invoke();
