using TorchSharp;

namespace Seminar.MLNet.Training.Runtime;

/// <summary>
/// Prepares TorchSharp for a deterministic training run: an explicit thread count (ML.NET hosts may
/// run several trainers; libtorch would otherwise take every core) and a seed taken from the caller.
/// </summary>
public static class TorchRuntime
{
    /// <summary>Sets libtorch's intra-op thread count and seeds its generators.</summary>
    /// <param name="seed">Seed, normally drawn from the <c>MLContext</c>.</param>
    /// <param name="threads">Intra-op threads; 0 means one per core.</param>
    public static void Configure(int seed, int threads = 0)
    {
        if (threads < 0) throw new ArgumentOutOfRangeException(nameof(threads), threads, "Thread count must be 0 (all cores) or positive.");
        torch.set_num_threads(threads == 0 ? Environment.ProcessorCount : threads);
        torch.manual_seed(seed);
    }
}
