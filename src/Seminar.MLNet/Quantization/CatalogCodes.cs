using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Seminar.MLNet.Quantization.FastScan;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// 4-bit product-quantization codes of a whole item table, encoded once: 16-centroid codebooks trained by k-means on
/// the items (centroid 0 the origin, see <see cref="ProductQuantizer"/>), and per item one row of
/// <see cref="RowBytes"/> bytes, byte p holding sub-space 2p's code in its low nibble and 2p + 1's in its high nibble
/// (M = 32: 16 bytes per item against 256 for the float row). A history's codes are gathered from it per request into
/// the fast scan's blocks (<see cref="Gather(ReadOnlySpan{int}, FourBitCodes)"/>) or once per user.
/// </summary>
/// <remarks>
/// A fixed row of 16 bytes (M ≤ 32, the rest zero) lets a gather load one 128-bit vector per item. Immutable after
/// construction; gathers only read it and may run concurrently into distinct destinations.
/// </remarks>
internal sealed class CatalogCodes
{
    /// <summary>Largest M: two codes per byte of a 16-byte row.</summary>
    public const int MaxSubSpaces = 32;
    /// <summary>Bytes stored per item.</summary>
    public const int RowBytes = 16;

    // Vector of the j-th byte of a block's half-lane, as FourBitCodes orders them.
    static ReadOnlySpan<byte> Order => [0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15];

    // Count + 1 rows: the last is all zero, read for the padding vectors of a history's last block.
    readonly byte[] _rows;

    /// <summary>Encodes every row of <paramref name="items"/> (<c>[count, D]</c>) with a 16-centroid quantizer of at most <see cref="MaxSubSpaces"/> sub-spaces.</summary>
    /// <exception cref="ArgumentException">The quantizer has more than 16 centroids or <see cref="MaxSubSpaces"/> sub-spaces, or the table is not whole rows of its dimension.</exception>
    public CatalogCodes(ProductQuantizer quantizer, ReadOnlySpan<float> items)
    {
        ArgumentNullException.ThrowIfNull(quantizer);
        CheckFourBit(quantizer);
        int d = quantizer.Dimension, m = quantizer.SubSpaces;
        if (items.Length % d != 0)
            throw new ArgumentException($"The item table holds {items.Length} values, not whole rows of {d}.", nameof(items));
        Quantizer = quantizer;
        Count = items.Length / d;
        _rows = new byte[(long)(Count + 1) * RowBytes];
        // Encoded in slices so the plain codes stay small whatever the catalog.
        const int slice = 1 << 16;
        var plain = new byte[slice * m];
        for (int first = 0; first < Count; first += slice)
        {
            int n = Math.Min(slice, Count - first);
            quantizer.Encode(items.Slice(first * d, n * d), n, plain);
            for (int i = 0; i < n; i++)
            {
                var row = _rows.AsSpan((first + i) * RowBytes, RowBytes);
                for (int s = 0; s < m; s++) row[s >> 1] |= (byte)(plain[i * m + s] << ((s & 1) * 4));
            }
        }
    }

    CatalogCodes(ProductQuantizer quantizer, int count, byte[] rows)
    {
        Quantizer = quantizer;
        Count = count;
        _rows = rows;
    }

    /// <summary>
    /// Codes given unpacked, <c>[count, M]</c> one byte per code (a saved graph's, see <see cref="Plain"/>), with the quantizer
    /// they were encoded with.
    /// </summary>
    /// <exception cref="ArgumentException">The quantizer does not fit 4-bit rows, the codes are not whole rows, or a code names no centroid.</exception>
    public static CatalogCodes FromPlain(ProductQuantizer quantizer, ReadOnlySpan<byte> plain)
    {
        ArgumentNullException.ThrowIfNull(quantizer);
        CheckFourBit(quantizer);
        int m = quantizer.SubSpaces;
        if (plain.Length % m != 0) throw new ArgumentException($"The codes hold {plain.Length} bytes, not whole rows of {m}.", nameof(plain));
        int bad = plain.IndexOfAnyInRange((byte)quantizer.Centroids, byte.MaxValue);
        if (bad >= 0)
            throw new ArgumentException($"Code {bad} (item {bad / m}, sub-space {bad % m}) is {plain[bad]}; the codebook has {quantizer.Centroids} centroids.", nameof(plain));
        int count = plain.Length / m;
        var rows = new byte[(long)(count + 1) * RowBytes];
        for (int i = 0; i < count; i++)
            for (int s = 0; s < m; s++) rows[i * RowBytes + (s >> 1)] |= (byte)(plain[i * m + s] << ((s & 1) * 4));
        return new CatalogCodes(quantizer, count, rows);
    }

