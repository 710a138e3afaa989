using Seminar.MLNet.Quantization;

namespace Seminar.MLNet;

/// <summary>
/// One code set of a PQ attention stage: the product quantizer of one item modality (or of the query part of pairs),
/// as its codebook. Read-only; a stage loaded with <c>LoadModel</c> has exactly the fitted one's.
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

    /// <summary>The modality it quantizes (id, title, attributes or a catalog vector column), or <c>query</c> for the query part.</summary>
    public string Name { get; }
    /// <summary>Sub-spaces C: codes per vector.</summary>
    public int SubSpaces { get; }
    /// <summary>Centroids K per sub-space (centroid 0 is the origin).</summary>
    public int Centroids { get; }
    /// <summary>Values per sub-vector, D / C.</summary>
    public int SubDimension { get; }
    /// <summary>The codebook, row-major <c>[C, K, D / C]</c>.</summary>
    public ReadOnlyMemory<float> Values { get; }
}
