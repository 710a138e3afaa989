using System.Buffers;

namespace Seminar.MLNet.Evaluation.Metrics;

/// <summary>
/// Packs (group, score) into one <see cref="long"/> whose signed order is group first, then score
/// ascending, so a single allocation-free span sort orders every group's items by score, and two
/// items tie exactly when their keys are equal.
/// </summary>
internal static class SortKeys
{
    /// <summary>The key of <paramref name="score"/> (not NaN) within <paramref name="group"/>.</summary>
    public static long Make(int group, float score)
    {
        if (score == 0f) score = 0f; // -0 and +0 tie
        uint bits = (uint)BitConverter.SingleToInt32Bits(score);
        // Negative floats: flip all bits; non-negative: set the sign bit. The result orders as unsigned.
        bits = (bits & 0x8000_0000u) != 0 ? ~bits : bits | 0x8000_0000u;
        return ((long)group << 32) | bits;
    }

    /// <summary>The group part of a key.</summary>
    public static int Group(long key) => (int)(key >> 32);

    /// <summary>
    /// Rents buffers, fills them with the keys of (<paramref name="groups"/>[i] or 0, <paramref name="scores"/>[i])
    /// and the labels, and sorts both by key. Return the buffers with <see cref="Return"/>.
    /// </summary>
    public static void RentSorted(
        ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, ReadOnlySpan<int> groups,
        out long[] keys, out bool[] sortedLabels)
    {
        int n = scores.Length;
        keys = ArrayPool<long>.Shared.Rent(n);
        sortedLabels = ArrayPool<bool>.Shared.Rent(n);
        bool grouped = !groups.IsEmpty;
        for (int i = 0; i < n; i++)
        {
            keys[i] = Make(grouped ? groups[i] : 0, scores[i]);
            sortedLabels[i] = labels[i];
        }
        keys.AsSpan(0, n).Sort(sortedLabels.AsSpan(0, n));
    }

    /// <summary>Returns buffers rented by <see cref="RentSorted"/>.</summary>
    public static void Return(long[] keys, bool[] sortedLabels)
    {
        ArrayPool<long>.Shared.Return(keys);
        ArrayPool<bool>.Shared.Return(sortedLabels);
    }

    /// <summary>End (exclusive) of the run of items sharing the group of <paramref name="keys"/>[start].</summary>
    public static int GroupEnd(ReadOnlySpan<long> keys, int start)
    {
        int group = Group(keys[start]);
        int end = start + 1;
        while (end < keys.Length && Group(keys[end]) == group) end++;
        return end;
    }

    /// <summary>
    /// Rank-statistic AUC of one segment sorted ascending by score: the share of (positive, negative)
    /// pairs where the positive scores higher, ties counting 1/2. NaN when either class is absent.
    /// </summary>
    public static double SegmentAuc(ReadOnlySpan<long> keys, ReadOnlySpan<bool> labels, out long positives, out long negatives)
    {
        double wins = 0;      // pairs won by the positive, ties counted as 1/2
        long negativesBelow = 0;
        long pos = 0;
        int i = 0;
        while (i < keys.Length)
        {
            int j = i;
            long blockPos = 0, blockNeg = 0;
            while (j < keys.Length && keys[j] == keys[i])
            {
                if (labels[j]) blockPos++; else blockNeg++;
                j++;
            }
            wins += blockPos * (negativesBelow + 0.5 * blockNeg);
            negativesBelow += blockNeg;
            pos += blockPos;
            i = j;
        }
        positives = pos;
        negatives = negativesBelow;
        return pos == 0 || negativesBelow == 0 ? double.NaN : wins / ((double)pos * negativesBelow);
    }
}
