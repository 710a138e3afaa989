using System.Reflection;
using Spectre.Console;

namespace Seminar.MLNet.Tests.Support;

/// <summary>Runs the command-line program's real entry point in-process.</summary>
public static class CliRunner
{
    static readonly Assembly Cli = Assembly.Load("seminar");
    static readonly object Gate = new();

    /// <summary>Runs with the arguments and returns the exit code and what it printed.</summary>
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        // Console redirection is process-wide: one CLI run at a time.
        lock (Gate)
        {
            var original = Console.Out;
            var originalError = Console.Error;
            var originalAnsi = AnsiConsole.Console;
            using var writer = new StringWriter();
            Console.SetOut(writer);
            Console.SetError(writer); // error lines go to standard error
            // Spectre.Console keeps the writer it was created with; point it at the capture too.
            AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No,
            });
            AnsiConsole.Profile.Width = 200;
            try
            {
                var code = (int)Cli.EntryPoint!.Invoke(null, new object[] { args })!;
                return (code, writer.ToString());
            }
            finally
            {
                Console.SetOut(original);
                Console.SetError(originalError);
                AnsiConsole.Console = originalAnsi;
            }
        }
    }
}
