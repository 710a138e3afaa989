using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// Lloyd's k-means for one product-quantizer sub-space, after FAISS's <c>Clustering.cpp</c> with one change:
/// centroid 0 is pinned at the origin. It takes part in every assignment, so zero and near-zero sub-vectors keep
/// code 0, but it never moves and is never split; the other k − 1 centroids are trained. Points are row-major
/// <c>[n, dim]</c>, finite (the caller checks). Distances are squared L2, ties go to the lowest centroid index.
/// Everything random comes from one <see cref="Random"/> seeded by the caller, so a seed fixes the result and
/// concurrent calls share nothing.
/// </summary>
internal static class KMeans
{
    /// <summary>Centroid counts are padded to a multiple of this: one <see cref="Vector512{T}"/> of floats, two <see cref="Vector256{T}"/>.</summary>
    internal const int LaneBlock = 16;

    /// <summary>FAISS's <c>EPS</c>: the relative perturbation that tells the two halves of a split cluster apart.</summary>
    internal const float SplitPerturbation = 1f / 1024;

    const int DrawChunk = 1024;

    /// <summary>Trains <paramref name="k"/> centroids <c>[k, dim]</c>, row 0 the origin.</summary>
    /// <remarks>
    /// With at most k − 1 distinct non-origin points there is nothing to cluster: the trained centroids are those
    /// points (in first-occurrence order) and the spare ones repeat them, which the tie rule never picks.
    /// </remarks>
    public static float[] Train(float[] points, int dim, int k, int iterations, KMeansInitialization initialization, int seed)
    {
        CheckShape(points, dim, k);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        var centroids = new float[k * dim];
        if (k == 1) return centroids;
        var ids = new int[points.Length / dim];
        var distinct = Distinct(points, dim, ids);
        if (distinct.Count <= k - 1)
        {
            for (int j = 1; j < k; j++)
            {
                // Spares cycle through the distinct points; with none at all they are copies of the origin.
                if (distinct.Count > 0) points.AsSpan(distinct[(j - 1) % distinct.Count] * dim, dim).CopyTo(centroids.AsSpan(j * dim));
            }
            return centroids;
        }
        var rng = new Random(seed);
        if (initialization == KMeansInitialization.KMeansPlusPlus) SeedPlusPlus(points, dim, centroids, k, ids, distinct.Count, rng);
        else SeedRandomSample(points, dim, centroids, k, ids, distinct.Count, rng);
        Refine(points, dim, centroids, k, iterations, ids, rng);
        return centroids;
    }

    /// <summary>
    /// The Lloyd iterations from the given centroids (updated in place): assign, move each trained centroid to its
    /// cluster's mean, repair empty clusters. <paramref name="ids"/> are the points' <see cref="Distinct"/> ids.
    /// </summary>
    internal static void Refine(float[] points, int dim, float[] centroids, int k, int iterations, int[] ids, Random rng)
    {
        int n = points.Length / dim, kPad = PaddedCount(k);
        var transposed = new float[dim * kPad];
        var assignment = new int[n];
        var previous = new int[n];
        var counts = new int[k];
        var sums = new double[k * dim];
        bool splitBefore = true;
        for (int it = 0; it < iterations; it++)
        {
            Transpose(centroids, k, dim, transposed);
            for (int i = 0; i < n; i++) assignment[i] = Nearest(points.AsSpan(i * dim, dim), transposed, kPad);
            // The centroids are the means of the previous assignment (no split since): an unchanged assignment is a
            // fixed point, and stopping there gives exactly what the remaining iterations would.
            if (!splitBefore && assignment.AsSpan().SequenceEqual(previous)) return;
            UpdateMeans(points, dim, centroids, k, assignment, counts, sums);
            splitBefore = SplitEmptyClusters(centroids, k, dim, counts, points, assignment, ids, rng) > 0;
            (assignment, previous) = (previous, assignment);
        }
    }

    /// <summary>Nearest centroid of every point (test hook and a reference for the training loop).</summary>
    internal static int[] Assign(float[] points, int dim, float[] centroids, int k)
    {
        CheckShape(points, dim, k);
        int kPad = PaddedCount(k);
        var transposed = new float[dim * kPad];
        Transpose(centroids, k, dim, transposed);
        var assignment = new int[points.Length / dim];
        for (int i = 0; i < assignment.Length; i++) assignment[i] = Nearest(points.AsSpan(i * dim, dim), transposed, kPad);
        return assignment;
    }

