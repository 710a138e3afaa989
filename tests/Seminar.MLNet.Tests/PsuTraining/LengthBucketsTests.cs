using Seminar.MLNet.Training.PsuTraining;
using Xunit;

namespace Seminar.MLNet.Tests.PsuTraining;

public class LengthBucketsTests
{
    [Fact]
    public void Every_row_comes_out_once_in_batches_of_the_asked_size()
    {
        var random = new Random(3);
        var lengths = Enumerable.Range(0, 1_000).Select(_ => random.Next(1, 600)).ToArray();
        var batches = LengthBuckets.Batches(Enumerable.Range(0, lengths.Length), i => lengths[i], 16, new Random(1)).ToList();

        Assert.Equal(Enumerable.Range(0, lengths.Length), batches.SelectMany(b => b).OrderBy(i => i));
        // Windows hold whole batches, so only the last window has a short batch: 1,000 = 62 x 16 + 8.
        Assert.Equal(63, batches.Count);
        Assert.Equal(new[] { 8 }, batches.Where(b => b.Count != 16).Select(b => b.Count));
    }

    [Fact]
    public void Batches_pad_far_less_than_random_batches_of_a_long_tailed_stream()
    {
        // Lifelong histories: most short, a few very long (the shape of Amazon Toys: mean 9, longest 550).
        var random = new Random(5);
        var lengths = Enumerable.Range(0, 4_096).Select(_ => random.NextDouble() < 0.05 ? random.Next(50, 550) : random.Next(1, 20)).ToArray();
        long Padded(IEnumerable<List<int>> batches) => batches.Sum(b => (long)b.Count * b.Max(i => lengths[i]));
        long random64 = Padded(Enumerable.Range(0, lengths.Length).Chunk(64).Select(c => c.ToList()));
        long bucketed = Padded(LengthBuckets.Batches(Enumerable.Range(0, lengths.Length), i => lengths[i], 64, new Random(1)));
        long real = lengths.Sum(l => (long)l);

        // Random batches of 64 nearly all hold a long row; sorted windows pad at most to the next row's length band.
        Assert.True(random64 > 10 * real, $"random batches padded {random64} positions for {real} real ones");
        Assert.True(bucketed < 2 * real, $"bucketed batches padded {bucketed} positions for {real} real ones");
    }

    [Fact]
    public void The_order_is_a_function_of_the_seed_and_batches_mix_the_window()
    {
        var lengths = Enumerable.Range(0, 640).Select(i => i % 37).ToArray();
        List<List<int>> Run(int seed) => LengthBuckets.Batches(Enumerable.Range(0, 640), i => lengths[i], 10, new Random(seed)).ToList();

        Assert.Equal(Run(7).SelectMany(b => b), Run(7).SelectMany(b => b));
        Assert.NotEqual(Run(7).SelectMany(b => b), Run(8).SelectMany(b => b));
        // Batch order is shuffled: the batch lengths do not come out sorted.
        var firstLengths = Run(7).Select(b => lengths[b[0]]).ToList();
        Assert.NotEqual(firstLengths.OrderBy(l => l), firstLengths);
    }

    [Fact]
    public void A_batch_size_below_one_is_refused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => LengthBuckets.Batches(new[] { 1 }, i => i, 0, new Random(1)).ToList());
        Assert.Contains("at least one row", e.Message);
    }

    [Fact]
    public void A_batch_of_stretches_reads_each_row_up_to_its_prefix_only()
    {
        var rows = new[] { Row(new[] { 5, 6, 7, 8, 9 }), Row(new[] { 3, 4 }) };
        var batch = new PsuBatch(rows, 1, new[] { 3, 9 });

        Assert.Equal(3, batch.MaxLength);
        Assert.Equal(new long[] { 5, 6, 7, 3, 4, 0 }, batch.Items.data<long>().ToArray());
        Assert.Equal(new long[] { 3, 2 }, batch.Lengths.data<long>().ToArray());
        Assert.Equal(new long[] { 15, 16, 17, 13, 14, 0 }, batch.QueryTokens.data<long>().ToArray());
    }

    static PsuRow Row(int[] items) => new()
    {
        Items = items,
        QueryTokens = items.Select(i => i + 10).ToArray(),
        Target = 1,
        TargetQuery = new[] { 0 },
        Label = 1,
        Position = 0,
    };
}
