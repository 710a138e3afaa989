using Seminar.MLNet.Datasets.Canonical;

namespace Seminar.Cli.Commands;

/// <summary>
/// Turns expected failures (bad input, bad options, files that cannot be read or written) into one readable line on
/// standard error and exit code 1, not a stack trace.
/// </summary>
static class CliErrors
{
    public static int Guard(Action action)
    {
        try
        {
            action();
            return 0;
        }
        catch (Exception e) when (e is DatasetFormatException or IOException or UnauthorizedAccessException
                                      or ArgumentException or InvalidOperationException)
        {
            Write(e.Message);
            return 1;
        }
    }

    static void Write(string message)
    {
        // One line: scripts grep for "error:", and ArgumentOutOfRangeException puts its value on a line of its own.
        string line = string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Console.Error.WriteLine(Console.IsErrorRedirected ? $"error: {line}" : $"\u001b[31merror:\u001b[0m {line}");
    }
}