    /// <summary>Every item's codes unpacked, <c>[Count, M]</c>, one byte per code (what a saved graph stores).</summary>
    public byte[] Plain()
    {
        int m = SubSpaces;
        var plain = new byte[(long)Count * m];
        for (int i = 0; i < Count; i++)
            for (int s = 0; s < m; s++) plain[i * m + s] = (byte)((_rows[i * RowBytes + (s >> 1)] >> ((s & 1) * 4)) & 15);
        return plain;
    }

    /// <summary>Throws unless the quantizer's codes fit 4 bits and a row of <see cref="RowBytes"/> bytes.</summary>
    static void CheckFourBit(ProductQuantizer quantizer)
    {
        if (quantizer.Centroids > FourBitCodes.Centroids || quantizer.SubSpaces > MaxSubSpaces)
            throw new ArgumentException($"Catalog codes are 4-bit with at most {MaxSubSpaces} sub-spaces; the quantizer has {quantizer.Centroids} centroids and {quantizer.SubSpaces} sub-spaces.", nameof(quantizer));
    }

    /// <summary>Trains the codebooks on <paramref name="items"/> (M sub-spaces, 16 centroids) and encodes every item.</summary>
    public static CatalogCodes Train(ReadOnlySpan<float> items, int dimension, int subSpaces, int seed) =>
        new(ProductQuantizer.Train(items, dimension, new ProductQuantizerOptions { SubSpaces = subSpaces, Centroids = FourBitCodes.Centroids }, seed), items);

    /// <summary>The quantizer the items were encoded with.</summary>
    public ProductQuantizer Quantizer { get; }
    /// <summary>Items encoded.</summary>
    public int Count { get; }
    /// <summary>Sub-spaces M.</summary>
    public int SubSpaces => Quantizer.SubSpaces;
    /// <summary>Bytes of code per item: two 4-bit codes per byte.</summary>
    public int BytesPerItem => (SubSpaces + 1) / 2;

