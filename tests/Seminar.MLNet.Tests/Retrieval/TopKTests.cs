using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Tests.Retrieval;

public class TopKTests
{
    // Every path runs on any machine (vectors the hardware lacks run in software), so each is checked everywhere.
    static readonly SimdPath[] Paths = { SimdPath.Best, SimdPath.Vector512, SimdPath.Vector256, SimdPath.Scalar };

    // A stable sort by score descending (float.CompareTo: NaN below everything, −0 equal to +0), as ONNX TopK orders.
    static int[] Naive<T>(T[] scores, int k) where T : IComparable<T> =>
        Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).Take(k).ToArray();

    static void AssertSelects(float[] scores, int k, string what)
    {
        var expected = Naive(scores, k);
        var selector = new TopKSelector(k);
        foreach (var path in Paths)
        {
            var indices = Enumerable.Repeat(-7, expected.Length + 2).ToArray();
            int written = selector.Select(scores, indices, path);
            Assert.Equal(expected.Length, written);
            Assert.True(expected.AsSpan().SequenceEqual(indices.AsSpan(0, written)), $"{what} ({path}): expected [{string.Join(",", expected)}], got [{string.Join(",", indices[..written])}]");
            Assert.Equal(-7, indices[written]);
            // In row order: the same set in increasing order, the bitmap left clean for the next call.
            var rowOrder = Enumerable.Repeat(-7, expected.Length + 2).ToArray();
            Assert.Equal(expected.Length, selector.SelectInRowOrder(scores, rowOrder, path));
            Assert.Equal(expected.Order(), rowOrder[..expected.Length]);
            Assert.Equal(-7, rowOrder[expected.Length]);
        }
        var viaStatic = new int[expected.Length];
        Assert.Equal(expected.Length, TopK.Select(scores, k, viaStatic));
        Assert.Equal(expected, viaStatic);
    }

    static float[] RandomFloats(Random random, int n) => Enumerable.Range(0, n).Select(_ => (float)random.NextDouble()).ToArray();
    // Whole numbers as floats, as the PQ retriever feeds the selector its 16-bit table sums: many exact ties.
    static float[] RandomIntegers(Random random, int n, int max) => Enumerable.Range(0, n).Select(_ => (float)random.Next(max)).ToArray();

    public static TheoryData<int, int> Sizes()
    {
        var data = new TheoryData<int, int>();
        foreach (int n in new[] { 0, 1, 2, 15, 16, 17, 31, 33, 63, 65, 255, 257, 1000, 1031, 10_007 })
            foreach (int k in new[] { 1, 2, 7, 50, 64, 300 }) data.Add(n, k);
        data.Add(100_000, 50);
        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Random_scores_match_a_stable_sort(int n, int k)
    {
        var random = new Random(n * 7 + k);
        AssertSelects(RandomFloats(random, n), k, $"float n={n} k={k}");
        AssertSelects(RandomIntegers(random, n, 65536), k, $"integers n={n} k={k}");
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Many_ties_go_to_the_lower_index(int n, int k)
    {
        var random = new Random(n * 11 + k);
        AssertSelects(RandomIntegers(random, n, 4), k, $"float 0..3 n={n} k={k}");
        // All equal: the first k indices.
        AssertSelects(new float[n], k, $"zeros n={n} k={k}");
        AssertSelects(Enumerable.Repeat(0.5f, n).ToArray(), k, $"float constant n={n} k={k}");
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Sorted_inputs_match_a_stable_sort(int n, int k)
    {
        var ascending = Enumerable.Range(0, n).Select(i => (float)i).ToArray();
        AssertSelects(ascending, k, $"ascending n={n} k={k}");
        AssertSelects(ascending.Reverse().ToArray(), k, $"descending n={n} k={k}");
        var tiedAscending = Enumerable.Range(0, n).Select(i => (float)(i / 3)).ToArray();
        AssertSelects(tiedAscending, k, $"tied ascending n={n} k={k}");
        AssertSelects(tiedAscending.Reverse().ToArray(), k, $"tied descending n={n} k={k}");
    }

    [Fact]
    public void Every_length_around_the_vector_widths_and_k_at_least_n()
    {
        var random = new Random(3);
        for (int n = 0; n <= 300; n++)
            foreach (int k in new[] { 0, 1, 3, n - 1, n, n + 5 })
            {
                if (k < 0) continue;
                AssertSelects(RandomIntegers(random, n, 5), k, $"integers n={n} k={k}");
                AssertSelects(RandomFloats(random, n).Select(v => MathF.Round(v * 8)).ToArray(), k, $"float n={n} k={k}");
            }
    }

    [Fact]
    public void NaN_ranks_below_everything_and_signed_zeros_tie()
    {
        var random = new Random(9);
        var special = new[] { float.NaN, float.NegativeInfinity, float.PositiveInfinity, -0f, 0f, float.Epsilon, -float.Epsilon, float.MaxValue, -float.MaxValue, 1f, -1f };
        foreach (int n in new[] { 5, 40, 300, 3000 })
            foreach (int k in new[] { 1, 4, 50, 299, 3000 })
                for (int trial = 0; trial < 3; trial++)
                {
                    var scores = Enumerable.Range(0, n).Select(_ => special[random.Next(special.Length)]).ToArray();
                    AssertSelects(scores, k, $"specials n={n} k={k}");
                }
        // Mostly NaN: the few numbers first (−∞ included), then NaNs by index.
        var nans = Enumerable.Repeat(float.NaN, 1000).ToArray();
        nans[700] = float.NegativeInfinity;
        nans[900] = -3;
        nans[10] = 2;
        AssertSelects(nans, 50, "mostly NaN");
        Assert.Equal(new[] { 10, 900, 700, 0, 1 }, Naive(nans, 5));
        // +∞ fills the top: nothing later can beat it.
        AssertSelects(Enumerable.Repeat(float.PositiveInfinity, 1000).Append(1f).ToArray(), 5, "all +inf");
    }

    [Fact]
    public void Inputs_that_mislead_the_sampled_first_threshold_still_match()
    {
        var random = new Random(17);
        // The best scores crowd into one stretch and one lane, so few sampled group maxima see them.
        var clustered = RandomFloats(random, 20_000);
        for (int i = 5000; i < 5200; i++) clustered[i] += 10;
        AssertSelects(clustered, 50, "clustered stretch");
        var lane = RandomFloats(random, 20_000);
        for (int i = 0; i < lane.Length; i += 64) lane[i] += 10;
        AssertSelects(lane, 50, "one lane");
        // Most scores equal the sampled floor: the buffer fills and is cut over and over.
        var plateau = Enumerable.Range(0, 30_000).Select(i => i % 1000 == 999 ? 2f : 1f).ToArray();
        AssertSelects(plateau, 50, "plateau");
        // Larger k, and the sample thinned out over a long input.
        AssertSelects(RandomFloats(random, 50_000), 1000, "k=1000");
        AssertSelects(RandomIntegers(random, 200_000, 65536), 100, "integers n=200,000");
    }

    [Fact]
    public void A_selector_reuses_its_buffer_across_lengths()
    {
        var random = new Random(13);
        var selector = new TopKSelector(50);
        var indices = new int[50];
        foreach (int n in new[] { 100_000, 10, 3000, 0, 60, 20_000 })
        {
            var scores = RandomFloats(random, n);
            int written = selector.Select(scores, indices);
            Assert.Equal(Naive(scores, 50), indices[..written]);
        }
    }

    [Fact]
    public void Arguments_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TopKSelector(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TopK.Select(new float[3], -1, new int[3]));
        Assert.Throws<ArgumentException>(() => TopK.Select(new float[10], 5, new int[4]));
        Assert.Equal(0, TopK.Select(new float[10], 0, Span<int>.Empty));
        Assert.Equal(0, TopK.Select(ReadOnlySpan<float>.Empty, 5, Span<int>.Empty));
    }
}
