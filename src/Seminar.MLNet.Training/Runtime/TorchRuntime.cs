using TorchSharp;

namespace Seminar.MLNet.Training.Runtime;

/// <summary>
/// Prepares TorchSharp for a deterministic training run: an explicit thread count (ML.NET hosts may
/// run several trainers; libtorch would otherwise take every core) and a seed taken from the caller.
/// libtorch's generator and thread pool are process-wide, so a run holds <see cref="Exclusive"/> from seeding
/// to its last step: two trainings in one process then run one after the other, each reproducible.
/// </summary>
internal static class TorchRuntime
{
    static readonly object Gate = new();

    /// <summary>
    /// Threads a run that asks for 0 gets; null means one per core. A host that runs many small trainings beside
    /// other work (the test suite) sets it once, rather than every caller setting its own count.
    /// </summary>
    internal static int? DefaultThreads { get; set; }

    /// <summary>Sets libtorch's intra-op thread count and seeds its generators. Call while holding <see cref="Exclusive"/>.</summary>
    /// <param name="seed">Seed, normally drawn from the <c>MLContext</c>.</param>
    /// <param name="threads">Intra-op threads; 0 means <see cref="DefaultThreads"/>, else one per core.</param>
    public static void Configure(int seed, int threads = 0)
    {
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "Thread count must be 0 (all cores) or positive.");
        torch.set_num_threads(threads != 0 ? threads : DefaultThreads ?? Environment.ProcessorCount);
        torch.manual_seed(seed);
    }

    /// <summary>Takes the process-wide libtorch lock until disposed (on the same thread).</summary>
    public static Held Exclusive()
    {
        Monitor.Enter(Gate);
        return new Held();
    }

    /// <summary>The held lock; dispose to release it.</summary>
    public readonly struct Held : IDisposable
    {
        /// <summary>Releases the lock.</summary>
        public void Dispose() => Monitor.Exit(Gate);
    }
}
