using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Quantization.FastScan;

/// <summary>
/// One query's lookup tables for the 4-bit fast scan: the float table <c>LUT[s, k] = u_s · centroid_s,k</c>
/// (<c>[M, 16]</c>) and its byte version, quantized as FAISS's <c>quantize_LUT_and_bias</c> does it: per sub-space
/// bias <c>min_s = min_k LUT[s, k]</c>, one shared step <see cref="Scale"/> and
/// <c>q[s, k] = floor((LUT[s, k] − min_s) / Scale + 0.5)</c>.
/// </summary>
/// <remarks>
/// <para>
/// <b>The step.</b> <c>1 / Scale = min(255 / max_s span_s, 65535 / Σ_s span_s)</c> (<c>span_s = max_k − min_k</c>): the
/// widest sub-space fills a byte and no sum of M table bytes can leave 16 bits. A single step for all sub-spaces is
/// what lets the scan add raw bytes; the biases add up to the one constant <see cref="Bias"/>.
/// </para>
/// <para>
/// <b>Error bound.</b> Each byte is within half a step of its scaled float entry, so for any codes
/// <c>|Dequantize(Σ_s q[s, code_s]) − Σ_s LUT[s, code_s]| ≤ M · Scale / 2</c> (<see cref="ErrorBound"/>), plus float
/// rounding of the scaled entries, the bias sum and the dequantization (a few ulps of the largest magnitude involved).
/// The bound is what a shortlist must absorb: two vectors whose byte sums differ by more than
/// <c>2 · ErrorBound / Scale</c> are ordered as their float scores are.
/// </para>
/// <para>
/// The byte table is <c>[M2, 16]</c> with M2 = M rounded up to even, the padding sub-space all zero, so it lines up
/// with <see cref="FourBitCodes"/>: a scan reads 16 bytes of table per 16 bytes of a block. Codebooks with fewer than
/// 16 centroids repeat centroid 0 in the spare entries (a real entry: the bias and the step do not move). Per-thread
/// scratch: build once per query, then read by any number of scans.
/// </para>
/// </remarks>
internal sealed class QuantizedLookupTables
{
    /// <summary>Largest M: 256 sub-spaces of bytes sum to at most 65,280, within the scan's 16 bits.</summary>
    public const int MaxSubSpaces = 256;

    const int Entries = FourBitCodes.Centroids;

    readonly float[] _float;
    readonly byte[] _bytes;
    // [M, dsub, 16]: one row of 16 centroid values per input dimension, so a table row is dsub broadcast multiply-adds.
    readonly float[] _transposed;