    /// <summary>
    /// FAISS's empty-cluster repair for the trained centroids: each empty one becomes a copy of a cluster drawn with
    /// probability proportional to (size − 1), and the two are pushed apart by ±<see cref="SplitPerturbation"/>
    /// (relative, alternating sign per dimension), each assumed to keep half its points. The origin is never a source.
    /// When no trained cluster has two points left to share, the empty centroid takes a distinct non-zero point the
    /// origin holds instead. Returns how many centroids were repaired.
    /// </summary>
    internal static int SplitEmptyClusters(float[] centroids, int k, int dim, int[] counts, float[] points, int[] assignment, int[] ids, Random rng)
    {
        int repaired = 0;
        HashSet<int>? taken = null;
        for (int empty = 1; empty < k; empty++)
        {
            if (counts[empty] != 0) continue;
            long spare = 0;
            for (int j = 1; j < k; j++) spare += Math.Max(counts[j] - 1, 0);
            if (spare > 0)
            {
                long r = rng.NextInt64(spare);
                int source = 1;
                for (long seen = 0; ; source++)
                {
                    seen += Math.Max(counts[source] - 1, 0);
                    if (r < seen) break;
                }
                var target = centroids.AsSpan(empty * dim, dim);
                var from = centroids.AsSpan(source * dim, dim);
                from.CopyTo(target);
                for (int d = 0; d < dim; d++)
                {
                    float up = 1 + SplitPerturbation, down = 1 - SplitPerturbation;
                    target[d] *= d % 2 == 0 ? up : down;
                    from[d] *= d % 2 == 0 ? down : up;
                }
                counts[empty] = counts[source] / 2;
                counts[source] -= counts[empty];
            }
            else
            {
                taken ??= new HashSet<int>();
                int point = RandomOriginPoint(assignment, ids, taken, rng);
                if (point < 0) continue; // every distinct point already has its own centroid
                taken.Add(ids[point]);
                points.AsSpan(point * dim, dim).CopyTo(centroids.AsSpan(empty * dim, dim));
                counts[empty] = 1;
                counts[0]--;
            }
            repaired++;
        }
        return repaired;
    }

    /// <summary>
    /// The distinct non-origin values among the points: returns the row of each value's first occurrence and sets
    /// <c>ids[i]</c> to the index of row i's value in that list, or −1 for a row equal to the origin.
    /// Values compare with <c>==</c>, so −0 equals 0.
    /// </summary>
    internal static List<int> Distinct(float[] points, int dim, int[] ids)
    {
        var first = new List<int>();
        var byValue = new Dictionary<int, int>(new RowComparer(points, dim));
        for (int i = 0; i < ids.Length; i++)
        {
            if (IsOrigin(points.AsSpan(i * dim, dim)))
            {
                ids[i] = -1;
                continue;
            }
            ref int id = ref CollectionsMarshal.GetValueRefOrAddDefault(byValue, i, out bool seen);
            if (!seen)
            {
                id = first.Count;
                first.Add(i);
            }
            ids[i] = id;
        }
        return first;
    }

    /// <summary>Index of the centroid nearest to <paramref name="x"/> in squared L2, the lowest on ties, at the widest accelerated width.</summary>
    /// <param name="x">The point, <c>dim</c> values.</param>
    /// <param name="transposed">Centroids <c>[dim, kPad]</c> (<see cref="Transpose"/>): lanes are centroids.</param>
    /// <param name="kPad">The padded centroid count, a multiple of <see cref="LaneBlock"/>.</param>
    internal static int Nearest(ReadOnlySpan<float> x, ReadOnlySpan<float> transposed, int kPad) => Nearest(x, transposed, kPad, SimdPaths.Widest);

    /// <summary><see cref="Nearest(ReadOnlySpan{float}, ReadOnlySpan{float}, int)"/> on a pinned width; every width gives the same index.</summary>
    internal static int Nearest(ReadOnlySpan<float> x, ReadOnlySpan<float> transposed, int kPad, SimdPath path) => SimdPaths.Resolve(path) switch
    {
        SimdPath.Vector512 => Nearest<Lanes512>(x, transposed, kPad),
        SimdPath.Vector256 => Nearest<Lanes256>(x, transposed, kPad),
        _ => Nearest<Lanes1>(x, transposed, kPad),
    };

    // Every width does the same operations per centroid in the same order, so they agree bit for bit.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int Nearest<TLanes>(ReadOnlySpan<float> x, ReadOnlySpan<float> transposed, int kPad) where TLanes : struct, IFloatLanes<TLanes>
    {
        ref float t = ref MemoryMarshal.GetReference(transposed);
        var argMin = LaneArgMin<TLanes>.Start();
        for (int b = 0; b < kPad; b += TLanes.Count)
        {
            var diff = TLanes.Create(x[0]) - TLanes.Load(ref t, (nuint)b);
            var dist = diff * diff;
            for (int d = 1; d < x.Length; d++)
            {
                diff = TLanes.Create(x[d]) - TLanes.Load(ref t, (nuint)(d * kPad + b));
                dist += diff * diff;
            }
            argMin.Update(dist);
        }
        return argMin.Result();
    }

