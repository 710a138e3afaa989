namespace Seminar.MLNet.Evaluation.Protocol;

/// <summary>
/// Draws seeded negatives for a positive at a time. Only the items of the same event group (what the user engages with at
/// that timestamp) are excluded: excluding anything the user ever engages with would leak the future, and excluding past
/// positives would make "target already in the history" mean label 1.
/// </summary>
internal sealed class NegativeSampler
{
    const int Attempts = 100;

    readonly Random _rng;
    readonly int _itemCount;
    readonly NegativeSampling _mode;
    // Items of all positive events in time order: a uniformly drawn earlier event picks an item in proportion to its
    // earlier positives, in O(log n) per draw and without per-time count tables.
    readonly long[] _times;
    readonly int[] _items;

    /// <param name="log">The events.</param>
    /// <param name="mode">Popularity-weighted or uniform.</param>
    /// <param name="seed">Seed of the draws.</param>
    /// <param name="cuts">
    /// The periods; with an ordinal clock they say which positives are known popularity (every user's positives outside the
    /// test period). Required for an ordinal log sampled by popularity.
    /// </param>
    public NegativeSampler(EventLog log, NegativeSampling mode, int seed, PeriodCuts? cuts = null)
    {
        _rng = new Random(seed);
        _itemCount = log.ItemIds.Length;
        _mode = mode;
        if (mode == NegativeSampling.Uniform)
        {
            _times = Array.Empty<long>();
            _items = Array.Empty<int>();
            return;
        }
        var known = ItemPopularity.Known(log, cuts);
        _times = new long[known.Length];
        _items = new int[known.Length];
        for (int p = 0; p < _times.Length; p++)
        {
            int e = known[p];
            _times[p] = ItemPopularity.CountsFrom(log, e);
            _items[p] = log.Item[e];
        }
        Array.Sort(_times, _items);
    }

    /// <summary>
    /// A negative for a sample at <paramref name="time"/> that is none of <paramref name="excluded"/>, or -1 when none was
    /// found in <see cref="Attempts"/> draws (the event group covers nearly every item).
    /// </summary>
    public int Draw(long time, ReadOnlySpan<int> excluded)
    {
        // With popularity, weight(item) = earlier (ordinal clock: training-period) positives + 1: draw one of those events or one of the items.
        long earlier = _mode == NegativeSampling.Popularity ? SortedTimes.CountBefore(_times, time) : 0;
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            long r = _rng.NextInt64(earlier + _itemCount);
            int item = r < earlier ? _items[r] : (int)(r - earlier);
            if (!excluded.Contains(item)) return item;
        }
        return -1;
    }
}