    /// <summary>Tables for a codebook <c>[subSpaces, centroids, dimension / subSpaces]</c> (copied), centroids 1..16.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range.</exception>
    /// <exception cref="ArgumentException">The codebook does not have the sizes' length, or the sub-spaces do not divide the dimension.</exception>
    public QuantizedLookupTables(ReadOnlySpan<float> codebook, int dimension, int subSpaces, int centroids)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(subSpaces, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(subSpaces, MaxSubSpaces);
        ArgumentOutOfRangeException.ThrowIfLessThan(centroids, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(centroids, Entries);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (dimension % subSpaces != 0)
            throw new ArgumentException($"The sub-space count ({subSpaces}) must divide the dimension ({dimension}).", nameof(subSpaces));
        int dsub = dimension / subSpaces;
        if (codebook.Length != (long)subSpaces * centroids * dsub)
            throw new ArgumentException($"The codebook has {codebook.Length} values; [{subSpaces}, {centroids}, {dsub}] needs {(long)subSpaces * centroids * dsub}.", nameof(codebook));
        Dimension = dimension;
        SubSpaces = subSpaces;
        _float = new float[subSpaces * Entries];
        _bytes = new byte[FourBitCodes.PadSubSpaces(subSpaces) * Entries];
        _transposed = new float[subSpaces * dsub * Entries];
        for (int s = 0; s < subSpaces; s++)
            for (int k = 0; k < Entries; k++)
            {
                int source = k < centroids ? k : 0;
                for (int j = 0; j < dsub; j++)
                    _transposed[(s * dsub + j) * Entries + k] = codebook[(s * centroids + source) * dsub + j];
            }
    }

    /// <summary>Tables over a trained quantizer's codebook (at most 16 centroids).</summary>
    public QuantizedLookupTables(ProductQuantizer quantizer)
        : this((quantizer ?? throw new ArgumentNullException(nameof(quantizer))).Codebook.Span, quantizer.Dimension, quantizer.SubSpaces, quantizer.Centroids)
    {
    }

    /// <summary>Dimension D of a query.</summary>
    public int Dimension { get; }
    /// <summary>Sub-spaces M.</summary>
    public int SubSpaces { get; }
    /// <summary>Float tables <c>[M, 16]</c>, valid after <see cref="Build(ReadOnlySpan{float})"/>.</summary>
    public ReadOnlySpan<float> Float => _float;
    /// <summary>Byte tables <c>[M2, 16]</c> (M2 = M rounded up to even, padding zero), valid after <see cref="Build(ReadOnlySpan{float})"/> or <see cref="Quantize(ReadOnlySpan{float})"/>.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;
    /// <summary>Float units per byte step (0 when every table is constant).</summary>
    public float Scale { get; private set; }
    /// <summary>The float score of a byte sum of 0: <c>Σ_s min_s</c>.</summary>
    public float Bias { get; private set; }
    /// <summary><c>M · Scale / 2</c>: the most a dequantized sum can differ from the float sum, float rounding aside.</summary>
    public float ErrorBound => SubSpaces * Scale / 2;

    /// <summary>The float score of a scan's byte sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Dequantize(ushort sum) => sum * Scale + Bias;

    /// <summary>Fills the float tables from a query <paramref name="u"/> of D values and quantizes them.</summary>
    /// <exception cref="ArgumentException"><paramref name="u"/> is not D values long.</exception>
    public void Build(ReadOnlySpan<float> u) => Build(u, SimdPath.Best);

    /// <summary><see cref="Build(ReadOnlySpan{float})"/> on a pinned path; every path gives the same bits (same operations per lane).</summary>
    internal void Build(ReadOnlySpan<float> u, SimdPath path)
    {
        if (u.Length != Dimension)
            throw new ArgumentException($"The query has {u.Length} values; the tables' dimension is {Dimension}.", nameof(u));
        switch (SimdPaths.Resolve(path))
        {
            case SimdPath.Vector512: Rows<Lanes512>(u); break;
            case SimdPath.Vector256: Rows<Lanes256>(u); break;
            default: Rows<Lanes1>(u); break;
        }
        QuantizeFloat(path);
    }

    /// <summary>Replaces the float tables with <paramref name="table"/> <c>[M, 16]</c> and quantizes them.</summary>
    /// <exception cref="ArgumentException">The table is not M × 16 values, or holds a value that is not finite.</exception>
    public void Quantize(ReadOnlySpan<float> table)
    {
        if (table.Length != _float.Length)
            throw new ArgumentException($"The table has {table.Length} values; [{SubSpaces}, {Entries}] needs {_float.Length}.", nameof(table));
        table.CopyTo(_float);
        QuantizeFloat();
    }

    // The dsub products of a row accumulate in dimension order, each fused, the same on every width.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void Rows<TLanes>(ReadOnlySpan<float> u) where TLanes : struct, IFloatLanes<TLanes>
    {
        int dsub = Dimension / SubSpaces;
        ref float book = ref MemoryMarshal.GetArrayDataReference(_transposed);
        ref float table = ref MemoryMarshal.GetArrayDataReference(_float);
        for (int s = 0; s < SubSpaces; s++)
        {
            for (int lane = 0; lane < Entries; lane += TLanes.Count)
            {
                var sum = TLanes.Create(0);
                for (int j = 0; j < dsub; j++)
                    sum = TLanes.FusedMultiplyAdd(TLanes.Create(u[s * dsub + j]), TLanes.Load(ref book, (nuint)((s * dsub + j) * Entries + lane)), sum);
                sum.Store(ref table, (nuint)(s * Entries + lane));
            }
        }
    }

    // Row extremes, then one shared step and the bytes, as FAISS's quantize_LUT_and_bias. A row is 16 entries: on
    // 512-bit vectors it is one register (extremes by a reduction, bytes by one narrowing), with the scalar loop's
    // operations per entry, so both paths give the same bytes, step and bias (tested); it was 3% of a 100-candidate PQ
    // request in a profile, scalar.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void QuantizeFloat(SimdPath path = SimdPath.Best)
    {
        int m = SubSpaces;
        bool vector = SimdPaths.Resolve(path) == SimdPath.Vector512 && Entries == Vector512<float>.Count;
        Span<float> mins = stackalloc float[MaxSubSpaces];
        float widest = 0, total = 0, bias = 0;
        ref float table = ref MemoryMarshal.GetArrayDataReference(_float);
        for (int s = 0; s < m; s++)
        {
            float min, max;
            if (vector)
            {
                var row = Vector512.LoadUnsafe(ref table, (nuint)(s * Entries));
                if (!Vector512.EqualsAll(row - row, Vector512<float>.Zero)) ThrowNotFinite(s, _float.AsSpan(s * Entries, Entries));
                (min, max) = (Lowest(row), Highest(row));
            }
            else
            {
                var row = _float.AsSpan(s * Entries, Entries);
                min = row[0];
                max = row[0];
                foreach (float v in row)
                {
                    if (!float.IsFinite(v)) ThrowNotFinite(s, row);
                    min = MathF.Min(min, v);
                    max = MathF.Max(max, v);
                }
            }
            mins[s] = min;
            widest = MathF.Max(widest, max - min);
            total += max - min;
            bias += min;
        }
        // Steps per float unit: FAISS's a. Zero spans (constant tables) leave every byte 0 and the bias exact.
        float a = MathF.Min(widest > 0 ? 255f / widest : float.PositiveInfinity, total > 0 ? 65535f / total : float.PositiveInfinity);
        if (!float.IsFinite(a)) a = 0;
        if (vector)
        {
            ref byte bytes = ref MemoryMarshal.GetArrayDataReference(_bytes);
            for (int s = 0; s < m; s++)
            {
                var row = Vector512.LoadUnsafe(ref table, (nuint)(s * Entries));
                var q = Vector512.Floor((row - Vector512.Create(mins[s])) * Vector512.Create(a) + Vector512.Create(0.5f));
                var clamped = Vector512.ConvertToInt32(Vector512.Min(Vector512.Max(q, Vector512<float>.Zero), Vector512.Create(255f)));
                var halves = Vector256.Narrow(clamped.GetLower(), clamped.GetUpper());
                Vector128.Narrow(halves.GetLower(), halves.GetUpper()).AsByte().StoreUnsafe(ref bytes, (nuint)(s * Entries));
            }
        }
        else
            for (int s = 0; s < m; s++)
                for (int k = 0; k < Entries; k++)
                {
                    float q = MathF.Floor((_float[s * Entries + k] - mins[s]) * a + 0.5f);
                    // The widest row's maximum can round a hair past 255 in float; the clamp costs at most that hair.
                    _bytes[s * Entries + k] = (byte)Math.Clamp(q, 0f, 255f);
                }
        Scale = a > 0 ? 1 / a : 0;
        Bias = bias;
    }

    static void ThrowNotFinite(int s, ReadOnlySpan<float> row)
    {
        foreach (float v in row)
            if (!float.IsFinite(v)) throw new ArgumentException($"Lookup table entry [{s}] is {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}; entries must be finite.");
    }

    // Exact, so the order of the reduction does not matter; IEEE minimum and maximum, as MathF's (−0 below +0).
    static float Lowest(Vector512<float> v)
    {
        var a = Vector256.Min(v.GetLower(), v.GetUpper());
        var b = Vector128.Min(a.GetLower(), a.GetUpper());
        var c = Vector128.Min(b, Vector128.Shuffle(b, Vector128.Create(2, 3, 0, 1)));
        return MathF.Min(c.GetElement(0), c.GetElement(1));
    }

    static float Highest(Vector512<float> v)
    {
        var a = Vector256.Max(v.GetLower(), v.GetUpper());
        var b = Vector128.Max(a.GetLower(), a.GetUpper());
        var c = Vector128.Max(b, Vector128.Shuffle(b, Vector128.Create(2, 3, 0, 1)));
        return MathF.Max(c.GetElement(0), c.GetElement(1));
    }
}
