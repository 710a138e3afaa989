using Seminar.MLNet.Quantization;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Tests.Quantization;

public class ProductQuantizerTests
{
    // D = 4, C = 2, K = 3. Sub-space 0: origin, (1, 0), (0, 2), norms 0, 1, 4.
    // Sub-space 1: origin, (1, 1), (-1, 1), norms 0, 2, 2.
    static readonly float[] HandCodebook = [0, 0, 1, 0, 0, 2, 0, 0, 1, 1, -1, 1];

    static ProductQuantizer Hand() => ProductQuantizer.FromCodebook(4, 2, 3, HandCodebook);

    static byte[] Encode(ProductQuantizer pq, params float[] vector)
    {
        var codes = new byte[pq.SubSpaces];
        pq.Encode(vector, codes);
        return codes;
    }

    static float[] RoundTrip(ProductQuantizer pq, ReadOnlySpan<float> vector)
    {
        var decoded = new float[pq.Dimension];
        pq.Decode(Encode(pq, vector.ToArray()), decoded);
        return decoded;
    }

    static float[] Gaussian(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()))).ToArray();
    }

    /// <summary>Σ‖x − Decode(Encode(x))‖² / Σ‖x‖² over the rows.</summary>
    static double RelativeError(ProductQuantizer pq, float[] vectors)
    {
        int n = vectors.Length / pq.Dimension;
        var codes = new byte[n * pq.SubSpaces];
        pq.Encode(vectors, n, codes);
        var decoded = new float[pq.Dimension];
        double error = 0, energy = 0;
        for (int i = 0; i < n; i++)
        {
            pq.Decode(codes.AsSpan(i * pq.SubSpaces, pq.SubSpaces), decoded);
            for (int j = 0; j < pq.Dimension; j++)
            {
                double x = vectors[i * pq.Dimension + j], e = x - decoded[j];
                error += e * e;
                energy += x * x;
            }
        }
        return error / energy;
    }

    [Fact]
    public void Hand_made_codebook_gives_hand_computed_codes_with_ties_to_the_lower_index()
    {
        var pq = Hand();

        Assert.Equal((4, 2, 2, 3), (pq.Dimension, pq.SubSpaces, pq.SubDimension, pq.Centroids));
        Assert.Equal(new float[] { 0, 1, 4, 0, 2, 2 }, pq.CentroidNorms.ToArray());
        Assert.Equal(HandCodebook, pq.Codebook.ToArray());
        // (0.9, 0.1): scores 0, 1 − 1.8, 4 − 0.4 → 1.   (−2, 1): 0, 2 + 2, 2 − 6 → 2.
        Assert.Equal(new byte[] { 1, 2 }, Encode(pq, 0.9f, 0.1f, -2, 1));
        // (0.5, 0): 0, 1 − 1, 4 → tie of 0 and 1 → 0.   (0, 2): 0, 2 − 4, 2 − 4 → tie of 1 and 2 → 1.
        Assert.Equal(new byte[] { 0, 1 }, Encode(pq, 0.5f, 0, 0, 2));
        // (0, 1.5): 0, 1, 4 − 6 → 2.   (1, 0): 0, 2 − 2, 2 + 2 → tie of 0 and 1 → 0.
        Assert.Equal(new byte[] { 2, 0 }, Encode(pq, 0, 1.5f, 1, 0));
        Assert.Equal(new byte[] { 0, 0 }, Encode(pq, 0, 0, 0, 0));

        var batch = new byte[8];
        pq.Encode([0.9f, 0.1f, -2, 1, 0.5f, 0, 0, 2, 0, 1.5f, 1, 0, 0, 0, 0, 0], 4, batch);
        Assert.Equal(new byte[] { 1, 2, 0, 1, 2, 0, 0, 0 }, batch);
    }

    [Fact]
    public void Decode_writes_the_named_centroids()
    {
        var pq = Hand();
        var vector = new float[4];

        pq.Decode([1, 2], vector);
        Assert.Equal(new float[] { 1, 0, -1, 1 }, vector);
        pq.Decode([2, 0], vector);
        Assert.Equal(new float[] { 0, 2, 0, 0 }, vector);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => pq.Decode([0, 3], vector));
        Assert.Contains("sub-space 1", e.Message);
    }

    [Fact]
    public void Encode_and_decode_check_their_buffers()
    {
        var pq = Hand();
        Assert.Throws<ArgumentException>(() => pq.Encode(new float[3], new byte[2]));
        Assert.Throws<ArgumentException>(() => pq.Encode(new float[4], new byte[1]));
        Assert.Throws<ArgumentException>(() => pq.Encode(new float[7], 2, new byte[4]));
        Assert.Throws<ArgumentException>(() => pq.Encode(new float[8], 2, new byte[3]));
        Assert.Throws<ArgumentException>(() => pq.Decode(new byte[3], new float[4]));
        Assert.Throws<ArgumentException>(() => pq.Decode(new byte[2], new float[3]));
    }

    [Fact]
    public void FromCodebook_rejects_a_moved_origin_a_wrong_size_and_non_finite_values()
    {
        var moved = (float[])HandCodebook.Clone();
        moved[7] = 0.5f; // sub-space 1, centroid 0
        Assert.Contains("Centroid 0 of sub-space 1", Assert.Throws<ArgumentException>(() => ProductQuantizer.FromCodebook(4, 2, 3, moved)).Message);
        Assert.Contains("needs 12", Assert.Throws<ArgumentException>(() => ProductQuantizer.FromCodebook(4, 2, 3, new float[10])).Message);
        var nan = (float[])HandCodebook.Clone();
        nan[9] = float.NaN; // sub-space 1, centroid 1
        Assert.Contains("sub-space 1, centroid 1", Assert.Throws<ArgumentException>(() => ProductQuantizer.FromCodebook(4, 2, 3, nan)).Message);
        Assert.Throws<ArgumentException>(() => ProductQuantizer.FromCodebook(4, 3, 3, HandCodebook));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProductQuantizer.FromCodebook(4, 2, 257, new float[2 * 257 * 2]));
    }

    [Fact]
    public void The_codebook_is_copied()
    {
        var codebook = (float[])HandCodebook.Clone();
        var pq = ProductQuantizer.FromCodebook(4, 2, 3, codebook);
        codebook[2] = 100;
        Assert.Equal(new byte[] { 1, 0 }, Encode(pq, 1, 0, 0, 0));
        Assert.Equal(1f, pq.Codebook.Span[2]);
    }

    [Fact]
    public void Training_on_a_few_distinct_points_reproduces_them_exactly()
    {
        float[][] distinct = [[1, 2, 3, 4], [1, 2, -1, 0.5f], [0, 0, 1, 2], [-3, 0.25f, 3, 4], [2, 2, 2, 2]];
        // Each three times, interleaved with absent (zero) rows.
        var rows = Enumerable.Range(0, 15).SelectMany(i => i % 4 == 0 ? new float[4].Concat(distinct[i % 5]) : distinct[i % 5]).ToArray();

        var pq = ProductQuantizer.Train(rows, 4, new ProductQuantizerOptions { SubSpaces = 2, Centroids = 16 }, 5);

        Assert.Equal(6, pq.Centroids);
        foreach (var x in distinct) Assert.Equal(x, RoundTrip(pq, x));
        Assert.Equal(new byte[] { 0, 0 }, Encode(pq, 0, 0, 0, 0));
        // The zero first half of [0, 0, 1, 2] is the origin's: code 0.
        Assert.Equal(0, Encode(pq, 0, 0, 1, 2)[0]);
        for (int c = 0; c < 2; c++) Assert.Equal(new float[2], pq.Codebook.Slice(c * 6 * 2, 2).ToArray());
    }

    [Theory]
    [InlineData(KMeansInitialization.KMeansPlusPlus)]
    [InlineData(KMeansInitialization.RandomSample)]
    public void Training_on_all_equal_vectors_gives_one_trained_centroid(KMeansInitialization initialization)
    {
        float[] x = [1, -2, 0.5f, 3];
        var rows = Enumerable.Repeat(x, 50).SelectMany(r => r).ToArray();

        var pq = ProductQuantizer.Train(rows, 4, new ProductQuantizerOptions { SubSpaces = 2, Initialization = initialization }, 0);

        Assert.Equal(2, pq.Centroids);
        Assert.Equal(new byte[] { 1, 1 }, Encode(pq, x));
        Assert.Equal(x, RoundTrip(pq, x));
        Assert.Equal(new float[] { 0, 0, 1, -2, 0, 0, 0.5f, 3 }, pq.Codebook.ToArray());
        Assert.Equal(new float[] { 0, 5, 0, 9.25f }, pq.CentroidNorms.ToArray());
    }

    [Fact]
    public void A_catalog_smaller_than_the_centroid_count_gets_one_centroid_per_distinct_vector_plus_the_origin()
    {
        var distinct = Gaussian(10 * 8, 3);
        // Rows 0..9, then 0..4 again.
        var rows = distinct.Concat(distinct.Take(5 * 8)).ToArray();

        var pq = ProductQuantizer.Train(rows, 8, new ProductQuantizerOptions { SubSpaces = 4 }, 1);

        Assert.Equal(11, pq.Centroids);
        for (int i = 0; i < 10; i++) Assert.Equal(distinct.AsSpan(i * 8, 8).ToArray(), RoundTrip(pq, distinct.AsSpan(i * 8, 8)));
    }

    [Fact]
    public void Only_zero_vectors_give_just_the_origin_and_everything_encodes_to_zero()
    {
        foreach (var rows in new[] { new float[5 * 8], Array.Empty<float>() })
        {
            var pq = ProductQuantizer.Train(rows, 8, new ProductQuantizerOptions { SubSpaces = 4 }, 0);

            Assert.Equal(1, pq.Centroids);
            Assert.Equal(new float[4 * 2], pq.Codebook.ToArray());
            Assert.Equal(new float[4], pq.CentroidNorms.ToArray());
            Assert.Equal(new byte[4], Encode(pq, 1, -2, 3, 4, 5, 6, 7, 8));
        }
    }

    [Fact]
    public void Zero_rows_are_left_out_of_training()
    {
        var data = Gaussian(300 * 8, 4);
        var withGaps = Enumerable.Range(0, 300).SelectMany(i => (i % 3 == 0 ? new float[8] : []).Concat(data.Skip(i * 8).Take(8))).ToArray();
        var options = new ProductQuantizerOptions { SubSpaces = 4, Centroids = 16 };

        var pq = ProductQuantizer.Train(data, 8, options, 2);

        Assert.Equal(pq.Codebook.ToArray(), ProductQuantizer.Train(withGaps, 8, options, 2).Codebook.ToArray());
    }

    [Theory]
    [InlineData(5, 256, 25, 256, "SubSpaces (5) must divide the dimension (64)")]
    [InlineData(0, 256, 25, 256, "SubSpaces (0)")]
    [InlineData(16, 1, 25, 256, "Centroids (1)")]
    [InlineData(16, 257, 25, 256, "Centroids (257)")]
    [InlineData(16, 256, 0, 256, "Iterations (0)")]
    [InlineData(16, 256, 25, 0, "MaxPointsPerCentroid (0)")]
    public void Invalid_options_are_rejected_naming_the_option_and_its_value(int subSpaces, int centroids, int iterations, int maxPoints, string message)
    {
        var options = new ProductQuantizerOptions { SubSpaces = subSpaces, Centroids = centroids, Iterations = iterations, MaxPointsPerCentroid = maxPoints };

        Assert.Contains(message, Assert.ThrowsAny<ArgumentException>(() => options.Validate(64)).Message);
        Assert.Contains(message, Assert.ThrowsAny<ArgumentException>(() => ProductQuantizer.Train(new float[64], 64, options, 0)).Message);
    }

    [Fact]
    public void Invalid_initialization_and_dimension_are_rejected()
    {
        Assert.Contains("Initialization", Assert.Throws<ArgumentOutOfRangeException>(() => new ProductQuantizerOptions { Initialization = (KMeansInitialization)7 }.Validate(64)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProductQuantizerOptions().Validate(0));
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void Non_finite_training_values_are_rejected_naming_the_row(float bad)
    {
        var rows = Gaussian(4 * 4, 5);
        rows[2 * 4 + 3] = bad;

        var e = Assert.Throws<ArgumentException>(() => ProductQuantizer.Train(rows, 4, new ProductQuantizerOptions { SubSpaces = 2 }, 0));
        Assert.Contains("Row 2", e.Message);
    }

    [Fact]
    public void Training_data_must_be_whole_vectors()
    {
        var e = Assert.Throws<ArgumentException>(() => ProductQuantizer.Train(new float[10], 4, new ProductQuantizerOptions { SubSpaces = 2 }, 0));
        Assert.Contains("10 values", e.Message);
    }

    [Fact]
    public void Gaussian_data_is_reconstructed_much_better_than_by_a_codebook_of_random_points()
    {
        const int d = 64, n = 4096;
        var train = Gaussian(n * d, 10);
        var heldOut = Gaussian(2000 * d, 11);

        var pq = ProductQuantizer.Train(train, d, new ProductQuantizerOptions(), 0);

        Assert.Equal((16, 256), (pq.SubSpaces, pq.Centroids));
        // Measured: about 0.078 on the training rows and 0.106 held out (2 bits per dimension; the Gaussian
        // rate-distortion bound is 2^-4 = 0.0625). Random training points as centroids (k-means with no iteration)
        // give about 0.13 on either.
        double trainError = RelativeError(pq, train), heldOutError = RelativeError(pq, heldOut);
        Assert.True(trainError < 0.1, $"training error {trainError}");
        Assert.True(heldOutError < 0.115, $"held-out error {heldOutError}");

        var rng = new Random(1);
        var random = new float[16 * 256 * 4];
        for (int c = 0; c < 16; c++)
            for (int k = 1; k < 256; k++) train.AsSpan(rng.Next(n) * d + c * 4, 4).CopyTo(random.AsSpan((c * 256 + k) * 4));
        double randomError = RelativeError(ProductQuantizer.FromCodebook(d, 16, 256, random), heldOut);
        Assert.True(randomError > 0.12, $"random codebook error {randomError}");
    }

    [Fact]
    public void Training_is_deterministic_per_seed()
    {
        var data = Gaussian(1000 * 16, 6);
        var options = new ProductQuantizerOptions { SubSpaces = 4, Centroids = 32 };

        var first = ProductQuantizer.Train(data, 16, options, 7).Codebook.ToArray();

        Assert.Equal(first, ProductQuantizer.Train(data, 16, options, 7).Codebook.ToArray());
        Assert.NotEqual(first, ProductQuantizer.Train(data, 16, options, 8).Codebook.ToArray());
    }

    [Fact]
    public void Training_uses_a_sample_of_at_most_centroids_times_max_points_per_centroid_rows()
    {
        // Two rare rows and a thousand copies of a third: a sample of 4 × 1 rows almost surely holds only the common
        // one (it does for seed 0), so one trained centroid, exactly that row. Without the cap all three count.
        float[] rare1 = [1, 2, 3, 4], rare2 = [-1, 0, 2, 5], common = [0.5f, -0.5f, 1, 1];
        var data = rare1.Concat(rare2).Concat(Enumerable.Repeat(common, 1000).SelectMany(r => r)).ToArray();

        var capped = ProductQuantizer.Train(data, 4, new ProductQuantizerOptions { SubSpaces = 2, Centroids = 4, MaxPointsPerCentroid = 1 }, 0);
        var uncapped = ProductQuantizer.Train(data, 4, new ProductQuantizerOptions { SubSpaces = 2, Centroids = 4 }, 0);

        Assert.Equal(2, capped.Centroids);
        Assert.Equal(new float[] { 0, 0, 0.5f, -0.5f, 0, 0, 1, 1 }, capped.Codebook.ToArray());
        Assert.Equal(4, uncapped.Centroids);
        foreach (var x in new[] { rare1, rare2, common }) Assert.Equal(x, RoundTrip(uncapped, x));
    }

    [Fact]
    public void Batch_encoding_matches_one_vector_at_a_time_on_the_parallel_path()
    {
        const int d = 32, n = 3000;
        var pq = ProductQuantizer.Train(Gaussian(2000 * d, 12), d, new ProductQuantizerOptions { SubSpaces = 8 }, 0);
        var vectors = Gaussian(n * d, 13);
        vectors.AsSpan(17 * d, d).Clear();

        var batch = new byte[n * 8 + 5];
        pq.Encode(vectors, n, batch);

        var one = new byte[8];
        for (int i = 0; i < n; i++)
        {
            pq.Encode(vectors.AsSpan(i * d, d), one);
            Assert.Equal(one, batch.AsSpan(i * 8, 8).ToArray());
        }
        Assert.Equal(new byte[8], batch.AsSpan(17 * 8, 8).ToArray());
        Assert.Equal(new byte[5], batch.AsSpan(n * 8).ToArray());
    }

    [Fact]
    public void Encoding_one_vector_allocates_nothing()
    {
        var pq = ProductQuantizer.Train(Gaussian(500 * 16, 16), 16, new ProductQuantizerOptions { SubSpaces = 4, Centroids = 64 }, 0);
        var vector = Gaussian(16, 17);
        var codes = new byte[4];
        pq.Encode(vector, codes);
        pq.Encode(vector, 1, codes);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            pq.Encode(vector, codes);
            pq.Encode(vector, 1, codes);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Every_width_encodes_by_the_reference_rule()
    {
        const int k = 45, dsub = 5;
        var codebook = Gaussian(k * dsub, 14);
        codebook.AsSpan(0, dsub).Clear();
        codebook.AsSpan(3 * dsub, dsub).CopyTo(codebook.AsSpan(40 * dsub)); // a duplicate: ties must agree too
        var pq = ProductQuantizer.FromCodebook(dsub, 1, k, codebook);
        int kPad = KMeans.PaddedCount(k);
        var transposed = new float[dsub * kPad];
        KMeans.Transpose(codebook, k, dsub, transposed);
        var norms = new float[kPad];
        norms.AsSpan().Fill(float.NaN);
        pq.CentroidNorms.Span.CopyTo(norms);
        var x = Gaussian(500 * dsub, 15);
        for (int i = 0; i < 500; i++)
        {
            var v = x.AsSpan(i * dsub, dsub);
            // The encoding rule as documented, centroid by centroid over the row-major codebook.
            int expected = 0;
            float best = float.PositiveInfinity;
            for (int j = 0; j < k; j++)
            {
                float dot = v[0] * codebook[j * dsub];
                for (int d = 1; d < dsub; d++) dot += v[d] * codebook[j * dsub + d];
                float score = pq.CentroidNorms.Span[j] - dot * 2f;
                if (score < best) (expected, best) = (j, score);
            }
            Assert.NotEqual(40, expected);
            foreach (var path in new[] { SimdPath.Best, SimdPath.Vector512, SimdPath.Vector256, SimdPath.Scalar })
                Assert.Equal(expected, ProductQuantizer.NearestCode(v, transposed, norms, path));
            Assert.Equal(expected, Encode(pq, v.ToArray())[0]);
        }
    }
}
