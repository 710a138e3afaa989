namespace Seminar.MLNet.Retrieval.Strategies;

/// <summary>
/// SDIM's interest weights from hash collisions. With m hash functions, behaviour l collides with the target under
/// function j when their codes are equal; <c>count_j</c> is how many behaviours collide under j. The weight of l is
/// <c>(1/m) Σ_j [collide_j(l)] / max(1, count_j)</c>: the average over the functions of each function's normalised
/// collision sum. The weights sum to the share of functions with at least one collision (1 when every function has one).
/// </summary>
internal static class CollisionWeights
{
    /// <summary>Computes every behaviour's weight; returns how many functions have at least one collision (0 = no behaviour weighs anything).</summary>
    /// <param name="target">The target's code under each of the m functions.</param>
    /// <param name="codes">n behaviours' codes, m per behaviour, behaviour after behaviour.</param>
    /// <param name="weights">Receives n weights.</param>
    /// <param name="counts">Scratch of at least m ints; receives <c>count_j</c>.</param>
    public static int Compute(ReadOnlySpan<ulong> target, ReadOnlySpan<ulong> codes, Span<float> weights, Span<int> counts)
    {
        int m = target.Length;
        if (m == 0 || codes.Length % m != 0) throw new ArgumentException($"The codes hold {codes.Length} words: not a whole number of {m}-function signatures.", nameof(codes));
        int n = codes.Length / m;
        if (weights.Length < n) throw new ArgumentException($"The weight buffer holds {weights.Length}; {n} are needed.", nameof(weights));
        if (counts.Length < m) throw new ArgumentException($"The count buffer holds {counts.Length}; {m} are needed.", nameof(counts));
        counts = counts[..m];
        counts.Clear();
        for (int l = 0; l < n; l++)
        {
            var c = codes.Slice(l * m, m);
            for (int j = 0; j < m; j++)
                if (c[j] == target[j]) counts[j]++;
        }
        int colliding = 0;
        foreach (int c in counts)
            if (c > 0) colliding++;
        for (int l = 0; l < n; l++)
        {
            var c = codes.Slice(l * m, m);
            float weight = 0;
            for (int j = 0; j < m; j++)
                if (c[j] == target[j]) weight += 1f / counts[j];
            weights[l] = weight / m;
        }
        return colliding;
    }
}
