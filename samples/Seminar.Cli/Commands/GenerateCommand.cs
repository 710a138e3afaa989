using System.CommandLine;
using Seminar.MLNet;
using Seminar.MLNet.Datasets.Synthetic;
using Spectre.Console;

namespace Seminar.Cli.Commands;

/// <summary><c>generate --output DIR</c>: writes the seeded synthetic dataset.</summary>
static class GenerateCommand
{
    static readonly Option<string> Output = new("--output") { Description = "Folder to write the canonical dataset to.", Required = true };
    static readonly SyntheticDatasetOptions Defaults = new();
    public static readonly Option<int> Users = new("--users") { Description = "Number of users.", DefaultValueFactory = _ => Defaults.Users };
    public static readonly Option<int> Items = new("--items") { Description = "Number of items.", DefaultValueFactory = _ => Defaults.Items };
    public static readonly Option<int> History = new("--history") { Description = "Mean events per user (the history length).", DefaultValueFactory = _ => Defaults.MeanEventsPerUser };
    public static readonly Option<bool> ExactHistory = new("--exact-history") { Description = "Give every user exactly --history events." };
    public static readonly Option<int> Seed = new("--seed") { Description = "Seed.", DefaultValueFactory = _ => Defaults.Seed };

    public static Command Create()
    {
        var command = new Command("generate", "Write the synthetic dataset (known latent interests, misaligned modalities, cold items, queries).")
        {
            Output, Users, Items, History, ExactHistory, Seed,
        };
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            OutputPaths.CheckWritableFolder(parse.GetValue(Output)!, "--output");
            Generate(parse.GetValue(Output)!, Options(parse));
        }));
        return command;
    }

    /// <summary>Reads the sizes options into generator options (<paramref name="users"/>: a command's own --users option).</summary>
    public static SyntheticDatasetOptions Options(ParseResult parse, Option<int>? users = null) => new()
    {
        Users = parse.GetValue(users ?? Users), Items = parse.GetValue(Items), MeanEventsPerUser = parse.GetValue(History),
        ExactEventsPerUser = parse.GetValue(ExactHistory), Seed = parse.GetValue(Seed),
    };

    /// <summary>Generates with a progress bar; shared with <c>demo</c>.</summary>
    public static SyntheticDatasetSummary Generate(string output, SyntheticDatasetOptions options)
    {
        SyntheticDatasetSummary summary = null!;
        if (Console.IsOutputRedirected)
            summary = SyntheticDatasetGenerator.Generate(output, options);
        else
            AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask("generating synthetic data", maxValue: 1);
                    summary = SyntheticDatasetGenerator.Generate(output, options, new SynchronousProgress<double>(f => task.Value = f));
                    task.Value = 1;
                });
        AnsiConsole.MarkupLine($"[green]synthetic[/]: {summary.Users:N0} users, {summary.Items:N0} items ({summary.ColdItems:N0} cold), " +
            $"{summary.Events:N0} events ({summary.Positives:N0} positive) -> {Markup.Escape(Path.GetFullPath(output))}");
        return summary;
    }
}
