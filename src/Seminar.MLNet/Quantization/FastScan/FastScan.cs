using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Quantization.FastScan;

/// <summary>
/// The 4-bit fast scan (FAISS's <c>IndexPQFastScan</c> kernel for one query): for every vector i,
/// <c>sums[i] = Σ_s table[s, code_s(i)]</c> over the byte tables of <see cref="QuantizedLookupTables"/>, in 16 bits.
/// The sums of <see cref="FourBitCodes.PaddedCount"/> vectors are written; those past the count are the padding's
/// (code 0) and carry no meaning. Allocates nothing; reads its inputs only, so scans may run concurrently.
/// </summary>
/// <remarks>
/// A block's 16 table bytes per sub-space line up with its 16 code bytes per sub-space, so the vector paths walk both
/// with one offset: a load of codes and a load of table, two in-lane byte shuffles (low and high nibbles), four 16-bit
/// adds. The sums are exact integers on every path (no sum can wrap, see <see cref="QuantizedLookupTables.MaxSubSpaces"/>),
/// so the paths agree to the bit.
/// </remarks>
internal static class FastScan
{
    /// <summary>Blocks ahead of the one being summed whose code lines (and companion lines) the vector paths request.</summary>
    /// <remarks>
    /// Codes read once per request come from memory; the hardware prefetcher alone left the scan at about 22 GB/s at
    /// L = 10,000 after an eviction. Requesting the codes and the companion eight blocks ahead (4 KB of codes at M = 32)
    /// measured 8-10% off a whole stored-history retrieval, against 6% at two blocks (scratch, both interleaved in one
    /// process).
    /// </remarks>
    internal const int PrefetchBlocks = 8;

    /// <summary>Writes the byte-table sums of every vector of <paramref name="codes"/> into <paramref name="sums"/>.</summary>
    /// <exception cref="ArgumentException">The tables are for another sub-space count, or <paramref name="sums"/> is shorter than <see cref="FourBitCodes.PaddedCount"/>.</exception>
    public static void Scan(FourBitCodes codes, QuantizedLookupTables tables, Span<ushort> sums) => Scan(codes, tables, sums, SimdPath.Best);

    /// <summary><see cref="Scan(FourBitCodes, QuantizedLookupTables, Span{ushort})"/> on a pinned path.</summary>
    internal static void Scan(FourBitCodes codes, QuantizedLookupTables tables, Span<ushort> sums, SimdPath path) =>
        Scan(codes, tables, sums, ReadOnlySpan<int>.Empty, path);

    /// <summary>
    /// <see cref="Scan(FourBitCodes, QuantizedLookupTables, Span{ushort})"/> that also requests into the caches, block by
    /// block as it goes, the lines of <paramref name="companion"/>: one int per vector that the pass after the scan
    /// reads (e.g. each behaviour's slot), so that pass finds them in the caches instead of waiting on memory.
    /// </summary>
    internal static void Scan(FourBitCodes codes, QuantizedLookupTables tables, Span<ushort> sums, ReadOnlySpan<int> companion, SimdPath path = SimdPath.Best)
    {
        ArgumentNullException.ThrowIfNull(tables);
        if (tables.SubSpaces != codes.SubSpaces)
            throw new ArgumentException($"The tables have {tables.SubSpaces} sub-spaces; the codes {codes.SubSpaces}.", nameof(tables));
        Scan(codes, tables.Bytes, sums, path, companion);
    }

