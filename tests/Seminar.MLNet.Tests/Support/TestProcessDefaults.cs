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
}
