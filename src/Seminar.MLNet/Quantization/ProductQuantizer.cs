using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// A product quantizer (Jégou et al., 2011; FAISS's <c>ProductQuantizer</c> with 8-bit codes): a D-dimensional
/// vector is cut into C sub-vectors of <see cref="SubDimension"/> values and each is replaced by the index of a
/// centroid of its sub-space's codebook, one byte per sub-space.
/// <para>
/// <b>Origin centroid.</b> Centroid 0 of every sub-space is the origin. An all-zero vector stands for an absent
/// input (an item without that modality, a behaviour without a query): it is left out of training and encodes to
/// code 0 in every sub-space, so it decodes back to zeros and contributes nothing to a dot product.
/// </para>
/// <para>
/// <b>Encoding rule</b> (an ONNX graph replicates it): per sub-space c, with <c>x_c</c> the sub-vector,
/// <c>code = argmin_k (CentroidNorms[c, k] − 2 · dot(x_c, centroid_ck))</c>, ties to the lowest k, the dot product
/// a plain sequential float sum over the sub-dimension (no fused multiply-add). This is the squared-L2 nearest
/// centroid up to rounding. A zero sub-vector scores 0 against the origin and <c>‖c‖² ≥ 0</c> elsewhere, so it gets
/// code 0 even inside a non-zero vector. Inputs are not checked for NaN on this path.
/// </para>
/// </summary>
internal sealed class ProductQuantizer
{
    // Batches at least this large (rows × centroids) are worth spreading over the cores.
    const long ParallelWork = 1 << 18;
    // A parallel batch is staged through pooled arrays this many floats at a time (4 MB), in chunks of this many rows.
    const int StagingFloats = 1 << 20;
    const int ChunkRows = 64;

    readonly float[] _codebook;    // [C, K, dsub]
    readonly float[] _norms;       // [C, K]
    readonly float[] _transposed;  // [C, dsub, kPad]: lanes are centroids, padding NaN (never wins)
    readonly float[] _paddedNorms; // [C, kPad]
    readonly int _kPad;

    ProductQuantizer(int dimension, int subSpaces, int centroids, float[] codebook)
    {
        Dimension = dimension;
        SubSpaces = subSpaces;
        SubDimension = dimension / subSpaces;
        Centroids = centroids;
        _codebook = codebook;
        _kPad = KMeans.PaddedCount(centroids);
        int dsub = SubDimension;
        _norms = new float[subSpaces * centroids];
        _transposed = new float[subSpaces * dsub * _kPad];
        _paddedNorms = new float[subSpaces * _kPad];
        _paddedNorms.AsSpan().Fill(float.NaN);
        for (int c = 0; c < subSpaces; c++)
        {
            var block = codebook.AsSpan(c * centroids * dsub, centroids * dsub);
            KMeans.Transpose(block, centroids, dsub, _transposed.AsSpan(c * dsub * _kPad, dsub * _kPad));
            for (int k = 0; k < centroids; k++)
            {
                // Sequential, unfused, like the dot product of the encoding rule.
                float norm = 0;
                foreach (float v in block.Slice(k * dsub, dsub)) norm += v * v;
                _norms[c * centroids + k] = norm;
                _paddedNorms[c * _kPad + k] = norm;
            }
        }
    }

    /// <summary>Dimension D of the vectors.</summary>
    public int Dimension { get; }

    /// <summary>Sub-spaces C: codes per vector.</summary>
    public int SubSpaces { get; }

    /// <summary>Values per sub-vector, D / C.</summary>
    public int SubDimension { get; }

    /// <summary>
    /// Centroids K per sub-space, the origin included. After <see cref="Train"/> it is
    /// <c>min(options.Centroids, 1 + distinct non-zero training vectors)</c>: a catalog smaller than the centroid
    /// count gets fewer centroids, and with no non-zero vector at all K = 1 (only the origin; everything encodes to 0).
    /// </summary>
    public int Centroids { get; }

    /// <summary>The codebook, row-major <c>[C, K, SubDimension]</c>; <c>Codebook[c, 0, :]</c> = 0 for every c.</summary>
    public ReadOnlyMemory<float> Codebook => _codebook;

    /// <summary>Squared norm of each centroid, <c>[C, K]</c> (a sequential float sum of squares); 0 for centroid 0.</summary>
    public ReadOnlyMemory<float> CentroidNorms => _norms;

