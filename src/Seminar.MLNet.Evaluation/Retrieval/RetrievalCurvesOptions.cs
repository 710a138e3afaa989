namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>Options of <see cref="RetrievalCurves"/>.</summary>
public sealed class RetrievalCurvesOptions
{
    /// <summary>History lengths the cost curve is measured at. Default 100, 1,000 and 10,000.</summary>
    public IReadOnlyList<int> Lengths { get; set; } = new[] { 100, 1_000, 10_000 };
    /// <summary>K values the recall curve is measured at. Default 10, 20, 50, 100 and 200.</summary>
    public IReadOnlyList<int> Ks { get; set; } = new[] { 10, 20, 50, 100, 200 };
    /// <summary>Timed passes over the requests of a length (after warm-up passes; the median counts). Default 3.</summary>
    public int Rounds { get; set; } = 3;
    /// <summary>Most requests per length. Default 64.</summary>
    public int MaxRequests { get; set; } = 64;
    /// <summary>
    /// Exact-scan bytes (<c>4·D</c> per behaviour) the requests of one length hold together, default 64 MB: sets how many
    /// requests a length gets, between min(3, <see cref="MaxRequests"/>) and <see cref="MaxRequests"/>.
    /// </summary>
    public long BytesPerLength { get; set; } = 64L << 20;

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Lengths, nameof(Lengths));
        ArgumentNullException.ThrowIfNull(Ks, nameof(Ks));
        if (Lengths.Any(l => l < 1)) throw new ArgumentOutOfRangeException(nameof(Lengths), "Lengths must be positive.");
        if (Ks.Any(k => k < 1)) throw new ArgumentOutOfRangeException(nameof(Ks), "Ks must be positive.");
        ArgumentOutOfRangeException.ThrowIfLessThan(Rounds, 1, nameof(Rounds));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequests, 1, nameof(MaxRequests));
        ArgumentOutOfRangeException.ThrowIfLessThan(BytesPerLength, 1, nameof(BytesPerLength));
    }

    /// <summary>Requests measured at <paramref name="length"/> for vectors of <paramref name="dimension"/> floats.</summary>
    internal int RequestsAt(int length, int dimension)
    {
        long perRequest = 4L * dimension * length;
        return (int)Math.Clamp((BytesPerLength + perRequest - 1) / perRequest, Math.Min(3, MaxRequests), MaxRequests);
    }
}
