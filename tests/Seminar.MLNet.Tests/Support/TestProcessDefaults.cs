using System.Runtime.CompilerServices;
using Seminar.MLNet.Training.Runtime;

namespace Seminar.MLNet.Tests.Support;

/// <summary>Process-wide settings every test relies on, applied before any test runs.</summary>
static class TestProcessDefaults
{
    /// <summary>
    /// One libtorch thread for every training in the suite, whatever its options say with Threads = 0.
    /// The networks here are tiny, so more threads gain nothing; and libtorch's OpenMP threads spin while waiting,
    /// so one per core stalls whenever xUnit runs another class or another process holds a core (see the README's
    /// "Training on a busy machine").
    /// </summary>
    [ModuleInitializer]
    internal static void OneLibTorchThread() => TorchRuntime.DefaultThreads = 1;

    /// <summary>
    /// The run's own temp folder, removed when the test process exits. Stock-loaded models keep a copy of each ONNX graph
    /// in the temp folder until they are disposed, and many tests load one only to compare its scores; this way no run
    /// leaves them behind on the machine (the CLI processes the tests start inherit the folder).
    /// </summary>
    [ModuleInitializer]
    internal static void PrivateTempFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"seminar-test-run-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        Environment.SetEnvironmentVariable(OperatingSystem.IsWindows() ? "TMP" : "TMPDIR", folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(folder, recursive: true); }
            catch (IOException) { } // Windows keeps files that are still open.
            catch (UnauthorizedAccessException) { }
        };
    }
}
