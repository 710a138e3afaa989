using System.Diagnostics;

namespace Seminar.MLNet.Tests.Support;

/// <summary>Runs the .NET SDK's <c>dotnet</c> command (or an installed tool) as a child process, as a user would.</summary>
public static class DotnetCli
{
    /// <summary>The configuration this test assembly was built in: what packing with --no-build finds.</summary>
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    /// <summary>Runs <c>dotnet</c> with the arguments in <paramref name="workingDirectory"/>; returns exit code and output.</summary>
    public static (int ExitCode, string Output) Run(string workingDirectory, TimeSpan timeout, params string[] args) =>
        RunProgram("dotnet", workingDirectory, timeout, args);

    /// <summary>Runs any program; stdout and stderr come back interleaved as one text.</summary>
    public static (int ExitCode, string Output) RunProgram(string program, string workingDirectory, TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args) start.ArgumentList.Add(a);
        // The test host runs under MSBuild's and the test runner's environment; a child build must not inherit
        // their SDK paths or node settings, or it builds with the parent's state instead of its own.
        foreach (string key in start.Environment.Keys.ToArray())
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
                start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        // No MSBuild node or compiler server outlives the child: nothing keeps running after the test.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["UseSharedCompilation"] = "false";

        using var process = new Process { StartInfo = start };
        var output = new System.Text.StringBuilder();
        var gate = new object();
        process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (gate) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (gate) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (gate) return (-1, $"{program} {string.Join(' ', args)} did not finish within {timeout}:\n{output}");
        }
        process.WaitForExit(); // drains the asynchronous output readers
        lock (gate) return (process.ExitCode, output.ToString());
    }
}
