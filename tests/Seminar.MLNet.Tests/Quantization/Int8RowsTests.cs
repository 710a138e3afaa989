using Seminar.MLNet.Quantization;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Tests.Quantization;

public class Int8RowsTests
{
    static readonly SimdPath[] Paths = { SimdPath.Best, SimdPath.Vector512, SimdPath.Vector256, SimdPath.Scalar };

    static float[] Table(Random random, int rows, int d) => Enumerable.Range(0, rows * d).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();

    [Theory]
    [InlineData(64)]
    [InlineData(40)]
    [InlineData(100)]
    public void The_integer_dot_equals_the_naive_sum_on_every_path_padding_included(int d)
    {
        var random = new Random(d);
        var rows = new Int8Rows(Table(random, 30, d), d);
        Assert.Equal((d + 63) / 64 * 64, rows.Stride);
        var request = new short[rows.Stride];
        int limit = rows.RequestLimit;
        for (int trial = 0; trial < 20; trial++)
        {
            // Random requests, and the extremes the rounding can give, against every row.
            for (int j = 0; j < d; j++) request[j] = (short)(trial switch { 0 => limit, 1 => -limit, _ => random.Next(-limit, limit + 1) });
            for (int i = 0; i < rows.Count; i++)
            {
                var row = rows.PaddedRow(i);
                Assert.All(row[d..].ToArray(), b => Assert.Equal(0, b));
                long naive = 0;
                for (int j = 0; j < d; j++) naive += request[j] * row[j];
                foreach (var path in Paths)
                {
                    Assert.Equal(naive, Int8Rows.Dot(request, row, path));
                    Assert.Equal(naive, Int8Rows.Dot(request, row, path, portable: true));
                }
            }
        }
    }

    [Fact]
    public void Consecutive_rows_dotted_at_once_equal_each_row_s_dot_on_every_path()
    {
        var random = new Random(11);
        var rows = new Int8Rows(Table(random, 40, 100), 100);
        var request = new short[rows.Stride];
        float factor = rows.PrepareRequest(Table(random, 1, 100), request);
        foreach (var path in Paths)
        {
            var dots = new float[25];
            rows.DotEach(request, 10, factor, dots, path);
            for (int i = 0; i < dots.Length; i++) Assert.Equal(factor * Int8Rows.Dot(request, rows.PaddedRow(10 + i), SimdPath.Scalar), dots[i]);
        }
        Assert.Contains("Rows 30 to 40 run past the table's 40", Assert.Throws<ArgumentException>(() => rows.DotEach(request, 30, factor, new float[11])).Message);
        Assert.Contains("stride is 128", Assert.Throws<ArgumentException>(() => rows.DotEach(new short[100], 0, factor, new float[1])).Message);
    }

    [Fact]
    public void The_largest_request_times_the_largest_bytes_does_not_overflow_at_a_wide_dimension()
    {
        const int d = 1_024;
        var rows = new Int8Rows(Enumerable.Repeat(-3f, d).Concat(Enumerable.Repeat(3f, d)).ToArray(), d);
        var request = new short[rows.Stride];
        Array.Fill(request, (short)rows.RequestLimit);
        Assert.True(rows.RequestLimit < short.MaxValue);
        foreach (var path in Paths)
        {
            Assert.Equal(-127L * d * rows.RequestLimit, Int8Rows.Dot(request, rows.PaddedRow(0), path));
            Assert.Equal(127L * d * rows.RequestLimit, Int8Rows.Dot(request, rows.PaddedRow(1), path, portable: true));
        }
    }

    [Fact]
    public void Bytes_hold_each_value_within_half_a_step_and_a_request_s_dots_stay_within_the_rounding_bound()
    {
        const int d = 64;
        var random = new Random(5);
        var table = Table(random, 200, d);
        // A dimension zero everywhere keeps scale 1 and zero bytes.
        for (int i = 0; i < 200; i++) table[i * d + 7] = 0;
        var rows = new Int8Rows(table, d);
        Assert.Equal(1f, rows.Scales[7]);
        for (int i = 0; i < rows.Count; i++)
            for (int j = 0; j < d; j++)
            {
                Assert.InRange(rows.Row(i)[j], -127, 127);
                Assert.True(Math.Abs(table[i * d + j] - rows.Scales[j] * rows.Row(i)[j]) <= rows.Scales[j] / 2 * (1 + 1e-5), $"row {i}, dimension {j}");
            }
        var u = Table(random, 1, d);
        var request = new short[rows.Stride];
        float factor = rows.PrepareRequest(u, request);
        Assert.True(factor > 0);
        Assert.Contains(request, q => Math.Abs(q) == rows.RequestLimit);
        for (int i = 0; i < rows.Count; i++)
        {
            // Two roundings: the row's (half a step of each dimension) and the request's (half the factor per byte).
            double exact = 0, bound = 0;
            for (int j = 0; j < d; j++)
            {
                exact += u[j] * table[i * d + j];
                bound += Math.Abs(u[j]) * rows.Scales[j] / 2 + factor / 2 * Math.Abs(rows.Row(i)[j]);
            }
            Assert.True(Math.Abs(factor * Int8Rows.Dot(request, rows.PaddedRow(i)) - exact) <= bound * 1.001 + 1e-5, $"row {i}");
        }
        // A zero request vector has factor 0 and zero integers.
        Assert.Equal(0f, rows.PrepareRequest(new float[d], request));
        Assert.All(request, q => Assert.Equal(0, q));
    }

    [Fact]
    public void Bad_tables_and_requests_are_refused_with_what_is_wrong()
    {
        Assert.Contains("not whole rows of 4", Assert.Throws<ArgumentException>(() => new Int8Rows(new float[6], 4)).Message);
        var bad = new float[8];
        bad[5] = float.NaN;
        Assert.Contains("Row 1 holds NaN at dimension 1", Assert.Throws<ArgumentException>(() => new Int8Rows(bad, 4)).Message);
        var rows = new Int8Rows(new float[8], 4);
        Assert.Contains("D = 4", Assert.Throws<ArgumentException>(() => rows.PrepareRequest(new float[3], new short[64])).Message);
        Assert.Contains("stride is 64", Assert.Throws<ArgumentException>(() => rows.PrepareRequest(new float[4], new short[32])).Message);
        Assert.Contains("Infinity", Assert.Throws<ArgumentException>(() => rows.PrepareRequest(new[] { 0, float.PositiveInfinity, 0, 0 }, new short[64])).Message);
        Assert.Contains("same multiple of 64", Assert.Throws<ArgumentException>(() => Int8Rows.Dot(new short[64], new sbyte[32])).Message);
    }
}