    /// <summary>The scan over raw byte tables <c>[M2, 16]</c> (M2 = M rounded up to even).</summary>
    internal static void Scan(FourBitCodes codes, ReadOnlySpan<byte> table, Span<ushort> sums, SimdPath path, ReadOnlySpan<int> companion = default)
    {
        ArgumentNullException.ThrowIfNull(codes);
        if (table.Length != codes.PaddedSubSpaces * FourBitCodes.Centroids)
            throw new ArgumentException($"The byte tables hold {table.Length} bytes; {codes.PaddedSubSpaces} sub-spaces of {FourBitCodes.Centroids} need {codes.PaddedSubSpaces * FourBitCodes.Centroids}.", nameof(table));
        if (sums.Length < codes.PaddedCount)
            throw new ArgumentException($"The sums buffer holds {sums.Length} values; {codes.Blocks} blocks need {codes.PaddedCount}.", nameof(sums));
        if (codes.Blocks == 0) return;
        ref byte c = ref codes.First;
        ref byte t = ref MemoryMarshal.GetReference(table);
        ref ushort s = ref MemoryMarshal.GetReference(sums);
        // Whole blocks of the companion only: a request never runs past its end.
        int warmed = Math.Min(codes.Blocks, companion.Length / FourBitCodes.BlockSize);
        ref byte w = ref Unsafe.As<int, byte>(ref MemoryMarshal.GetReference(companion));
        switch (SimdPaths.Resolve(path))
        {
            case SimdPath.Vector512: Blocks<Bytes512>(ref c, codes.Blocks, codes.BlockBytes, ref t, ref s, ref w, warmed); break;
            case SimdPath.Vector256: Blocks<Bytes256>(ref c, codes.Blocks, codes.BlockBytes, ref t, ref s, ref w, warmed); break;
            default: Blocks(ref c, codes.Blocks, codes.BlockBytes, ref t, ref s); break;
        }
    }

