using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Tests.Retrieval;

/// <summary>The exact GSU's per-row relevance kernel: every width against a double-precision dot, heads in and past groups of four.</summary>
public class RowDotsTests
{
    static readonly SimdPath[] Paths = { SimdPath.Best, SimdPath.Vector512, SimdPath.Vector256, SimdPath.Scalar };

    public static TheoryData<int, int> Shapes()
    {
        var data = new TheoryData<int, int>();
        foreach (int d in new[] { 1, 7, 37, 64, 128 })
            foreach (int heads in new[] { 1, 3, 4, 5, 9 }) data.Add(d, heads);
        return data;
    }

    static float[] Random(Random random, int length) => Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

    [Theory, MemberData(nameof(Shapes))]
    public void Every_path_scores_every_head_within_float_rounding_of_the_exact_dot(int d, int heads)
    {
        var random = new Random(d * 31 + heads);
        var u = Random(random, heads * d);
        var x = Random(random, d);
        const int stride = 7;
        foreach (var path in Paths)
        {
            var scores = Enumerable.Repeat(float.NaN, (heads - 1) * stride + 1).ToArray();
            RowDots.Score(u, heads, x, scores, stride, path);
            for (int h = 0; h < heads; h++)
            {
                double exact = 0, magnitude = 0;
                for (int j = 0; j < d; j++)
                {
                    exact += (double)u[h * d + j] * x[j];
                    magnitude += Math.Abs((double)u[h * d + j] * x[j]);
                }
                Assert.True(Math.Abs(scores[h * stride] - exact) <= d * Math.Pow(2, -24) * magnitude + 1e-30,
                    $"{path}, D = {d}, head {h}: {scores[h * stride]} against {exact}");
            }
            // Only the heads' slots are written.
            for (int i = 0; i < scores.Length; i++)
                if (i % stride != 0) Assert.True(float.IsNaN(scores[i]), $"{path}: slot {i} between heads was written");
        }
    }

    [Fact]
    public void A_head_of_a_group_of_four_sums_as_a_lone_head_does()
    {
        // The streaming scan (PairFusion.FuseScore) relies on it: the same bits whether a head is scored in a group or alone.
        var random = new Random(5);
        const int d = 64, heads = 4;
        var u = Random(random, heads * d);
        var x = Random(random, d);
        foreach (var path in Paths)
        {
            var group = new float[heads];
            RowDots.Score(u, heads, x, group, 1, path);
            for (int h = 0; h < heads; h++)
            {
                var alone = new float[1];
                RowDots.Score(u.AsSpan(h * d, d), 1, x, alone, 1, path);
                Assert.Equal(BitConverter.SingleToInt32Bits(alone[0]), BitConverter.SingleToInt32Bits(group[h]));
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(37)]
    [InlineData(64)]
    [InlineData(128)]
    public void A_single_dot_has_the_bits_of_one_head_on_every_path(int d)
    {
        // The PQ re-rank and the decomposition's exact scores use Dot; the tests' exact references use Score's heads.
        var random = new Random(d);
        var u = Random(random, d);
        var x = Random(random, d);
        foreach (var path in Paths)
        {
            var head = new float[1];
            RowDots.Score(u, 1, x, head, 1, path);
            Assert.Equal(BitConverter.SingleToInt32Bits(head[0]), BitConverter.SingleToInt32Bits(RowDots.Dot(u, x, path)));
        }
        double exact = 0;
        for (int j = 0; j < d; j++) exact += (double)u[j] * x[j];
        Assert.True(Math.Abs(RowDots.Dot(u, x, SimdPath.Scalar) - exact) <= 1e-5 * d, $"scalar dot against {exact}");
        var error = Assert.Throws<ArgumentException>(() => RowDots.Dot(u, new float[d + 1]));
        Assert.StartsWith($"The vectors hold {d} and {d + 1} values.", error.Message);
    }

    [Fact]
    public void Short_buffers_are_refused_with_their_sizes()
    {
        var x = new float[8];
        var ex = Assert.Throws<ArgumentException>(() => RowDots.Score(new float[15], 2, x, new float[4], 2));
        Assert.Contains("The request vectors hold 15 values; 2 heads of D = 8 need 16", ex.Message);
        ex = Assert.Throws<ArgumentException>(() => RowDots.Score(new float[16], 2, x, new float[3], 3));
        Assert.Contains("The scores hold 3 values; 2 heads 3 apart need 4", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => RowDots.Score(new float[16], 0, x, new float[4], 1));
    }
}
