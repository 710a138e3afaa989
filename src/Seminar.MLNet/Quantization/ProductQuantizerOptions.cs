using Seminar.MLNet.Quantization;

namespace Seminar.MLNet;

/// <summary>
/// How <see cref="ProductQuantizer.Train"/> splits the vectors and clusters each sub-space. The defaults are
/// FAISS's (<c>ProductQuantizer</c> with 8-bit codes, <c>ClusteringParameters</c>) except the initialisation.
/// </summary>
public sealed class ProductQuantizerOptions
{
    /// <summary>Sub-spaces C: each vector is cut into C contiguous sub-vectors, one code each. Must divide the dimension.</summary>
    public int SubSpaces { get; set; } = 16;

    /// <summary>
    /// Centroids K per sub-space, 2..256 (codes are bytes). Centroid 0 is always the origin, so K − 1 are trained.
    /// A catalog smaller than the centroid count gets fewer centroids (see <see cref="ProductQuantizer.Centroids"/>).
    /// </summary>
    public int Centroids { get; set; } = 256;

    /// <summary>Lloyd iterations per sub-space (at least 1); training stops earlier once the assignment no longer changes.</summary>
    public int Iterations { get; set; } = 25;

    /// <summary>The training sample is capped at <c>Centroids × MaxPointsPerCentroid</c> non-zero vectors, as FAISS caps it.</summary>
    public int MaxPointsPerCentroid { get; set; } = 256;

    /// <summary>How the trained centroids are seeded before the Lloyd iterations.</summary>
    public KMeansInitialization Initialization { get; set; } = KMeansInitialization.KMeansPlusPlus;

    /// <summary>Throws when the options cannot quantize vectors of <paramref name="dimension"/> values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of its range.</exception>
    /// <exception cref="ArgumentException"><see cref="SubSpaces"/> does not divide <paramref name="dimension"/>.</exception>
    public void Validate(int dimension)
    {
        if (dimension < 1)
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, $"The dimension ({dimension}) must be at least 1.");
        if (SubSpaces < 1)
            throw new ArgumentOutOfRangeException(nameof(SubSpaces), SubSpaces, $"SubSpaces ({SubSpaces}) must be at least 1.");
        if (dimension % SubSpaces != 0)
            throw new ArgumentException($"SubSpaces ({SubSpaces}) must divide the dimension ({dimension}).", nameof(SubSpaces));
        if (Centroids is < 2 or > 256)
            throw new ArgumentOutOfRangeException(nameof(Centroids), Centroids, $"Centroids ({Centroids}) must be between 2 and 256: codes are bytes and centroid 0 is the origin.");
        if (Iterations < 1)
            throw new ArgumentOutOfRangeException(nameof(Iterations), Iterations, $"Iterations ({Iterations}) must be at least 1.");
        if (MaxPointsPerCentroid < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxPointsPerCentroid), MaxPointsPerCentroid, $"MaxPointsPerCentroid ({MaxPointsPerCentroid}) must be at least 1.");
        if (!Enum.IsDefined(Initialization))
            throw new ArgumentOutOfRangeException(nameof(Initialization), Initialization, $"Initialization ({(int)Initialization}) is not a KMeansInitialization value.");
    }
}

/// <summary>How k-means seeds the trained centroids (the pinned origin is never seeded: it is fixed).</summary>
public enum KMeansInitialization
{
    /// <summary>
    /// k-means++ (Arthur and Vassilvitskii, 2007), with the origin as the first centroid already chosen: each next
    /// centroid is a training point drawn with probability proportional to its squared distance to the nearest chosen one.
    /// </summary>
    KMeansPlusPlus,

    /// <summary>FAISS's default: K − 1 training points drawn at random, skipping repeats of a value already drawn and the origin.</summary>
    RandomSample,
}