    // Per 128-bit lane the low nibbles name vectors 0..15 of the block and the high nibbles 16..31, in the interleaved
    // order FourBitCodes keeps; read as words, a looked-up lane has vector i in the low byte of word i and vector i + 8
    // in the high byte. a1 and a3 add the high bytes alone; a0 and a2 add whole words, so their low bytes carry into the
    // high byte, and subtracting a1 · 256 (a3 · 256) leaves the low vectors' sums (exact modulo 2^16, and no sum
    // reaches 2^16). The lanes then hold partial sums over different sub-spaces and add up to the whole.
    // Prefetches never fault, but the requests stay inside the arrays: a block PrefetchBlocks ahead only while there is one.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Blocks<TBytes>(ref byte codes, int blocks, int blockBytes, ref byte table, ref ushort sums, ref byte companion, int warmed)
        where TBytes : struct, IByteLanes<TBytes>
    {
        nuint whole = (nuint)(blockBytes / TBytes.Count * TBytes.Count), bytes = (nuint)blockBytes;
        const int companionBytes = FourBitCodes.BlockSize * sizeof(int);
        for (int b = 0; b < blocks; b++)
        {
            ref byte block = ref Unsafe.Add(ref codes, (nint)b * blockBytes);
            if (b + PrefetchBlocks < blocks)
            {
                ref byte ahead = ref Unsafe.Add(ref block, (nint)PrefetchBlocks * blockBytes);
                for (int line = 0; line < blockBytes; line += CacheLines.LineBytes) CacheLines.Prefetch(ref Unsafe.Add(ref ahead, line));
            }
            if (b + PrefetchBlocks < warmed)
            {
                ref byte ahead = ref Unsafe.Add(ref companion, (nint)(b + PrefetchBlocks) * companionBytes);
                for (int line = 0; line < companionBytes; line += CacheLines.LineBytes) CacheLines.Prefetch(ref Unsafe.Add(ref ahead, line));
            }
            TBytes a0 = default, a1 = default, a2 = default, a3 = default;
            nuint o = 0;
            for (; o < whole; o += (nuint)TBytes.Count)
                Accumulate(TBytes.Load(ref block, o), TBytes.Load(ref table, o), ref a0, ref a1, ref a2, ref a3);
            // 512 bits with an odd number of sub-space pairs: the last pair alone, against a zero upper half of table.
            if (o < bytes)
                Accumulate(TBytes.LoadHalf(ref block, o), TBytes.LoadHalf(ref table, o), ref a0, ref a1, ref a2, ref a3);
            ref ushort row = ref Unsafe.Add(ref sums, b * FourBitCodes.BlockSize);
            TBytes.SumLanes(TBytes.Subtract(a0, TBytes.ShiftLeft8(a1))).StoreUnsafe(ref row, 0);
            TBytes.SumLanes(a1).StoreUnsafe(ref row, 8);
            TBytes.SumLanes(TBytes.Subtract(a2, TBytes.ShiftLeft8(a3))).StoreUnsafe(ref row, 16);
            TBytes.SumLanes(a3).StoreUnsafe(ref row, 24);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Accumulate<TBytes>(TBytes packed, TBytes table, ref TBytes a0, ref TBytes a1, ref TBytes a2, ref TBytes a3)
        where TBytes : struct, IByteLanes<TBytes>
    {
        var low = TBytes.Lookup(table, TBytes.LowNibbles(packed));
        var high = TBytes.Lookup(table, TBytes.HighNibbles(packed));
        a0 = TBytes.Add(a0, low);
        a1 = TBytes.Add(a1, TBytes.ShiftRight8(low));
        a2 = TBytes.Add(a2, high);
        a3 = TBytes.Add(a3, TBytes.ShiftRight8(high));
    }

    // The scalar path reads the same packed layout byte by byte: the reference the vector paths are held to besides
    // the plain-code sum the tests compute.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void Blocks(ref byte codes, int blocks, int blockBytes, ref byte table, ref ushort sums)
    {
        int pairs = blockBytes / FourBitCodes.PairBytes;
        Span<int> lane = stackalloc int[FourBitCodes.BlockSize];
        for (int b = 0; b < blocks; b++)
        {
            lane.Clear();
            ref byte block = ref Unsafe.Add(ref codes, (nint)b * blockBytes);
            for (int p = 0; p < pairs; p++)
            {
                ref byte pair = ref Unsafe.Add(ref block, p * FourBitCodes.PairBytes);
                ref byte even = ref Unsafe.Add(ref table, 2 * p * FourBitCodes.Centroids);
                ref byte odd = ref Unsafe.Add(ref even, FourBitCodes.Centroids);
                for (int j = 0; j < 16; j++)
                {
                    // Byte j holds vector v = 0, 8, 1, 9, ... (j/2 + 8·(j odd)) and, in its high nibble, v + 16.
                    int v = (j >> 1) + ((j & 1) << 3);
                    byte e = Unsafe.Add(ref pair, j), o = Unsafe.Add(ref pair, j + 16);
                    lane[v] += Unsafe.Add(ref even, e & 15) + Unsafe.Add(ref odd, o & 15);
                    lane[v + 16] += Unsafe.Add(ref even, e >> 4) + Unsafe.Add(ref odd, o >> 4);
                }
            }
            for (int i = 0; i < FourBitCodes.BlockSize; i++) Unsafe.Add(ref sums, b * FourBitCodes.BlockSize + i) = (ushort)lane[i];
        }
    }
}

/// <summary>
/// One vector width of bytes for the fast scan, as <see cref="IFloatLanes{TSelf}"/> is for floats: the kernel is
/// written once and specialised per width. Byte lookups are in-lane (each 128-bit lane shuffles its own 16 bytes),
/// as <c>vpshufb</c> does; machines without it run a full shuffle with lane-local indices, slowly but to the same bits.
/// </summary>
interface IByteLanes<TSelf> where TSelf : struct, IByteLanes<TSelf>
{
    /// <summary>Bytes per vector.</summary>
    static abstract int Count { get; }
    /// <summary>The <see cref="Count"/> bytes from <c>source[offset]</c>.</summary>
    static abstract TSelf Load(ref byte source, nuint offset);
    /// <summary>The first half of <see cref="Count"/> bytes from <c>source[offset]</c>, the upper half zero.</summary>
    static abstract TSelf LoadHalf(ref byte source, nuint offset);
    /// <summary>Each byte's low 4 bits.</summary>
    static abstract TSelf LowNibbles(TSelf packed);
    /// <summary>Each byte's high 4 bits, shifted down.</summary>
    static abstract TSelf HighNibbles(TSelf packed);
    /// <summary>Byte i is <c>table[lane start + indices[i]]</c> within i's 128-bit lane (indices below 16).</summary>
    static abstract TSelf Lookup(TSelf table, TSelf indices);
    /// <summary>16-bit lanes added, wrapping.</summary>
    static abstract TSelf Add(TSelf a, TSelf b);
    /// <summary>16-bit lanes subtracted, wrapping.</summary>
    static abstract TSelf Subtract(TSelf a, TSelf b);
    /// <summary>16-bit lanes shifted right by 8 (the high byte of each word).</summary>
    static abstract TSelf ShiftRight8(TSelf a);
    /// <summary>16-bit lanes shifted left by 8.</summary>
    static abstract TSelf ShiftLeft8(TSelf a);
    /// <summary>The 128-bit lanes added as eight 16-bit words, wrapping.</summary>
    static abstract Vector128<ushort> SumLanes(TSelf a);
}

/// <summary>256-bit byte vectors (<c>vpshufb</c> on AVX2).</summary>
readonly struct Bytes256(Vector256<byte> value) : IByteLanes<Bytes256>
{
    // Lane-local indices for the software shuffle: lane 1's bytes index 16..31.
    static readonly Vector256<byte> LaneBase = Vector256.Create(Vector128<byte>.Zero, Vector128.Create((byte)16));
    readonly Vector256<byte> _v = value;

    public static int Count => Vector256<byte>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes256 Load(ref byte source, nuint offset) => new(Vector256.LoadUnsafe(ref source, offset));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes256 LoadHalf(ref byte source, nuint offset) => new(Vector256.Create(Vector128.LoadUnsafe(ref source, offset), Vector128<byte>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes256 LowNibbles(Bytes256 packed) => new(packed._v & Vector256.Create((byte)15));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes256 HighNibbles(Bytes256 packed) => new((packed._v.AsUInt16() >> 4).AsByte() & Vector256.Create((byte)15));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes256 Lookup(Bytes256 table, Bytes256 indices) =>
        new(Avx2.IsSupported ? Avx2.Shuffle(table._v, indices._v) : Vector256.Shuffle(table._v, indices._v + LaneBase));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes256 Add(Bytes256 a, Bytes256 b) => new((a._v.AsUInt16() + b._v.AsUInt16()).AsByte());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes256 Subtract(Bytes256 a, Bytes256 b) => new((a._v.AsUInt16() - b._v.AsUInt16()).AsByte());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes256 ShiftRight8(Bytes256 a) => new((a._v.AsUInt16() >> 8).AsByte());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes256 ShiftLeft8(Bytes256 a) => new((a._v.AsUInt16() << 8).AsByte());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ushort> SumLanes(Bytes256 a) => a._v.GetLower().AsUInt16() + a._v.GetUpper().AsUInt16();
}

/// <summary>512-bit byte vectors (<c>vpshufb</c> on AVX-512 BW): two sub-space pairs of one block per step.</summary>
readonly struct Bytes512(Vector512<byte> value) : IByteLanes<Bytes512>
{
    static readonly Vector512<byte> LaneBase = Vector512.Create(
        Vector256.Create(Vector128<byte>.Zero, Vector128.Create((byte)16)),
        Vector256.Create(Vector128.Create((byte)32), Vector128.Create((byte)48)));
    readonly Vector512<byte> _v = value;

    public static int Count => Vector512<byte>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes512 Load(ref byte source, nuint offset) => new(Vector512.LoadUnsafe(ref source, offset));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes512 LoadHalf(ref byte source, nuint offset) => new(Vector512.Create(Vector256.LoadUnsafe(ref source, offset), Vector256<byte>.Zero));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes512 LowNibbles(Bytes512 packed) => new(packed._v & Vector512.Create((byte)15));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes512 HighNibbles(Bytes512 packed) => new((packed._v.AsUInt16() >> 4).AsByte() & Vector512.Create((byte)15));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes512 Lookup(Bytes512 table, Bytes512 indices) =>
        new(Avx512BW.IsSupported ? Avx512BW.Shuffle(table._v, indices._v) : Vector512.Shuffle(table._v, indices._v + LaneBase));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes512 Add(Bytes512 a, Bytes512 b) => new((a._v.AsUInt16() + b._v.AsUInt16()).AsByte());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes512 Subtract(Bytes512 a, Bytes512 b) => new((a._v.AsUInt16() - b._v.AsUInt16()).AsByte());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes512 ShiftRight8(Bytes512 a) => new((a._v.AsUInt16() >> 8).AsByte());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Bytes512 ShiftLeft8(Bytes512 a) => new((a._v.AsUInt16() << 8).AsByte());
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ushort> SumLanes(Bytes512 a)
    {
        var lower = a._v.GetLower().AsUInt16();
        var upper = a._v.GetUpper().AsUInt16();
        return (lower.GetLower() + lower.GetUpper()) + (upper.GetLower() + upper.GetUpper());
    }
}
