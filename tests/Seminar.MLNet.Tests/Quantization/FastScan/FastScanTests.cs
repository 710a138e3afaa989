using System.Numerics.Tensors;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Quantization.FastScan;
using Seminar.MLNet.Retrieval;
using Xunit.Abstractions;
using Scan = Seminar.MLNet.Quantization.FastScan.FastScan;

namespace Seminar.MLNet.Tests.Quantization.FastScan;

public class FastScanTests(ITestOutputHelper output)
{
    // Every path runs on any machine (vectors the hardware lacks run in software), so each is checked everywhere.
    static readonly SimdPath[] Paths = { SimdPath.Best, SimdPath.Vector512, SimdPath.Vector256, SimdPath.Scalar };

    static byte[] RandomCodes(Random random, int count, int subSpaces)
    {
        var codes = new byte[count * subSpaces];
        for (int i = 0; i < codes.Length; i++) codes[i] = (byte)random.Next(16);
        return codes;
    }

    public static TheoryData<int, int> Shapes()
    {
        var data = new TheoryData<int, int>();
        foreach (int m in new[] { 1, 2, 6, 8, 16, 32, 256 })
            foreach (int n in new[] { 0, 1, 31, 32, 33, 100, 1_001 }) data.Add(n, m);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Packing_round_trips_plain_codes(int n, int m)
    {
        var codes = RandomCodes(new Random(n * 31 + m), n, m);
        var packed = FourBitCodes.Pack(codes, n, m);
        Assert.Equal((n + 31) / 32, packed.Blocks);
        Assert.Equal(packed.Blocks * ((m + 1) / 2) * 32, packed.Data.Length);
        var back = new byte[n * m];
        packed.Unpack(back);
        Assert.Equal(codes, back);
    }

    [Fact]
    public void Packing_follows_FAISS_pq4_pack_codes_byte_for_byte()
    {
        // FAISS packs byte j of pair p as c0[perm0[j]] | c0[perm0[j] + 16] << 4 (sub-space 2p) and byte 16 + j the same for 2p + 1.
        int[] perm0 = { 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15 };
        const int n = 32, m = 4;
        var codes = RandomCodes(new Random(5), n, m);
        var data = FourBitCodes.Pack(codes, n, m).Data.ToArray();
        for (int p = 0; p < m / 2; p++)
            for (int j = 0; j < 16; j++)
            {
                Assert.Equal(codes[perm0[j] * m + 2 * p] | codes[(perm0[j] + 16) * m + 2 * p] << 4, data[p * 32 + j]);
                Assert.Equal(codes[perm0[j] * m + 2 * p + 1] | codes[(perm0[j] + 16) * m + 2 * p + 1] << 4, data[p * 32 + 16 + j]);
            }
    }

    [Fact]
    public void Packing_rejects_codes_of_16_or_more()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => FourBitCodes.Pack(new byte[] { 3, 16 }, 1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => FourBitCodes.Pack(new byte[257], 1, 257));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_path_equals_the_naive_sum_of_table_bytes(int n, int m)
    {
        var random = new Random(n * 17 + m);
        var codes = RandomCodes(random, n, m);
        var packed = FourBitCodes.Pack(codes, n, m);
        // Full-range bytes: 256 sub-spaces of 255 reach 65,280, the most the 16-bit sums must hold.
        var table = new byte[packed.PaddedSubSpaces * 16];
        random.NextBytes(table.AsSpan(0, m * 16));
        if (m == 256) table.AsSpan().Fill(255);
        var expected = new ushort[n];
        for (int i = 0; i < n; i++)
        {
            int sum = 0;
            for (int s = 0; s < m; s++) sum += table[s * 16 + codes[i * m + s]];
            expected[i] = checked((ushort)sum);
        }
        foreach (var path in Paths)
        {
            var sums = Enumerable.Repeat((ushort)7777, packed.PaddedCount + 1).ToArray();
            Scan.Scan(packed, table, sums, path);
            Assert.True(expected.AsSpan().SequenceEqual(sums.AsSpan(0, n)), $"{path} n={n} m={m}: first difference at {expected.AsSpan().CommonPrefixLength(sums.AsSpan(0, n))}");
            Assert.Equal(7777, sums[packed.PaddedCount]);
            // Warming a companion array as the scan goes (whole, shorter than the codes, or none) changes no sum.
            foreach (int companion in new[] { n, n / 2, 0 })
            {
                var again = Enumerable.Repeat((ushort)7777, packed.PaddedCount + 1).ToArray();
                Scan.Scan(packed, table, again, path, new int[companion]);
                Assert.True(sums.AsSpan().SequenceEqual(again), $"{path} n={n} m={m}, companion of {companion}");
            }
        }
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    [InlineData(32)]
    public void Dequantized_sums_stay_within_the_error_bound_of_the_float_sums(int m)
    {
        const int d = 64, n = 2_000;
        var random = new Random(m);
        float Next() => (float)(random.NextDouble() * 2 - 1);
        int dsub = d / m;
        var book = Enumerable.Range(0, m * 16 * dsub).Select(_ => Next()).ToArray();
        var tables = new QuantizedLookupTables(book, d, m, 16);
        var codes = RandomCodes(random, n, m);
        var packed = FourBitCodes.Pack(codes, n, m);
        var sums = new ushort[packed.PaddedCount];
        double worst = 0;
        for (int q = 0; q < 5; q++)
        {
            var u = Enumerable.Range(0, d).Select(_ => Next() * 3).ToArray();
            tables.Build(u);
            // The float table is the query against each centroid, and every path builds it to the bit.
            for (int s = 0; s < m; s++)
                for (int k = 0; k < 16; k++)
                {
                    float dot = 0;
                    for (int j = 0; j < dsub; j++) dot = MathF.FusedMultiplyAdd(u[s * dsub + j], book[(s * 16 + k) * dsub + j], dot);
                    Assert.Equal(dot, tables.Float[s * 16 + k]);
                }
            var built = tables.Float.ToArray();
            var (bytes, scale, bias) = (tables.Bytes.ToArray(), tables.Scale, tables.Bias);
            foreach (var path in Paths)
            {
                tables.Build(u, path);
                Assert.Equal(built, tables.Float.ToArray());
                // The quantization too: a row is one 512-bit register on that path, sixteen scalar steps on the others.
                Assert.Equal(bytes, tables.Bytes.ToArray());
                Assert.Equal((BitConverter.SingleToInt32Bits(scale), BitConverter.SingleToInt32Bits(bias)),
                    (BitConverter.SingleToInt32Bits(tables.Scale), BitConverter.SingleToInt32Bits(tables.Bias)));
            }
            Scan.Scan(packed, tables, sums);
            double magnitude = Math.Abs(tables.Bias);
            for (int s = 0; s < m; s++) magnitude += tables.Float.Slice(s * 16, 16).ToArray().Max(Math.Abs);
            // Float rounding: the scaled entries, the bias sum and the dequantization, a few ulps of the magnitudes summed.
            double rounding = 8 * m * magnitude * 1.2e-7;
            for (int i = 0; i < n; i++)
            {
                double exact = 0;
                for (int s = 0; s < m; s++) exact += tables.Float[s * 16 + codes[i * m + s]];
                double error = Math.Abs(tables.Dequantize(sums[i]) - exact);
                worst = Math.Max(worst, error / tables.ErrorBound);
                Assert.True(error <= tables.ErrorBound + rounding, $"m={m} query {q} vector {i}: |{tables.Dequantize(sums[i])} − {exact}| = {error} > {tables.ErrorBound} + {rounding}");
            }
        }
        output.WriteLine($"M = {m}: worst error {worst:F3} of the bound");
    }

    [Fact]
    public void Quantization_uses_one_step_for_all_sub_spaces_and_the_minima_as_bias()
    {
        var table = new float[2 * 16];
        for (int k = 0; k < 16; k++)
        {
            table[k] = -1 + k * 0.1f;       // span 1.5: the widest fills the byte
            table[16 + k] = 2 + k * 0.01f;  // span 0.15
        }
        var tables = new QuantizedLookupTables(new float[2 * 16], 2, 2, 16);
        tables.Quantize(table);
        Assert.Equal(1.5f / 255, tables.Scale, 1e-6f);
        Assert.Equal(1f, tables.Bias, 1e-6f);
        Assert.Equal(0, tables.Bytes[0]);
        Assert.Equal(255, tables.Bytes[15]);
        Assert.Equal((int)MathF.Floor(0.15f * 255 / 1.5f + 0.5f), tables.Bytes[31]);
    }

    [Fact]
    public void Constant_tables_quantize_to_zero_and_dequantize_to_the_bias()
    {
        var tables = new QuantizedLookupTables(new float[4 * 16], 4, 4, 16);
        tables.Quantize(Enumerable.Repeat(0.25f, 4 * 16).ToArray());
        Assert.Equal(0f, tables.Scale);
        Assert.Equal(1f, tables.Bias);
        Assert.All(tables.Bytes.ToArray(), b => Assert.Equal(0, b));
        Assert.Equal(1f, tables.Dequantize(0));
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    public void A_table_entry_that_is_not_finite_is_refused_naming_its_sub_space(float bad, string shown)
    {
        var tables = new QuantizedLookupTables(new float[4 * 16], 4, 4, 16);
        var table = Enumerable.Range(0, 4 * 16).Select(i => i * 0.1f).ToArray();
        table[2 * 16 + 5] = bad;
        var error = Assert.Throws<ArgumentException>(() => tables.Quantize(table));
        Assert.Equal($"Lookup table entry [2] is {shown}; entries must be finite.", error.Message);
    }

    static int[] ExactTopK(float[] vectors, float[] query, int n, int k)
    {
        int d = query.Length;
        var scores = new float[n];
        for (int i = 0; i < n; i++) scores[i] = TensorPrimitives.Dot(query, vectors.AsSpan(i * d, d));
        var top = new int[Math.Min(k, n)];
        TopK.Select(scores, k, top);
        return top;
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 5)]
    [InlineData(77, 5)]
    [InlineData(1_000, 50)]
    public void A_shortlist_of_every_vector_gives_the_exact_top_K(int n, int k)
    {
        const int d = 16, m = 8;
        var random = new Random(n + k);
        // Coarse values: many exact ties, which must go to the lower index as in the exact top-K.
        var vectors = Enumerable.Range(0, n * d).Select(_ => (float)random.Next(-2, 3)).ToArray();
        var query = Enumerable.Range(0, d).Select(_ => (float)random.Next(-2, 3)).ToArray();
        var packed = FourBitCodes.Pack(RandomCodes(random, n, m), n, m);
        var table = new byte[m * 16];
        random.NextBytes(table);
        var sums = new ushort[packed.PaddedCount];
        Scan.Scan(packed, table, sums, SimdPath.Best);
        var reranker = new ShortlistReranker(Math.Max(n, k), k);
        var indices = new int[k];
        int written = reranker.Rerank(sums, n, vectors, query, indices);
        Assert.Equal(ExactTopK(vectors, query, n, k), indices[..written]);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(100, 1)]
    [InlineData(100, 37)]
    [InlineData(1_000, 400)]
    [InlineData(10_007, 400)]
    [InlineData(10_007, 10_007)]
    [InlineData(100_000, 400)]
    [InlineData(100_000, 1_600)]
    public void The_shortlist_is_the_largest_sums_ties_to_the_lower_index_in_index_order(int n, int shortlist)
    {
        var random = new Random(n + shortlist);
        foreach (int max in new[] { 3, 300, 8_160, 65_535 })
        {
            var sums = Enumerable.Range(0, n).Select(_ => (ushort)random.Next(max + 1)).ToArray();
            var expected = Enumerable.Range(0, n).OrderByDescending(i => sums[i]).Take(shortlist).Order().ToArray();
            var reranker = new ShortlistReranker(shortlist, 1);
            foreach (var path in new[] { SimdPath.Best, SimdPath.Vector512, SimdPath.Vector256, SimdPath.Scalar })
                Assert.Equal(expected, reranker.SelectShortlist(sums, n, path).ToArray());
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(17)]
    [InlineData(1_003)]
    public void Collecting_the_sums_at_a_floor_lists_every_passing_index_in_order_on_every_path(int n)
    {
        var random = new Random(n);
        var sums = Enumerable.Range(0, n).Select(_ => (ushort)random.Next(1_000)).ToArray();
        foreach (int floor in new[] { 0, 1, 500, 990, 1_000 })
        {
            var expected = Enumerable.Range(0, n).Where(i => sums[i] >= floor).ToArray();
            foreach (var path in new[] { SimdPath.Best, SimdPath.Vector512, SimdPath.Vector256, SimdPath.Scalar })
            {
                var list = new int[n];
                int written = ShortlistReranker.Collect(sums, floor, list, path);
                Assert.Equal(expected, list[..written]);
            }
        }
        if (n > 0)
        {
            var error = Assert.Throws<ArgumentException>(() => ShortlistReranker.Collect(sums, 0, new int[n - 1]));
            Assert.Contains($"The list holds {n - 1} entries; {n} sums need as many.", error.Message);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(45)]
    [InlineData(1_001)]
    public void Keeping_above_a_threshold_takes_the_first_ties_in_order_on_every_path(int n)
    {
        var random = new Random(n + 3);
        // Values 0-3: most vector steps hold several ties, so the budget runs out inside a step.
        var listed = Enumerable.Range(0, n).Select(_ => random.Next(4)).ToArray();
        var list = Enumerable.Range(0, n).Select(i => 10 * i + 1).ToArray();
        foreach (int threshold in new[] { 0, 2, 3 })
            foreach (int ties in new[] { 0, 1, 5, n })
            {
                var expected = new List<int>();
                int left = ties;
                for (int p = 0; p < n; p++)
                    if (listed[p] > threshold || (listed[p] == threshold && left-- > 0)) expected.Add(list[p]);
                foreach (var path in new[] { SimdPath.Best, SimdPath.Vector512, SimdPath.Vector256, SimdPath.Scalar })
                {
                    var copy = list.ToArray();
                    int kept = ShortlistReranker.Keep(copy, listed, threshold, ties, path);
                    Assert.True(expected.SequenceEqual(copy[..kept]), $"{path} n={n} threshold={threshold} ties={ties}");
                }
            }
    }

    [Fact]
    public void A_sample_that_misjudges_the_floor_still_gives_the_exact_shortlist()
    {
        // Only sampled positions near the front are high: the sample's floor lets through fewer than K'.
        const int n = 100_000, shortlist = 400;
        int stride = ShortlistReranker.SampleStride(n, shortlist);
        Assert.Equal(31, stride);
        var sums = Enumerable.Range(0, n).Select(i => (ushort)(i % stride == 0 && i < stride * 90 ? 1_000 : 500)).ToArray();
        var expected = Enumerable.Range(0, n).OrderByDescending(i => sums[i]).Take(shortlist).Order().ToArray();
        Assert.Equal(expected, new ShortlistReranker(shortlist, 1).SelectShortlist(sums, n).ToArray());
    }

    /// <summary>
    /// Clustered data (D = 64, N = 10,000 in 1,000 clusters of about 10, so an exact top-50 spans several clusters),
    /// 16-centroid codebooks trained by the product quantizer (M = 32), K = 50: with a shortlist of 400 the re-ranked
    /// top-K finds at least 95% of the exact top-K on average over 20 queries, and without slack (K' = K) it does not,
    /// so the data is hard enough for the shortlist to matter.
    /// </summary>
    [Fact]
    public void Rerank_recalls_the_exact_top_K_on_clustered_vectors()
    {
        const int d = 64, n = 10_000, m = 32, k = 50, clusters = 1_000, queries = 20;
        var (vectors, queryVectors) = Clustered(d, n, clusters, queries, seed: 11, spread: 1f);
        var quantizer = ProductQuantizer.Train(vectors, d, new ProductQuantizerOptions { SubSpaces = m, Centroids = 16 }, seed: 3);
        Assert.Equal(16, quantizer.Centroids);
        var codes = new byte[n * m];
        quantizer.Encode(vectors, n, codes);
        var packed = FourBitCodes.Pack(codes, n, m);
        var tables = new QuantizedLookupTables(quantizer);
        var sums = new ushort[packed.PaddedCount];
        var indices = new int[k];
        foreach (int shortlist in new[] { k, 200, 400, 800 })
        {
            var reranker = new ShortlistReranker(shortlist, k);
            double recall = 0;
            for (int q = 0; q < queries; q++)
            {
                var u = queryVectors.AsSpan(q * d, d).ToArray();
                tables.Build(u);
                Scan.Scan(packed, tables, sums);
                Assert.Equal(k, reranker.Rerank(sums, n, vectors, u, indices));
                recall += ExactTopK(vectors, u, n, k).Intersect(indices).Count() / (double)k;
            }
            recall /= queries;
            output.WriteLine($"M = {m}, K' = {shortlist}: recall@{k} {recall:F4}");
            if (shortlist == k) Assert.True(recall < 0.95, $"recall@{k} without a shortlist is already {recall:F4}: the data does not test the re-rank");
            if (shortlist == 400) Assert.True(recall >= 0.95, $"recall@{k} with K' = 400 is {recall:F4}");
        }
    }

    /// <summary>Gaussian clusters around random centres; queries are fresh points of random clusters.</summary>
    internal static (float[] Vectors, float[] Queries) Clustered(int d, int n, int clusters, int queries, int seed, float spread)
    {
        var random = new Random(seed);
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var centres = Enumerable.Range(0, clusters * d).Select(_ => (float)Gaussian()).ToArray();
        float[] Points(int count)
        {
            var points = new float[count * d];
            for (int i = 0; i < count; i++)
            {
                int c = random.Next(clusters);
                for (int j = 0; j < d; j++) points[i * d + j] = centres[c * d + j] + spread * (float)Gaussian();
            }
            return points;
        }
        return (Points(n), Points(queries));
    }
}
