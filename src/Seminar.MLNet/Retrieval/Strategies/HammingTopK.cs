using System.Numerics;

namespace Seminar.MLNet.Retrieval.Strategies;

/// <summary>
/// ETA's retrieval: the k signatures nearest a target's in Hamming distance, best first. Equal distances go to the
/// earlier signature (lower index), as ONNX TopK and the exact GSU break ties. Distances are small integers
/// (0 to bits), so a counting pass finds the k best in O(n + bits) time with no sort and no allocation.
/// </summary>
internal static class HammingTopK
{
    /// <summary>Selects the <c>min(k, n)</c> nearest signatures to the target.</summary>
    /// <param name="target">The target's signature (w words).</param>
    /// <param name="signatures">n signatures of w words each, row after row.</param>
    /// <param name="k">Signatures to keep (k ≥ 1).</param>
    /// <param name="distances">Scratch of at least n ints; receives each signature's distance.</param>
    /// <param name="counts">Scratch of at least <c>64·w + 1</c> ints (one per possible distance).</param>
    /// <param name="selected">Receives the kept indices, nearest first, ties in index order.</param>
    /// <returns>How many were kept: min(k, n).</returns>
    public static int Select(ReadOnlySpan<ulong> target, ReadOnlySpan<ulong> signatures, int k, Span<int> distances, Span<int> counts, Span<int> selected)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        int w = target.Length;
        if (w == 0 || signatures.Length % w != 0) throw new ArgumentException($"The signatures hold {signatures.Length} words: not a whole number of {w}-word signatures.", nameof(signatures));
        int n = signatures.Length / w, maxDistance = 64 * w, keep = Math.Min(k, n);
        if (distances.Length < n) throw new ArgumentException($"The distance buffer holds {distances.Length}; {n} are needed.", nameof(distances));
        if (counts.Length <= maxDistance) throw new ArgumentException($"The count buffer holds {counts.Length}; {maxDistance + 1} are needed.", nameof(counts));
        if (selected.Length < keep) throw new ArgumentException($"The selection buffer holds {selected.Length}; {keep} are needed.", nameof(selected));
        if (keep == 0) return 0;

        counts = counts[..(maxDistance + 1)];
        counts.Clear();
        for (int i = 0; i < n; i++)
        {
            var s = signatures.Slice(i * w, w);
            int distance = 0;
            for (int j = 0; j < w; j++) distance += BitOperations.PopCount(target[j] ^ s[j]);
            distances[i] = distance;
            counts[distance]++;
        }
        // Turn the histogram into each kept distance's first output slot; the cut distance takes only what is left of k.
        int cut = 0, before = 0;
        while (before + counts[cut] < keep)
        {
            int c = counts[cut];
            counts[cut++] = before;
            before += c;
        }
        counts[cut] = before;
        for (int i = 0, filled = 0; i < n && filled < keep; i++)
        {
            int distance = distances[i];
            if (distance > cut || counts[distance] >= (distance == cut ? keep : int.MaxValue)) continue;
            selected[counts[distance]++] = i;
            filled++;
        }
        return keep;
    }
}