    /// <summary>
    /// Trains a quantizer on row-major vectors <c>[n, dimension]</c>.
    /// <para>
    /// All-zero rows are absent inputs and are left out (they encode to code 0 everywhere). The training sample is
    /// at most <c>Centroids × MaxPointsPerCentroid</c> of the non-zero rows, drawn without replacement with
    /// <paramref name="seed"/> (all of them when there are fewer). K is then
    /// <c>min(options.Centroids, 1 + distinct rows in the sample)</c>: a catalog smaller than the centroid count
    /// gets fewer centroids, and with no non-zero row K = 1 (only the origin) and everything encodes to 0. A sub-space
    /// whose sample has at most K − 1 distinct non-zero sub-vectors takes them as its centroids exactly (the spare
    /// centroids repeat them and, by the tie rule, are never chosen).
    /// </para>
    /// <para>
    /// Each sub-space is clustered independently (k-means with the origin pinned as centroid 0, see
    /// <see cref="ProductQuantizerOptions"/>) with a seed derived from (<paramref name="seed"/>, sub-space);
    /// sub-spaces train in parallel and the result does not depend on the scheduling.
    /// </para>
    /// </summary>
    /// <exception cref="ArgumentException">A row holds a NaN or infinite value, the length is not a multiple of
    /// <paramref name="dimension"/>, or the options do not fit it.</exception>
    public static ProductQuantizer Train(ReadOnlySpan<float> vectors, int dimension, ProductQuantizerOptions options, int seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(dimension);
        if (vectors.Length % dimension != 0)
            throw new ArgumentException($"The training data has {vectors.Length} values, not a whole number of {dimension}-value vectors.", nameof(vectors));
        // Read the options once: they are mutable and the sub-spaces train on other threads.
        int subSpaces = options.SubSpaces, iterations = options.Iterations;
        var initialization = options.Initialization;
        long cap = (long)options.Centroids * options.MaxPointsPerCentroid;

        var sample = Sample(vectors, dimension, cap, seed, out int rows);
        int centroids = Math.Min(options.Centroids, 1 + KMeans.Distinct(sample, dimension, new int[rows]).Count);
        int dsub = dimension / subSpaces;
        var codebook = new float[subSpaces * centroids * dsub];
        if (centroids > 1)
        {
            Parallel.For(0, subSpaces, c =>
            {
                var sub = new float[rows * dsub];
                for (int i = 0; i < rows; i++) sample.AsSpan(i * dimension + c * dsub, dsub).CopyTo(sub.AsSpan(i * dsub));
                var trained = KMeans.Train(sub, dsub, centroids, iterations, initialization, SubSpaceSeed(seed, c));
                trained.CopyTo(codebook, c * centroids * dsub);
            });
        }
        return new ProductQuantizer(dimension, subSpaces, centroids, codebook);
    }

    /// <summary>
    /// A quantizer over a given codebook <c>[subSpaces, centroids, dimension / subSpaces]</c> (copied), e.g. one
    /// saved from <see cref="Codebook"/>. Centroid 0 of every sub-space must be the origin and every value finite.
    /// </summary>
    /// <exception cref="ArgumentException">The sizes do not match, a value is not finite, or a centroid 0 is not the origin.</exception>
    public static ProductQuantizer FromCodebook(int dimension, int subSpaces, int centroids, float[] codebook)
    {
        ArgumentNullException.ThrowIfNull(codebook);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(subSpaces, 1);
        if (dimension % subSpaces != 0)
            throw new ArgumentException($"The sub-space count ({subSpaces}) must divide the dimension ({dimension}).", nameof(subSpaces));
        if (centroids is < 1 or > 256)
            throw new ArgumentOutOfRangeException(nameof(centroids), centroids, $"The centroid count ({centroids}) must be between 1 and 256 (codes are bytes).");
        int dsub = dimension / subSpaces;
        if (codebook.Length != subSpaces * centroids * dsub)
            throw new ArgumentException($"The codebook has {codebook.Length} values; [{subSpaces}, {centroids}, {dsub}] needs {subSpaces * centroids * dsub}.", nameof(codebook));
        int bad = Array.FindIndex(codebook, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            int c = bad / (centroids * dsub), k = bad / dsub % centroids;
            throw new ArgumentException($"Codebook value {bad} (sub-space {c}, centroid {k}) is {codebook[bad]}; values must be finite.", nameof(codebook));
        }
        for (int c = 0; c < subSpaces; c++)
        {
            if (!KMeans.IsOrigin(codebook.AsSpan(c * centroids * dsub, dsub)))
                throw new ArgumentException($"Centroid 0 of sub-space {c} must be the origin (all zeros).", nameof(codebook));
        }
        return new ProductQuantizer(dimension, subSpaces, centroids, (float[])codebook.Clone());
    }

