using Seminar.MLNet.Datasets.Canonical;
using Spectre.Console;

namespace Seminar.Cli.Commands;

/// <summary>Turns expected failures (bad input, bad options) into one readable line and exit code 1, not a stack trace.</summary>
static class CliErrors
{
    public static int Guard(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is DatasetFormatException or FileNotFoundException or DirectoryNotFoundException
                                      or ArgumentException or InvalidOperationException or IOException)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return 1;
        }
    }
}
