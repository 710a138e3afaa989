using System.Reflection;

namespace Seminar.Cli.Commands;

/// <summary>Where the built serving sample is, for <c>bench --serving --load</c>.</summary>
static class ServingSample
{
    const string FileName = "Seminar.Serving.dll";

    /// <summary>
    /// The dll the CLI's build built (its path is compiled in by Seminar.Cli.csproj, whatever the output layout); failing
    /// that, one beside the running program (a host that references the sample, such as the tests, copies it there).
    /// Throws, naming both, when neither exists: an installed tool has no sample beside it.
    /// </summary>
    public static string Dll()
    {
        string? built = typeof(ServingSample).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "ServingSampleDll")?.Value;
        string beside = Path.Combine(AppContext.BaseDirectory, FileName);
        if (!string.IsNullOrEmpty(built) && File.Exists(built)) return built;
        if (File.Exists(beside)) return beside;
        throw new InvalidOperationException($"--load needs the built serving sample, found neither at '{built}' nor at '{beside}'; " +
            "build it from the repository (dotnet build samples/Seminar.Serving -c Release) and run the CLI from there.");
    }
}
