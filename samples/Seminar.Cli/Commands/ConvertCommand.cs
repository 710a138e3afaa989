using System.CommandLine;
using Seminar.Cli.Terminal;
using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Datasets.Converters;
using Spectre.Console;

namespace Seminar.Cli.Commands;

/// <summary><c>convert --from FORMAT --input DIR [--name NAME] --output DIR</c>: published formats to the canonical folder.</summary>
static class ConvertCommand
{
    static readonly Option<string> From = new("--from") { Description = "Input format: recbole, jdsearch, unisrec or s3rec.", Required = true };
    static readonly Option<string> Input = new("--input") { Description = "Folder with the published files.", Required = true };
    static readonly Option<string> Name = new("--name")
    {
        Description = "Dataset name, the NAME of NAME.txt and NAME_item2attributes.json; required for s3rec, whose folder holds several datasets (the other formats find their files themselves and ignore it).",
    };
    static readonly Option<string> Output = new("--output") { Description = "Canonical dataset folder to write.", Required = true };

    public static Command Create()
    {
        var command = new Command("convert", "Convert a published dataset (RecBole atomic files, JDsearch, UniSRec, S3-Rec) to the canonical format.") { From, Input, Name, Output };
        From.AcceptOnlyFromAmong("recbole", "jdsearch", "unisrec", "s3rec");
        command.SetAction(parse => CliErrors.Guard(() =>
        {
            var converter = DatasetConverters.Get(parse.GetValue(From)!, parse.GetValue(Name));
            var issues = new DataIssues();
            string output = parse.GetValue(Output)!;
            OutputPaths.CheckWritableFolder(output, "--output");
            var summary = converter.Convert(parse.GetValue(Input)!, output, issues);
            ReportPrinter.PrintIssues(issues);
            AnsiConsole.MarkupLine($"[green]{Markup.Escape(summary.Name)}[/]: {summary.Items:N0} items, {summary.Users:N0} users, " +
                $"{summary.Events:N0} events ({summary.PositiveEvents:N0} positive), {summary.SkippedRows:N0} rows skipped -> {Markup.Escape(Path.GetFullPath(output))}");
        }));
        return command;
    }
}
