using Seminar.MLNet.Quantization;

namespace Seminar.MLNet;

/// <summary>
/// The code set of a PQ attention stage: the 4-bit product quantizer of the PSU's fused item table, as its codebook. Read-only; a stage loaded with <c>LoadModel</c> has exactly the fitted one's.
/// </summary>
public sealed class PqCodebook
{
    internal PqCodebook(string name, ProductQuantizer quantizer)
    {
        Name = name;
        SubSpaces = quantizer.SubSpaces;
        Centroids = quantizer.Centroids;
        SubDimension = quantizer.SubDimension;
        Values = quantizer.Codebook;
    }

    /// <summary>What it quantizes: <c>catalog</c>, the PSU's fused item table.</summary>
    public string Name { get; }
    /// <summary>Sub-spaces M: codes per item.</summary>
    public int SubSpaces { get; }
    /// <summary>Centroids per sub-space, at most 16 (centroid 0 is the origin).</summary>
    public int Centroids { get; }
    /// <summary>Values per sub-vector, D / M.</summary>
    public int SubDimension { get; }
    /// <summary>The codebook, row-major <c>[M, centroids, D / M]</c>.</summary>
    public ReadOnlyMemory<float> Values { get; }
}
