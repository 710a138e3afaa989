using Seminar.MLNet.Quantization;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Tests.Quantization;

public class KMeansTests
{
    // Every width runs on every machine (a width the hardware lacks runs in software).
    static readonly SimdPath[] Widths = [SimdPath.Best, SimdPath.Vector512, SimdPath.Vector256, SimdPath.Scalar];

    // Row-major centroids, one at a time, the same float operations in the same order: the kernels must match it exactly.
    static int ReferenceNearest(ReadOnlySpan<float> x, float[] centroids, int k)
    {
        int best = 0;
        float bestDistance = float.PositiveInfinity;
        for (int j = 0; j < k; j++)
        {
            float distance = 0;
            for (int d = 0; d < x.Length; d++)
            {
                float diff = x[d] - centroids[j * x.Length + d];
                distance = d == 0 ? diff * diff : distance + diff * diff;
            }
            if (distance < bestDistance) (best, bestDistance) = (j, distance);
        }
        return best;
    }

    // Offsets summing to (0.5, 0.5): each cluster's mean is its centre + (0.1, 0.1).
    static readonly (float X, float Y)[] Offsets = [(1, 0), (-1, 0), (0, 1), (0, -1), (0.5f, 0.5f)];

    // Far apart relative to their spread: k-means++ (origin first) then seeds one centroid per cluster except with
    // probability ~4e-4. At (10, 0), (0, 10), (-10, -10) it is 3.7%, and a missed cluster stays with the origin.
    static float[] ThreeClusters()
    {
        (float X, float Y)[] centres = [(100, 0), (0, 100), (-100, -100)];
        return centres.SelectMany(c => Offsets.SelectMany(o => new[] { c.X + o.X, c.Y + o.Y })).ToArray();
    }

    static float[] Row(float[] m, int dim, int i) => m.AsSpan(i * dim, dim).ToArray();

    static int[] Ids(float[] points, int dim)
    {
        var ids = new int[points.Length / dim];
        KMeans.Distinct(points, dim, ids);
        return ids;
    }

