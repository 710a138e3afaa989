using Seminar.MLNet.Training.Runtime;
using TorchSharp;

namespace Seminar.MLNet.Tests.Training;

public class TorchThreadDefaultTests
{
    [Fact]
    public void A_run_asking_for_0_threads_gets_the_suites_one_thread_and_an_explicit_count_still_wins()
    {
        using var held = TorchRuntime.Exclusive();
        Assert.Equal(1, TorchRuntime.DefaultThreads);

        TorchRuntime.Configure(seed: 1, threads: 0);
        Assert.Equal(1, torch.get_num_threads());

        TorchRuntime.Configure(seed: 1, threads: 2);
        Assert.Equal(2, torch.get_num_threads());

        var before = TorchRuntime.DefaultThreads;
        try
        {
            // Without a default, 0 still means one per core, as PsuEmbeddingOptions.Threads documents.
            TorchRuntime.DefaultThreads = null;
            TorchRuntime.Configure(seed: 1, threads: 0);
            Assert.Equal(Environment.ProcessorCount, torch.get_num_threads());
        }
        finally
        {
            TorchRuntime.DefaultThreads = before;
            TorchRuntime.Configure(seed: 1, threads: 0);
        }
        Assert.Equal(1, torch.get_num_threads());
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchRuntime.Configure(seed: 1, threads: -1));
    }
}
