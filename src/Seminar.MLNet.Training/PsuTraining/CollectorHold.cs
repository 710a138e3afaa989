using System.Runtime;

namespace Seminar.MLNet.Training.PsuTraining;

/// <summary>
/// Holds off garbage collection while a block of TorchSharp calls runs. TorchSharp converts numbers to
/// temporary native scalars inside many of its own operations (the optimizer's update, <c>add</c>'s alpha, …)
/// and keeps only their handles; a collection triggered by any thread in that window can finalize a scalar
/// libtorch is about to read ("Expected false to be true" from <c>Scalar::toDouble</c>). Within a no-GC region
/// no collection runs, so every temporary outlives the call that uses it. Collections happen between
/// steps instead, when no libtorch call is in flight.
/// </summary>
readonly struct CollectorHold : IDisposable
{
    // Managed allocation a training step may make (tensor wrappers, small arrays) without ending the region.
    const long Budget = 64L << 20;

    readonly bool _started;

    CollectorHold(bool started) => _started = started;

    /// <summary>Enters a no-GC region unless one is already active (then the outer one holds).</summary>
    public static CollectorHold Enter()
    {
        if (GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) return new CollectorHold(false);
        try
        {
            return new CollectorHold(GC.TryStartNoGCRegion(Budget));
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException)
        {
            // A region already active elsewhere, or a budget beyond what this GC configuration allows: run unheld.
            return new CollectorHold(false);
        }
    }

    public void Dispose()
    {
        // The region ends by itself if the budget ran out; ending it then would throw.
        if (_started && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
    }
}