    /// <summary>Encodes one vector of <see cref="Dimension"/> values into its <see cref="SubSpaces"/> codes (the first C bytes of <paramref name="codes"/>). Allocates nothing.</summary>
    /// <exception cref="ArgumentException">The vector is not D values long, or <paramref name="codes"/> is shorter than C.</exception>
    public void Encode(ReadOnlySpan<float> vector, Span<byte> codes)
    {
        if (vector.Length != Dimension)
            throw new ArgumentException($"The vector has {vector.Length} values; the quantizer's dimension is {Dimension}.", nameof(vector));
        if (codes.Length < SubSpaces)
            throw new ArgumentException($"The code buffer has {codes.Length} bytes; one vector needs {SubSpaces}.", nameof(codes));
        EncodeRow(vector, codes);
    }

    /// <summary>
    /// Encodes <paramref name="count"/> row-major vectors <c>[count, D]</c> into codes <c>[count, C]</c> (the first
    /// count × C bytes of <paramref name="codes"/>). Large batches run on all cores; the codes are the same either way.
    /// </summary>
    /// <exception cref="ArgumentException">The vectors are not count × D values, or <paramref name="codes"/> is shorter than count × C.</exception>
    public void Encode(ReadOnlySpan<float> vectors, int count, Span<byte> codes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (vectors.Length != (long)count * Dimension)
            throw new ArgumentException($"{count} vectors of dimension {Dimension} need {(long)count * Dimension} values; got {vectors.Length}.", nameof(vectors));
        if (codes.Length < (long)count * SubSpaces)
            throw new ArgumentException($"The code buffer has {codes.Length} bytes; {count} vectors need {(long)count * SubSpaces}.", nameof(codes));
        if ((long)count * Centroids < ParallelWork || Environment.ProcessorCount == 1)
        {
            for (int r = 0; r < count; r++) EncodeRow(vectors.Slice(r * Dimension, Dimension), codes.Slice(r * SubSpaces, SubSpaces));
            return;
        }
        EncodeParallel(vectors, count, codes);
    }

    /// <summary>Writes the centroids named by <paramref name="codes"/> (C bytes) into the first D values of <paramref name="vector"/>.</summary>
    /// <exception cref="ArgumentException">There are not C codes, a code is not below <see cref="Centroids"/>, or the vector is shorter than D.</exception>
    public void Decode(ReadOnlySpan<byte> codes, Span<float> vector)
    {
        if (codes.Length != SubSpaces)
            throw new ArgumentException($"Got {codes.Length} codes; the quantizer has {SubSpaces} sub-spaces.", nameof(codes));
        if (vector.Length < Dimension)
            throw new ArgumentException($"The vector has {vector.Length} values; the quantizer's dimension is {Dimension}.", nameof(vector));
        int dsub = SubDimension;
        for (int c = 0; c < SubSpaces; c++)
        {
            int k = codes[c];
            if (k >= Centroids)
                throw new ArgumentOutOfRangeException(nameof(codes), k, $"Code {k} of sub-space {c} is not below the centroid count ({Centroids}).");
            _codebook.AsSpan((c * Centroids + k) * dsub, dsub).CopyTo(vector.Slice(c * dsub));
        }
    }

    void EncodeRow(ReadOnlySpan<float> vector, Span<byte> codes)
    {
        int dsub = SubDimension, block = dsub * _kPad;
        for (int c = 0; c < SubSpaces; c++)
            codes[c] = (byte)NearestCode(vector.Slice(c * dsub, dsub), _transposed.AsSpan(c * block, block), _paddedNorms.AsSpan(c * _kPad, _kPad));
    }

