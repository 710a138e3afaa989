using System.Diagnostics;

namespace Seminar.MLNet.Training.PsuTraining;

/// <summary>
/// Throughput and time left of one pass over rows. The rate is measured since the pass started, so a stage's slow
/// first batches (libtorch warming up) weigh less as it goes; time left assumes the rest of the pass and every pass
/// still to come run at that rate. The clock is a parameter so tests can drive it.
/// </summary>
sealed class StageClock
{
    readonly Func<double> _seconds;
    double _start;

    /// <param name="seconds">Seconds since any fixed origin; null = a stopwatch.</param>
    public StageClock(Func<double>? seconds = null)
    {
        if (seconds == null)
        {
            var watch = Stopwatch.StartNew();
            seconds = () => watch.Elapsed.TotalSeconds;
        }
        _seconds = seconds;
        _start = _seconds();
    }

    /// <summary>Starts measuring a new pass.</summary>
    public void Restart() => _start = _seconds();

    /// <summary>
    /// Rows per second so far in this pass, and seconds until this pass and <paramref name="passesAfter"/> more of
    /// <paramref name="total"/> rows each are done (NaN until a row is done or while no time has passed).
    /// </summary>
    public (double RowsPerSecond, double SecondsLeft) Estimate(long done, long total, int passesAfter)
    {
        double elapsed = _seconds() - _start;
        if (done <= 0 || !(elapsed > 0)) return (double.NaN, double.NaN);
        double rate = done / elapsed;
        long left = Math.Max(0, total - done) + (long)Math.Max(0, passesAfter) * Math.Max(0, total);
        return (rate, left / rate);
    }
}