    /// <summary>Whether every value is 0 (or −0).</summary>
    internal static bool IsOrigin(ReadOnlySpan<float> point)
    {
        foreach (float v in point)
            if (v != 0) return false;
        return true;
    }

    /// <summary><paramref name="k"/> rounded up to a multiple of <see cref="LaneBlock"/>.</summary>
    internal static int PaddedCount(int k) => (k + LaneBlock - 1) / LaneBlock * LaneBlock;

    /// <summary>
    /// Row-major centroids <c>[k, dim]</c> into <c>[dim, kPad]</c>, so one vector load reads one dimension of
    /// consecutive centroids. Padding lanes are NaN: any distance or score they produce is NaN, which never wins.
    /// </summary>
    internal static void Transpose(ReadOnlySpan<float> centroids, int k, int dim, Span<float> transposed)
    {
        int kPad = transposed.Length / dim;
        transposed.Fill(float.NaN);
        for (int j = 0; j < k; j++)
            for (int d = 0; d < dim; d++) transposed[d * kPad + j] = centroids[j * dim + d];
    }

    static void UpdateMeans(float[] points, int dim, float[] centroids, int k, int[] assignment, int[] counts, double[] sums)
    {
        // Double sums: tens of thousands of floats per cluster would otherwise lose the low bits of the mean.
        Array.Clear(counts);
        Array.Clear(sums);
        for (int i = 0; i < assignment.Length; i++)
        {
            int a = assignment[i];
            counts[a]++;
            if (a == 0) continue;
            for (int d = 0; d < dim; d++) sums[a * dim + d] += points[i * dim + d];
        }
        for (int j = 1; j < k; j++)
        {
            if (counts[j] == 0) continue;
            for (int d = 0; d < dim; d++) centroids[j * dim + d] = (float)(sums[j * dim + d] / counts[j]);
        }
    }

    /// <summary>
    /// k-means++ with the origin as the first centroid already chosen. A point equal to a chosen centroid is at
    /// distance 0 and cannot be drawn, so the seeds are distinct values.
    /// </summary>
    static void SeedPlusPlus(float[] points, int dim, float[] centroids, int k, int[] ids, int distinctCount, Random rng)
    {
        int n = ids.Length;
        // Points transposed [dim, n], so a distance update is whole-chunk kernels over consecutive points.
        var columns = new float[dim * n];
        for (int i = 0; i < n; i++)
            for (int d = 0; d < dim; d++) columns[d * n + i] = points[i * dim + d];
        var nearest = new float[n];
        var chunkSums = new double[(n + DrawChunk - 1) / DrawChunk];
        var scratch = new float[2 * DrawChunk];
        UpdateNearest(columns, n, centroids.AsSpan(0, dim), nearest, chunkSums, scratch, first: true);
        var chosen = new bool[distinctCount];
        for (int j = 1; j < k; j++)
        {
            int pick = DrawProportional(nearest, chunkSums, rng);
            if (pick < 0 || nearest[pick] <= 0) pick = FirstUnchosen(ids, chosen);
            chosen[ids[pick]] = true;
            var centroid = centroids.AsSpan(j * dim, dim);
            points.AsSpan(pick * dim, dim).CopyTo(centroid);
            UpdateNearest(columns, n, centroid, nearest, chunkSums, scratch, first: false);
        }
    }

    /// <summary>
    /// <c>nearest = min(nearest, ‖p − centroid‖²)</c> (or just the distance when <paramref name="first"/>) and each
    /// chunk's sum of it. Chunk by chunk, so the intermediates stay in L1 instead of streaming whole arrays per step.
    /// </summary>
    static void UpdateNearest(float[] columns, int n, ReadOnlySpan<float> centroid, float[] nearest, double[] chunkSums, float[] scratch, bool first)
    {
        for (int c = 0; c < chunkSums.Length; c++)
        {
            int start = c * DrawChunk, length = Math.Min(DrawChunk, n - start);
            var diff = scratch.AsSpan(0, length);
            var dist = scratch.AsSpan(DrawChunk, length);
            for (int d = 0; d < centroid.Length; d++)
            {
                TensorPrimitives.Subtract(columns.AsSpan(d * n + start, length), centroid[d], diff);
                if (d == 0) TensorPrimitives.Multiply(diff, diff, dist);
                else TensorPrimitives.MultiplyAdd(diff, diff, dist, dist);
            }
            var near = nearest.AsSpan(start, length);
            if (first) dist.CopyTo(near);
            else TensorPrimitives.Min(near, dist, near);
            chunkSums[c] = TensorPrimitives.Sum(near);
        }
    }

