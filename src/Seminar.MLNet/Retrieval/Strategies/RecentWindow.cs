namespace Seminar.MLNet.Retrieval.Strategies;

/// <summary>DIN's truncation: the positions of a history's most recent real behaviours.</summary>
internal static class RecentWindow
{
    /// <summary>
    /// Writes the positions of the last <paramref name="window"/> behaviours whose item index is not 0 (padding) into
    /// <paramref name="positions"/>, oldest first (the order they appear in the history), and returns how many there are.
    /// Positions later in the history are more recent.
    /// </summary>
    /// <param name="items">Item index per behaviour, oldest first; 0 is padding.</param>
    /// <param name="window">Most behaviours to keep (N ≥ 1).</param>
    /// <param name="positions">Receives up to N positions; must hold at least min(N, real behaviours).</param>
    /// <returns>How many positions were written: min(N, real behaviours).</returns>
    public static int LastReal(ReadOnlySpan<long> items, int window, Span<int> positions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        // Walk back from the end to find where the window starts, then copy forwards so the positions stay oldest first.
        int found = 0, start = items.Length;
        while (start > 0 && found < window)
        {
            if (items[--start] != 0) found++;
        }
        if (found > positions.Length) throw new ArgumentException($"The position buffer holds {positions.Length}; {found} are needed.", nameof(positions));
        int n = 0;
        for (int l = start; l < items.Length; l++)
            if (items[l] != 0) positions[n++] = l;
        return n;
    }
}
