namespace Seminar.MLNet.Evaluation.Protocol;

/// <summary>Which part of the protocol an event belongs to.</summary>
internal enum SamplePeriod
{
    /// <summary>Before the training window: only ever history.</summary>
    History,
    /// <summary>A training sample.</summary>
    Train,
    /// <summary>A training sample in the latest share of the training period, held out for validation.</summary>
    Validation,
    /// <summary>A test sample.</summary>
    Test,
}

/// <summary>
/// Each user's cut times: training samples from <c>TrainFrom</c>, validation after <c>ValidationAfter</c>, test after
/// <c>TrainUntil</c>. The cuts compare timestamps, never positions, so events sharing a timestamp (one search, one event
/// group) always fall on the same side. With the global clock every user has the same cuts; with the ordinal clock the
/// quantiles are taken of each user's own events, since positions of different users are not comparable.
/// </summary>
internal sealed class PeriodCuts
{
    // Guards ceil() against quantile arithmetic such as (1 - 0.7) * 10 = 3.0000000000000004.
    const double Slack = 1e-9;

    readonly long[] _trainFrom, _trainUntil, _validationAfter;

    PeriodCuts(int users)
    {
        _trainFrom = new long[users];
        _trainUntil = new long[users];
        _validationAfter = new long[users];
    }

    /// <summary>The global split time (time clock); <see cref="long.MinValue"/> with the ordinal clock.</summary>
    public long SplitTime { get; private init; } = long.MinValue;

    /// <summary>The global earliest training time (time clock); <see cref="long.MinValue"/> with the ordinal clock or no train-from quantile.</summary>
    public long TrainFromTime { get; private init; } = long.MinValue;

    /// <summary>The period of user <paramref name="u"/>'s events at time <paramref name="t"/>.</summary>
    public SamplePeriod Period(int u, long t) =>
        t > _trainUntil[u] ? SamplePeriod.Test
        : t < _trainFrom[u] ? SamplePeriod.History
        : t > _validationAfter[u] ? SamplePeriod.Validation
        : SamplePeriod.Train;

    /// <summary>The cuts of a log under the options.</summary>
    public static PeriodCuts Of(EventLog log, EvaluationOptions options) => log.IsOrdinal ? PerUser(log, options) : Global(log, options);

    static PeriodCuts Global(EventLog log, EvaluationOptions options)
    {
        var sorted = (long[])log.Time.Clone();
        Array.Sort(sorted);
        long split = SortedTimes.NearestRank(sorted, options.SplitQuantile);
        long from = options.TrainFromQuantile > 0 ? SortedTimes.NearestRank(sorted, options.TrainFromQuantile) : long.MinValue;
        int first = SortedTimes.CountBefore(sorted, from), end = SortedTimes.CountAtOrBefore(sorted, split);
        long validationAfter = options.ValidationFraction > 0 && end > first
            ? SortedTimes.NearestRank(sorted.AsSpan(first, end - first), 1 - options.ValidationFraction)
            : long.MaxValue;
        var cuts = new PeriodCuts(log.UserIds.Length) { SplitTime = split, TrainFromTime = from };
        Array.Fill(cuts._trainFrom, from);
        Array.Fill(cuts._trainUntil, split);
        Array.Fill(cuts._validationAfter, validationAfter);
        return cuts;
    }

    static PeriodCuts PerUser(EventLog log, EvaluationOptions options)
    {
        var cuts = new PeriodCuts(log.UserIds.Length);
        for (int u = 0; u < log.UserIds.Length; u++)
        {
            var times = log.Time.AsSpan(log.UserStart[u], log.UserStart[u + 1] - log.UserStart[u]);
            int n = times.Length;
            int trainEnd = n - Math.Max(1, Ceiling((1 - options.SplitQuantile) * n));
            int trainStart = options.TrainFromQuantile > 0 ? Math.Clamp(Ceiling(options.TrainFromQuantile * n) - 1, 0, n - 1) : 0;
            cuts._trainUntil[u] = trainEnd > 0 ? times[trainEnd - 1] : long.MinValue;
            cuts._trainFrom[u] = trainStart > 0 ? times[trainStart] : long.MinValue;
            // At least one validation event when the fraction is positive, as the test period has at least one, but never the
            // user's only training event.
            int window = trainEnd - trainStart;
            int validation = options.ValidationFraction > 0 ? Math.Min(Math.Max(1, Ceiling(options.ValidationFraction * window)), window - 1) : 0;
            cuts._validationAfter[u] = validation <= 0 ? long.MaxValue : times[trainEnd - validation - 1];
        }
        return cuts;
    }

    static int Ceiling(double x) => (int)Math.Ceiling(x - Slack);
}
