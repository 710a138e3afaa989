using TorchSharp;

namespace Seminar.MLNet.Training.PsuTraining;

/// <summary>
/// Scalars kept alive for as long as the network. TorchSharp turns a number in <c>tensor * 2.0</c> into a
/// temporary <see cref="Scalar"/> and passes only its native handle on; the managed object is then
/// unreachable, and a garbage collection on another thread can finalize (free) it while libtorch is still
/// reading it — seen here as "Expected false to be true" from <c>Scalar::toDouble</c> mid-training.
/// Operations in the training path take their constants from here instead.
/// </summary>
sealed class HeldScalars : IDisposable
{
    readonly Dictionary<double, Scalar> _held = new();

    /// <summary>The held scalar of a value (created once).</summary>
    public Scalar this[double value]
    {
        get
        {
            if (!_held.TryGetValue(value, out var s)) _held[value] = s = value.ToScalar();
            return s;
        }
    }

    public void Dispose()
    {
        foreach (var s in _held.Values) s.Dispose();
        _held.Clear();
    }
}
