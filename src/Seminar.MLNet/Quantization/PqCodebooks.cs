namespace Seminar.MLNet.Quantization;

/// <summary>
/// The code sets one behaviour is encoded with (one <see cref="ProductQuantizer"/> per modality), numbered as one run
/// of S sub-spaces: set 0's sub-spaces first, then set 1's, and so on. Holds each codebook transposed
/// (<c>[subSpace][dim][256]</c>, centroids past a set's count zero) so a lookup table row for 16 centroids is a few
/// vector multiply-adds. Immutable; shared by every <see cref="PqRetriever"/>.
/// </summary>
sealed class PqCodebooks
{
    /// <summary>Table entries per sub-space: byte codes.</summary>
    public const int TableSize = 256;

    readonly float[] _transposed;

    public PqCodebooks(IReadOnlyList<ProductQuantizer> sets)
    {
        ArgumentNullException.ThrowIfNull(sets);
        if (sets.Count == 0) throw new ArgumentException("At least one code set is needed.", nameof(sets));
        Dimension = sets[0].Dimension;
        foreach (var q in sets)
            if (q.Dimension != Dimension) throw new ArgumentException($"Code sets quantize {q.Dimension} and {Dimension} dimensions; they must agree.", nameof(sets));
        Sets = sets;
        SetOffsets = new int[sets.Count];
        int s = 0;
        for (int m = 0; m < sets.Count; m++)
        {
            SetOffsets[m] = s;
            s += sets[m].SubSpaces;
        }
        SubSpaces = s;
        SubSpaceOf = new int[s];
        SubDimensions = new int[s];
        ValidCentroids = new int[s];
        DimensionOffsets = new int[s];
        var tableOffsets = new int[s];
        int total = 0;
        for (int m = 0; m < sets.Count; m++)
            for (int c = 0; c < sets[m].SubSpaces; c++)
            {
                int g = SetOffsets[m] + c;
                SubSpaceOf[g] = c;
                SubDimensions[g] = sets[m].SubDimension;
                ValidCentroids[g] = sets[m].Centroids;
                DimensionOffsets[g] = c * sets[m].SubDimension;
                tableOffsets[g] = total;
                total += sets[m].SubDimension * TableSize;
            }
        TransposedOffsets = tableOffsets;
        _transposed = new float[total];
        for (int m = 0; m < sets.Count; m++)
        {
            var q = sets[m];
            var book = q.Codebook.Span;
            int dsub = q.SubDimension, k = q.Centroids;
            for (int c = 0; c < q.SubSpaces; c++)
            {
                var t = _transposed.AsSpan(tableOffsets[SetOffsets[m] + c], dsub * TableSize);
                for (int centroid = 0; centroid < k; centroid++)
                    for (int j = 0; j < dsub; j++) t[j * TableSize + centroid] = book[(c * k + centroid) * dsub + j];
            }
        }
    }

    /// <summary>The quantizers, one per code set.</summary>
    public IReadOnlyList<ProductQuantizer> Sets { get; }
    /// <summary>Vector dimension D every set quantizes.</summary>
    public int Dimension { get; }
    /// <summary>Sub-spaces over all sets (S): codes per behaviour.</summary>
    public int SubSpaces { get; }
    /// <summary>First global sub-space of each set.</summary>
    public int[] SetOffsets { get; }
    /// <summary>Per global sub-space: its index within its set.</summary>
    public int[] SubSpaceOf { get; }
    /// <summary>Per global sub-space: its width.</summary>
    public int[] SubDimensions { get; }
    /// <summary>Per global sub-space: the first dimension of D it covers.</summary>
    public int[] DimensionOffsets { get; }
    /// <summary>Per global sub-space: its set's centroid count (codes at or past it never occur).</summary>
    public int[] ValidCentroids { get; }
    /// <summary>Per global sub-space: where its transposed codebook starts in <see cref="Transposed"/>.</summary>
    public int[] TransposedOffsets { get; }
    /// <summary>Every codebook transposed: per global sub-space <c>[dim][256]</c>.</summary>
    public ReadOnlySpan<float> Transposed => _transposed;
}