    /// <summary>Sub-space <paramref name="subSpace"/>'s code of item <paramref name="item"/>.</summary>
    public int Code(int item, int subSpace)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(item);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(item, Count);
        ArgumentOutOfRangeException.ThrowIfNegative(subSpace);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(subSpace, SubSpaces);
        return (_rows[item * RowBytes + (subSpace >> 1)] >> ((subSpace & 1) * 4)) & 15;
    }

    /// <summary>Packs the codes of <paramref name="items"/>, in that order, into <paramref name="destination"/>'s fast-scan blocks (replacing its contents).</summary>
    /// <exception cref="ArgumentException">The destination has another sub-space count, or an item is outside the catalog.</exception>
    public void Gather(ReadOnlySpan<int> items, FourBitCodes destination) => Gather(items, destination, SimdPath.Best);

    /// <summary>
    /// <see cref="Gather(ReadOnlySpan{int}, FourBitCodes)"/> on a pinned path: a vector path needs AVX2's in-lane
    /// unpacks and runs the scalar one without them; both write the same bytes.
    /// </summary>
    internal void Gather(ReadOnlySpan<int> items, FourBitCodes destination, SimdPath path)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.SubSpaces != SubSpaces)
            throw new ArgumentException($"The destination holds {destination.SubSpaces} sub-spaces; the catalog codes {SubSpaces}.", nameof(destination));
        foreach (int item in items)
            if ((uint)item >= (uint)Count)
                throw new ArgumentException($"Item {item} is outside the catalog codes (valid indices 0 to {Count - 1}).", nameof(items));
        var blocks = destination.Reset(items.Length);
        if (blocks.IsEmpty) return;
        int pairs = destination.BlockBytes / FourBitCodes.PairBytes;
        if (SimdPaths.Resolve(path) != SimdPath.Scalar && Avx2.IsSupported) GatherVector(items, pairs, blocks, destination.BlockBytes);
        else GatherScalar(items, pairs, blocks, destination.BlockBytes);
    }

    int RowOf(ReadOnlySpan<int> items, int position) => position < items.Length ? items[position] : Count;

    // First every row is copied, in history order, into a staging buffer: a loop of a load and a store per row, so
    // the scattered reads of a large table are all in flight at once instead of queueing behind the transposes.
    // Then per block: for byte j of a half-lane, vector v = Order[j] and v + 16 share a byte. Combining their rows
    // gives h0[p] (sub-space 2p of both, low nibble v) and h1[p] (sub-space 2p + 1); as one 256-bit row [h0 | h1] per
    // j, the 16 × 16 byte matrix of each 128-bit lane, transposed in-lane, is row p = pair p's 32 block bytes.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void GatherVector(ReadOnlySpan<int> items, int pairs, Span<byte> blocks, int blockBytes)
    {
        int count = blocks.Length / blockBytes, padded = count * FourBitCodes.BlockSize;
        var staging = ArrayPool<byte>.Shared.Rent(padded * RowBytes);
        try
        {
            ref byte rows = ref MemoryMarshal.GetArrayDataReference(_rows);
            ref byte staged = ref MemoryMarshal.GetArrayDataReference(staging);
            ref int item = ref MemoryMarshal.GetReference(items);
            for (int i = 0; i < items.Length; i++)
                Vector128.LoadUnsafe(ref rows, (nuint)((long)Unsafe.Add(ref item, i) * RowBytes)).StoreUnsafe(ref staged, (nuint)((long)i * RowBytes));
            staging.AsSpan(items.Length * RowBytes, (padded - items.Length) * RowBytes).Clear();
            Transpose(ref staged, count, pairs, ref MemoryMarshal.GetReference(blocks), blockBytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(staging);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Transpose(ref byte staged, int count, int pairs, ref byte output, int blockBytes)
    {
        var order = Order;
        var low = Vector128.Create((byte)15);
        Span<Vector256<byte>> a = stackalloc Vector256<byte>[16];
        Span<Vector256<byte>> b = stackalloc Vector256<byte>[16];
        for (int block = 0; block < count; block++)
        {
            int first = block * FourBitCodes.BlockSize;
            for (int j = 0; j < 16; j++)
            {
                int v = first + order[j];
                var x = Vector128.LoadUnsafe(ref staged, (nuint)((long)v * RowBytes));
                var y = Vector128.LoadUnsafe(ref staged, (nuint)((long)(v + 16) * RowBytes));
                var h0 = (x & low) | ((y.AsUInt16() << 4).AsByte() & ~low);
                var h1 = ((x.AsUInt16() >> 4).AsByte() & low) | (y & ~low);
                a[j] = Vector256.Create(h0, h1);
            }
            // Bytes, then words, dwords and qwords: after step k each element holds 2^k rows of one column.
            for (int k = 0; k < 8; k++)
            {
                b[k] = Avx2.UnpackLow(a[2 * k], a[2 * k + 1]);
                b[8 + k] = Avx2.UnpackHigh(a[2 * k], a[2 * k + 1]);
            }
            for (int h = 0; h < 2; h++)
                for (int g = 0; g < 4; g++)
                {
                    var p = b[h * 8 + 2 * g].AsUInt16();
                    var q = b[h * 8 + 2 * g + 1].AsUInt16();
                    a[h * 8 + g] = Avx2.UnpackLow(p, q).AsByte();
                    a[h * 8 + 4 + g] = Avx2.UnpackHigh(p, q).AsByte();
                }
            for (int c = 0; c < 4; c++)
                for (int e = 0; e < 2; e++)
                {
                    var p = a[c * 4 + 2 * e].AsUInt32();
                    var q = a[c * 4 + 2 * e + 1].AsUInt32();
                    b[c * 4 + e] = Avx2.UnpackLow(p, q).AsByte();
                    b[c * 4 + 2 + e] = Avx2.UnpackHigh(p, q).AsByte();
                }
            ref byte target = ref Unsafe.Add(ref output, (nint)block * blockBytes);
            for (int c = 0; c < 4; c++)
                for (int z = 0; z < 2; z++)
                {
                    int column = c * 4 + 2 * z;
                    var p = b[c * 4 + z * 2].AsUInt64();
                    var q = b[c * 4 + z * 2 + 1].AsUInt64();
                    if (column < pairs) Avx2.UnpackLow(p, q).AsByte().StoreUnsafe(ref target, (nuint)(column * FourBitCodes.PairBytes));
                    if (column + 1 < pairs) Avx2.UnpackHigh(p, q).AsByte().StoreUnsafe(ref target, (nuint)((column + 1) * FourBitCodes.PairBytes));
                }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void GatherScalar(ReadOnlySpan<int> items, int pairs, Span<byte> blocks, int blockBytes)
    {
        var order = Order;
        int count = blocks.Length / blockBytes;
        for (int block = 0; block < count; block++)
        {
            var target = blocks.Slice(block * blockBytes, blockBytes);
            int first = block * FourBitCodes.BlockSize;
            for (int j = 0; j < 16; j++)
            {
                int v = first + order[j];
                var x = _rows.AsSpan(RowOf(items, v) * RowBytes, RowBytes);
                var y = _rows.AsSpan(RowOf(items, v + 16) * RowBytes, RowBytes);
                for (int p = 0; p < pairs; p++)
                {
                    target[p * FourBitCodes.PairBytes + j] = (byte)((x[p] & 15) | (y[p] & 15) << 4);
                    target[p * FourBitCodes.PairBytes + 16 + j] = (byte)((x[p] >> 4) | (y[p] & 0xF0));
                }
            }
        }
    }
}