    /// <summary>
    /// A point drawn with probability proportional to its weight (<paramref name="chunkSums"/> holds the sums of
    /// consecutive <see cref="DrawChunk"/>-point chunks); −1 when the weights sum to zero. Only the chunk the draw
    /// lands in is walked point by point.
    /// </summary>
    static int DrawProportional(float[] weights, double[] chunkSums, Random rng)
    {
        double total = 0;
        foreach (double sum in chunkSums) total += sum;
        // Coordinates near float's range can overflow the squared distances: then take the farthest point.
        if (!double.IsFinite(total)) return TensorPrimitives.IndexOfMax(weights);
        if (total <= 0) return -1;
        double r = rng.NextDouble() * total, seen = 0;
        int last = -1;
        for (int c = 0; c < chunkSums.Length; c++)
        {
            if (chunkSums[c] <= 0 || r >= seen + chunkSums[c])
            {
                seen += chunkSums[c];
                continue;
            }
            int end = Math.Min(weights.Length, (c + 1) * DrawChunk);
            for (int i = c * DrawChunk; i < end; i++)
            {
                if (weights[i] <= 0) continue;
                seen += weights[i];
                last = i;
                if (r < seen) return i;
            }
            // The float chunk sum rounded above the walk: carry on into the next chunk.
        }
        return last >= 0 ? last : TensorPrimitives.IndexOfMax(weights);
    }

    /// <summary>FAISS's initialisation: random points, skipping values already drawn and the origin.</summary>
    static void SeedRandomSample(float[] points, int dim, float[] centroids, int k, int[] ids, int distinctCount, Random rng)
    {
        var order = new int[ids.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var chosen = new bool[distinctCount];
        int j = 1;
        // A lazy Fisher-Yates shuffle: it stops as soon as k - 1 distinct values are drawn.
        for (int t = 0; j < k; t++)
        {
            int s = rng.Next(t, order.Length);
            (order[t], order[s]) = (order[s], order[t]);
            int id = ids[order[t]];
            if (id < 0 || chosen[id]) continue;
            chosen[id] = true;
            points.AsSpan(order[t] * dim, dim).CopyTo(centroids.AsSpan(j * dim, dim));
            j++;
        }
    }

    /// <summary>The first point whose value is not yet a centroid (only reached when distances underflow to 0).</summary>
    static int FirstUnchosen(int[] ids, bool[] chosen)
    {
        for (int i = 0; i < ids.Length; i++)
            if (ids[i] >= 0 && !chosen[ids[i]]) return i;
        throw new InvalidOperationException("k-means++ ran out of distinct points.");
    }

    /// <summary>A random point assigned to the origin whose value is non-zero and not in <paramref name="taken"/>, or −1.</summary>
    static int RandomOriginPoint(int[] assignment, int[] ids, HashSet<int> taken, Random rng)
    {
        int candidates = 0;
        for (int i = 0; i < assignment.Length; i++)
            if (assignment[i] == 0 && ids[i] >= 0 && !taken.Contains(ids[i])) candidates++;
        if (candidates == 0) return -1;
        int r = rng.Next(candidates);
        for (int i = 0; ; i++)
            if (assignment[i] == 0 && ids[i] >= 0 && !taken.Contains(ids[i]) && r-- == 0) return i;
    }

    static void CheckShape(float[] points, int dim, int k)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (points.Length % dim != 0) throw new ArgumentException($"{points.Length} values are not a whole number of {dim}-value points.", nameof(points));
    }

    /// <summary>Row equality by value (<c>==</c>, so −0 equals 0) for deduplicating points by their row index.</summary>
    sealed class RowComparer(float[] points, int dim) : IEqualityComparer<int>
    {
        public bool Equals(int a, int b)
        {
            var x = points.AsSpan(a * dim, dim);
            var y = points.AsSpan(b * dim, dim);
            for (int d = 0; d < dim; d++)
                if (x[d] != y[d]) return false;
            return true;
        }

        public int GetHashCode(int row)
        {
            var hash = new HashCode();
            foreach (float v in points.AsSpan(row * dim, dim)) hash.Add(v == 0 ? 0 : BitConverter.SingleToInt32Bits(v));
            return hash.ToHashCode();
        }
    }
}
