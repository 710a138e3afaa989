namespace Seminar.MLNet.Evaluation.Protocol;

/// <summary>Searches in ascending timestamps, for the "strictly before" and "at or before" counts the protocol needs.</summary>
internal static class SortedTimes
{
    /// <summary>How many of <paramref name="sorted"/> are strictly before <paramref name="time"/>.</summary>
    public static int CountBefore(ReadOnlySpan<long> sorted, long time)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < time) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>How many of <paramref name="sorted"/> are at or before <paramref name="time"/>.</summary>
    public static int CountAtOrBefore(ReadOnlySpan<long> sorted, long time) =>
        time == long.MaxValue ? sorted.Length : CountBefore(sorted, time + 1);

    /// <summary>The value at quantile q of ascending values (nearest rank).</summary>
    public static long NearestRank(ReadOnlySpan<long> sorted, double q) =>
        sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
