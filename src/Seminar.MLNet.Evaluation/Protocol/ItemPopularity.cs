namespace Seminar.MLNet.Evaluation.Protocol;

/// <summary>
/// An item's popularity at a sample's time, as the baseline's count feature and the popularity sampler read it. With a
/// time clock: its positives strictly before that time. With an ordinal clock positions order each user's events but not
/// events across users, so "before position 2" would mean the first positions of every user's sequence: nearly no
/// positives at the positions where short histories have most of their samples, popularity near zero for every item and
/// sampled negatives nearly uniform over the catalog, which a model with item ids then tells apart from the positives by
/// the item alone. There, popularity is the item's positives in every user's training period (never the test period),
/// one count for every sample; a training positive's own event is left out of its feature.
/// </summary>
internal sealed class ItemPopularity
{
    readonly long[][] _times;

    public ItemPopularity(EventLog log, PeriodCuts? cuts)
    {
        var lists = new List<long>?[log.ItemIds.Length];
        foreach (int e in Known(log, cuts)) (lists[log.Item[e]] ??= new List<long>()).Add(CountsFrom(log, e));
        _times = lists.Select(l => { var a = l?.ToArray() ?? Array.Empty<long>(); Array.Sort(a); return a; }).ToArray();
    }

    /// <summary>Positives of <paramref name="item"/> that count at <paramref name="time"/>.</summary>
    public int Before(int item, long time) => SortedTimes.CountBefore(_times[item], time);

    /// <summary>The positive events popularity is made of: all of them (time clock), or those outside the test period (ordinal clock).</summary>
    public static int[] Known(EventLog log, PeriodCuts? cuts)
    {
        if (!log.IsOrdinal) return log.Positives;
        if (cuts == null) throw new ArgumentNullException(nameof(cuts), "An ordinal clock's popularity needs the period cuts (training-period positives only).");
        return log.Positives.Where(e => cuts.Period(log.User[e], log.Time[e]) != SamplePeriod.Test).ToArray();
    }

    /// <summary>From when event <paramref name="e"/> counts: its time (time clock), or always (ordinal clock).</summary>
    public static long CountsFrom(EventLog log, int e) => log.IsOrdinal ? long.MinValue : log.Time[e];
}