    static float[] Gaussian(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()))).ToArray();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Clear_clusters_converge_to_their_means_and_the_origin_stays_put(int seed)
    {
        var centroids = KMeans.Train(ThreeClusters(), 2, 4, 25, KMeansInitialization.KMeansPlusPlus, seed);

        Assert.Equal(new float[] { 0, 0 }, Row(centroids, 2, 0));
        float[][] means = [[100.1f, 0.1f], [0.1f, 100.1f], [-99.9f, -99.9f]];
        var matched = means.Select(m => Enumerable.Range(1, 3).Single(j => Math.Abs(centroids[2 * j] - m[0]) < 1e-5 && Math.Abs(centroids[2 * j + 1] - m[1]) < 1e-5)).ToArray();
        Assert.Equal(3, matched.Distinct().Count());
    }

    [Fact]
    public void Assignment_ties_go_to_the_lowest_index_within_and_across_lane_blocks()
    {
        const int k = 24;
        var centroids = new float[k * 2];
        for (int j = 1; j < k; j++) (centroids[2 * j], centroids[2 * j + 1]) = (100 + j, 100 + j);
        void Set(int j, float x, float y) => (centroids[2 * j], centroids[2 * j + 1]) = (x, y);
        Set(1, 2, 0);
        Set(2, 4, 1);
        Set(3, 4, -1);
        Set(5, 5, 5);
        Set(18, 5, 5);   // block 1, lane 2: an earlier lane than the tied centroid 5
        Set(7, -5, 5);
        Set(23, -5, 5);  // block 1, same lane as 7
        Set(9, 7, -7);
        Set(17, 7, -7);  // block 1, lane 1: the lower lane holds the higher index
        float[] points = [1, 0, 4, 0, 5, 5, -5, 5, 7, -7, 0, 0];
        // (1,0): origin and c1 both at 1. (4,0): c2 and c3 both at 1. (0,0): the origin exactly.
        int[] expected = [0, 2, 5, 7, 9, 0];

        Assert.Equal(expected, KMeans.Assign(points, 2, centroids, k));
        int kPad = KMeans.PaddedCount(k);
        var transposed = new float[2 * kPad];
        KMeans.Transpose(centroids, k, 2, transposed);
        for (int i = 0; i < expected.Length; i++)
        {
            var x = points.AsSpan(2 * i, 2);
            foreach (var path in Widths) Assert.Equal(expected[i], KMeans.Nearest(x, transposed, kPad, path));
        }
    }

    [Fact]
    public void Every_width_assigns_the_reference_nearest_centroid_on_random_data()
    {
        const int k = 37, dim = 3;
        var centroids = Gaussian(k * dim, 1);
        centroids.AsSpan(0, dim).Clear();
        centroids.AsSpan(5 * dim, dim).CopyTo(centroids.AsSpan(30 * dim)); // a duplicate: ties must agree too
        var points = Gaussian(500 * dim, 2);
        int kPad = KMeans.PaddedCount(k);
        var transposed = new float[dim * kPad];
        KMeans.Transpose(centroids, k, dim, transposed);
        for (int i = 0; i < 500; i++)
        {
            var x = points.AsSpan(i * dim, dim);
            int expected = ReferenceNearest(x, centroids, k);
            Assert.NotEqual(30, expected);
            foreach (var path in Widths) Assert.Equal(expected, KMeans.Nearest(x, transposed, kPad, path));
        }
    }

    [Fact]
    public void Split_copies_a_populated_cluster_with_a_relative_perturbation()
    {
        float[] centroids = [0, 0, 2, 4, 9, 9, -3, 1];
        int[] counts = [50, 6, 0, 1];

        int repaired = KMeans.SplitEmptyClusters(centroids, 4, 2, counts, [], [], [], new Random(0));

        // Only cluster 1 has points to spare (cluster 3 has one, the origin is never a source).
        const float up = 1 + 1f / 1024, down = 1 - 1f / 1024;
        Assert.Equal(1, repaired);
        Assert.Equal(new[] { 2 * up, 4 * down }, Row(centroids, 2, 2));
        Assert.Equal(new[] { 2 * down, 4 * up }, Row(centroids, 2, 1));
        Assert.Equal(new[] { -3f, 1 }, Row(centroids, 2, 3));
        Assert.Equal(new[] { 50, 3, 3, 1 }, counts);
    }

    [Fact]
    public void Without_a_splittable_cluster_an_empty_centroid_takes_a_point_from_the_origin_never_splitting_it()
    {
        float[] points = [0, 0, 0.1f, 0, 0.2f, 0.1f, 5, 5, -5, 5];
        int[] assignment = [0, 0, 0, 2, 3];
        float[] centroids = [0, 0, 9, 9, 5, 5, -5, 5];
        int[] counts = [3, 0, 1, 1];

        int repaired = KMeans.SplitEmptyClusters(centroids, 4, 2, counts, points, assignment, Ids(points, 2), new Random(0));

        Assert.Equal(1, repaired);
        Assert.Equal(new float[] { 0, 0 }, Row(centroids, 2, 0));
        Assert.Contains(Row(centroids, 2, 1), new[] { new[] { 0.1f, 0 }, new[] { 0.2f, 0.1f } });
        Assert.Equal(new[] { 2, 1, 1, 1 }, counts);
    }

    [Fact]
    public void A_centroid_that_starts_without_points_is_repaired_and_ends_up_with_some()
    {
        var points = ThreeClusters();
        // Three centroids on the clusters, two far from everything: they are empty after the first assignment.
        float[] centroids = [0, 0, 100, 0, 0, 100, -100, -100, 10000, 10000, -10000, 10000];

        KMeans.Refine(points, 2, centroids, 6, 25, Ids(points, 2), new Random(3));

        var counts = new int[6];
        foreach (int a in KMeans.Assign(points, 2, centroids, 6)) counts[a]++;
        Assert.All(counts.Skip(1), c => Assert.True(c > 0, $"cluster sizes {string.Join(",", counts)}"));
        for (int j = 4; j < 6; j++) Assert.InRange(Math.Abs(centroids[2 * j]) + Math.Abs(centroids[2 * j + 1]), 90, 210);
    }

    [Theory]
    [InlineData(KMeansInitialization.KMeansPlusPlus, 0)]
    [InlineData(KMeansInitialization.KMeansPlusPlus, 1)]
    [InlineData(KMeansInitialization.RandomSample, 0)]
    [InlineData(KMeansInitialization.RandomSample, 1)]
    public void More_centroids_than_natural_clusters_leave_no_trained_cluster_empty(KMeansInitialization initialization, int seed)
    {
        // Three clusters of 20 distinct points, nine trained centroids.
        var rng = new Random(seed);
        var points = new float[60 * 2];
        for (int i = 0; i < 60; i++)
        {
            points[2 * i] = (i % 3 - 1) * 20 + (float)rng.NextDouble();
            points[2 * i + 1] = 15 + (float)rng.NextDouble();
        }

        var centroids = KMeans.Train(points, 2, 10, 25, initialization, seed);

        var counts = new int[10];
        foreach (int a in KMeans.Assign(points, 2, centroids, 10)) counts[a]++;
        Assert.Equal(0, counts[0]);
        Assert.All(counts.Skip(1), c => Assert.True(c > 0, $"cluster sizes {string.Join(",", counts)}"));
    }

    [Fact]
    public void Fewer_distinct_points_than_centroids_become_the_centroids_and_the_repeats_are_never_chosen()
    {
        float[] points = [1, 2, 1, 2, 3, 4, 0, 0, 5, 6, 3, 4, -0f, 0];

        var centroids = KMeans.Train(points, 2, 6, 25, KMeansInitialization.KMeansPlusPlus, 0);

        Assert.Equal(new float[] { 0, 0, 1, 2, 3, 4, 5, 6, 1, 2, 3, 4 }, centroids);
        Assert.Equal(new[] { 1, 1, 2, 0, 3, 2, 0 }, KMeans.Assign(points, 2, centroids, 6));
    }

    [Fact]
    public void Only_origin_points_leave_every_centroid_at_the_origin()
    {
        Assert.Equal(new float[9], KMeans.Train(new float[12], 3, 3, 25, KMeansInitialization.RandomSample, 0));
    }

    [Fact]
    public void The_same_seed_gives_the_same_centroids_and_other_seeds_can_differ()
    {
        var points = Gaussian(400 * 3, 7);
        foreach (var initialization in new[] { KMeansInitialization.KMeansPlusPlus, KMeansInitialization.RandomSample })
        {
            var first = KMeans.Train(points, 3, 8, 25, initialization, 11);
            Assert.Equal(first, KMeans.Train(points, 3, 8, 25, initialization, 11));
            Assert.Contains(Enumerable.Range(12, 5), s => !KMeans.Train(points, 3, 8, 25, initialization, s).SequenceEqual(first));
        }
    }
}
