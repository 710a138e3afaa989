using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Tests.Retrieval;

public class MemoryBandwidthTests
{
    [Fact]
    public void A_small_buffer_measures_a_finite_positive_bandwidth()
    {
        double gigabytesPerSecond = MemoryBandwidth.MeasureReadGigabytesPerSecond(16L << 20, 1);
        Assert.True(double.IsFinite(gigabytesPerSecond) && gigabytesPerSecond > 0, $"measured {gigabytesPerSecond} GB/s");
    }

    [Fact]
    public void Arguments_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryBandwidth.MeasureReadGigabytesPerSecond(100, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => MemoryBandwidth.MeasureReadGigabytesPerSecond(1 << 20, 0));
    }
}
