using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Tests.Retrieval;

public class BlockedVectorsTests
{
    // Every path runs on any machine (vectors the hardware lacks run in software), so each is checked everywhere.
    static readonly SimdPath[] Paths = { SimdPath.Best, SimdPath.Vector512, SimdPath.Vector256, SimdPath.Scalar };

    public static TheoryData<int, int> Shapes()
    {
        var data = new TheoryData<int, int>();
        foreach (int d in new[] { 1, 7, 64 })
            foreach (int heads in new[] { 1, 3, 4, 5 }) data.Add(d, heads);
        return data;
    }

    static float[] Random(Random random, int length)
    {
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    /// <summary>Compares against a double-precision dot, relative to Σ|u_d x_d| (the scale float rounding works at).</summary>
    static void AssertScores(BlockedVectors vectors, float[] rows, float[] queries, int heads, float[] scores, string what)
    {
        int d = vectors.Dimension, padded = vectors.PaddedCount;
        for (int h = 0; h < heads; h++)
            for (int l = 0; l < padded; l++)
            {
                float actual = scores[h * padded + l];
                if (l >= vectors.Count)
                {
                    Assert.True(actual == 0, $"{what}: padded lane {l} of head {h} scored {actual}");
                    continue;
                }
                double exact = 0, magnitude = 0;
                for (int j = 0; j < d; j++)
                {
                    double term = (double)queries[h * d + j] * rows[l * d + j];
                    exact += term;
                    magnitude += Math.Abs(term);
                }
                Assert.True(Math.Abs(actual - exact) <= 1e-5 * Math.Max(magnitude, 1e-30),
                    $"{what}: head {h}, behaviour {l}: expected {exact}, got {actual}");
            }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Scores_match_a_naive_double_dot_on_every_path(int d, int heads)
    {
        var random = new Random(d * 31 + heads);
        foreach (int count in new[] { 0, 1, 15, 16, 17, 1000 })
        {
            var rows = Random(random, count * d);
            var queries = Random(random, heads * d);
            var vectors = new BlockedVectors(d, count);
            vectors.Load(rows, count);
            Assert.Equal(count, vectors.Count);
            Assert.Equal((count + 15) / 16 * 16, vectors.PaddedCount);
            Assert.Equal((long)vectors.PaddedCount * d * sizeof(float), vectors.Bytes);
            foreach (var path in Paths)
            {
                var scores = new float[heads * vectors.PaddedCount + 3];
                scores.AsSpan().Fill(float.NaN);
                vectors.Score(queries, heads, scores, path);
                AssertScores(vectors, rows, queries, heads, scores, $"D={d} H={heads} L={count} {path}");
                Assert.All(scores.AsSpan(heads * vectors.PaddedCount).ToArray(), s => Assert.True(float.IsNaN(s), "wrote past the scores"));
            }
        }
    }

    [Fact]
    public void Many_heads_go_in_groups_over_tiles_and_stay_exact()
    {
        var random = new Random(5);
        const int d = 64, count = 1000;
        var rows = Random(random, count * d);
        var vectors = new BlockedVectors(d, 0);
        vectors.Load(rows, count);
        foreach (int heads in new[] { 6, 7, 8, 9, 13 })
        {
            var queries = Random(random, heads * d);
            foreach (var path in Paths)
            {
                var scores = new float[heads * vectors.PaddedCount];
                vectors.Score(queries, heads, scores, path);
                AssertScores(vectors, rows, queries, heads, scores, $"H={heads} {path}");
            }
        }
    }

    [Theory]
    [InlineData(1, 1000)]
    [InlineData(7, 333)]
    [InlineData(64, 1000)]
    [InlineData(64, 141)]
    public void Two_blocks_at_a_time_give_the_bits_of_one_block_at_a_time(int d, int count)
    {
        // Past four heads, full groups of four go two blocks per pass; four heads alone go one block per pass. Per lane
        // both run the same operations in the same order, so every group's scores must be the same bits either way,
        // odd block counts (a last block alone) included.
        var random = new Random(d + count);
        var rows = Random(random, count * d);
        var vectors = new BlockedVectors(d, 0);
        vectors.Load(rows, count);
        const int heads = 11;
        var queries = Random(random, heads * d);
        int padded = vectors.PaddedCount;
        foreach (var path in Paths)
        {
            var together = new float[heads * padded];
            vectors.Score(queries, heads, together, path);
            for (int h = 0; h + 4 <= heads; h += 4)
            {
                var alone = new float[4 * padded];
                vectors.Score(queries.AsSpan(h * d, 4 * d), 4, alone, path);
                for (int i = 0; i < alone.Length; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(alone[i]) == BitConverter.SingleToInt32Bits(together[h * padded + i]),
                        $"{path}, D = {d}, head {h + i / padded}, behaviour {i % padded}: {together[h * padded + i]} against {alone[i]}");
            }
        }
    }

    [Fact]
    public void Loading_again_reuses_storage_clears_stale_lanes_and_grows()
    {
        var random = new Random(7);
        const int d = 7, heads = 3;
        var vectors = new BlockedVectors(d, 100);
        var queries = Random(random, heads * d);
        foreach (int count in new[] { 1000, 17, 0, 33, 2000, 5 })
        {
            var rows = Random(random, count * d + 11); // longer than needed: only count·D values are read
            vectors.Load(rows, count);
            Assert.Equal(count, vectors.Count);
            foreach (var path in Paths)
            {
                var scores = new float[heads * vectors.PaddedCount];
                vectors.Score(queries, heads, scores, path);
                AssertScores(vectors, rows, queries, heads, scores, $"L={count} {path}");
            }
        }
    }

    [Fact]
    public void Arguments_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockedVectors(0, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BlockedVectors(4, -1));
        var vectors = new BlockedVectors(4, 0);
        Assert.Throws<ArgumentException>(() => vectors.Load(new float[7], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => vectors.Load(new float[8], -1));
        vectors.Load(new float[8], 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => vectors.Score(new float[0], 0, new float[16]));
        Assert.Throws<ArgumentException>(() => vectors.Score(new float[5], 1, new float[16]));
        Assert.Throws<ArgumentException>(() => vectors.Score(new float[8], 2, new float[31]));
    }
}