    // Spans cannot cross threads without unsafe code, so the batch is staged through pooled arrays. The copy costs
    // one read per value; encoding reads each value against every centroid, so the copy is noise.
    void EncodeParallel(ReadOnlySpan<float> vectors, int count, Span<byte> codes)
    {
        int d = Dimension, c = SubSpaces;
        int blockRows = Math.Min(Math.Max(StagingFloats / d, ChunkRows), count);
        var staged = ArrayPool<float>.Shared.Rent(blockRows * d);
        var encoded = ArrayPool<byte>.Shared.Rent(blockRows * c);
        try
        {
            for (int start = 0; start < count; start += blockRows)
            {
                int rows = Math.Min(blockRows, count - start);
                vectors.Slice(start * d, rows * d).CopyTo(staged);
                Parallel.For(0, (rows + ChunkRows - 1) / ChunkRows, chunk =>
                {
                    int end = Math.Min(rows, (chunk + 1) * ChunkRows);
                    for (int r = chunk * ChunkRows; r < end; r++) EncodeRow(staged.AsSpan(r * d, d), encoded.AsSpan(r * c, c));
                });
                encoded.AsSpan(0, rows * c).CopyTo(codes.Slice(start * c));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(staged);
            ArrayPool<byte>.Shared.Return(encoded);
        }
    }

    /// <summary>The encoding rule for one sub-vector over one sub-space's transposed centroids <c>[dsub, kPad]</c>, at the widest accelerated width.</summary>
    internal static int NearestCode(ReadOnlySpan<float> x, ReadOnlySpan<float> transposed, ReadOnlySpan<float> norms) => NearestCode(x, transposed, norms, SimdPaths.Widest);

    /// <summary>The encoding rule on a pinned width; every width gives the same code.</summary>
    internal static int NearestCode(ReadOnlySpan<float> x, ReadOnlySpan<float> transposed, ReadOnlySpan<float> norms, SimdPath path) => SimdPaths.Resolve(path) switch
    {
        SimdPath.Vector512 => NearestCode<Lanes512>(x, transposed, norms),
        SimdPath.Vector256 => NearestCode<Lanes256>(x, transposed, norms),
        _ => NearestCode<Lanes1>(x, transposed, norms),
    };

    // As in KMeans.Nearest: lanes are centroids, each lane's dot product is the sequential sum the rule specifies
    // (separate multiply and add: the JIT never fuses them), and the widths agree bit for bit.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static int NearestCode<TLanes>(ReadOnlySpan<float> x, ReadOnlySpan<float> transposed, ReadOnlySpan<float> norms) where TLanes : struct, IFloatLanes<TLanes>
    {
        int kPad = norms.Length;
        ref float t = ref MemoryMarshal.GetReference(transposed);
        ref float n = ref MemoryMarshal.GetReference(norms);
        var two = TLanes.Create(2f);
        var argMin = LaneArgMin<TLanes>.Start();
        for (int b = 0; b < kPad; b += TLanes.Count)
        {
            var dot = TLanes.Create(x[0]) * TLanes.Load(ref t, (nuint)b);
            for (int d = 1; d < x.Length; d++) dot += TLanes.Create(x[d]) * TLanes.Load(ref t, (nuint)(d * kPad + b));
            argMin.Update(TLanes.Load(ref n, (nuint)b) - dot * two);
        }
        return argMin.Result();
    }

    /// <summary>
    /// The non-zero rows (checking every row is finite), or a sample of <paramref name="cap"/> of them drawn without
    /// replacement, copied out in row order.
    /// </summary>
    static float[] Sample(ReadOnlySpan<float> vectors, int dimension, long cap, int seed, out int rows)
    {
        int n = vectors.Length / dimension;
        var present = new List<int>();
        for (int i = 0; i < n; i++)
        {
            var row = vectors.Slice(i * dimension, dimension);
            if (!TensorPrimitives.IsFiniteAll(row))
                throw new ArgumentException($"Row {i} of the training data holds a NaN or infinite value.", nameof(vectors));
            if (!KMeans.IsOrigin(row)) present.Add(i);
        }
        var chosen = CollectionsMarshal.AsSpan(present);
        if (chosen.Length > cap)
        {
            var rng = new Random(seed);
            for (int t = 0; t < cap; t++)
            {
                int s = rng.Next(t, chosen.Length);
                (chosen[t], chosen[s]) = (chosen[s], chosen[t]);
            }
            chosen = chosen[..(int)cap];
            chosen.Sort();
        }
        rows = chosen.Length;
        var sample = new float[rows * dimension];
        for (int i = 0; i < rows; i++) vectors.Slice(chosen[i] * dimension, dimension).CopyTo(sample.AsSpan(i * dimension));
        return sample;
    }

    /// <summary>SplitMix64 of (seed, sub-space): independent streams per sub-space, fixed across runs and platforms.</summary>
    static int SubSpaceSeed(int seed, int subSpace)
    {
        ulong z = ((ulong)(uint)seed << 32 | (uint)subSpace) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) >> 32);
    }
}
