using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// The asymmetric-distance scans: every behaviour's approximate relevance per head from its codes and the request's
/// lookup tables. <see cref="Float"/> sums float table entries in sub-space order (the reference semantics);
/// <see cref="Bytes"/> sums the byte tables with AVX-512 VBMI, 64 behaviours per instruction, and is used to find
/// a candidate superset that <see cref="PqRetriever"/> then ranks with the float sums.
/// </summary>
/// <remarks>The kernels are compiled fully optimised from their first call (no tiering): a request's latency must not
/// depend on how many came before it.</remarks>
static class PqScan
{
    /// <summary>Whether this CPU runs <see cref="Bytes"/> (AVX-512 VBMI and BW).</summary>
    public static bool BytesSupported => Avx512Vbmi.IsSupported && Avx512BW.IsSupported;

    /// <summary>
    /// Float relevance <c>Σ_s LUT[h][s][code]</c>, summed in sub-space order, for behaviours <c>[0, count)</c> of
    /// every head: <paramref name="scores"/> is <c>[H][stride]</c>.
    /// </summary>
    public static void Float(PqCodeBlocks codes, int count, PqLookupTables tables, Span<float> scores, int stride) =>
        TableSums(codes, count, tables.Float, tables.Heads, scores, stride);

    /// <summary>
    /// <c>scores[h · stride + l] = Σ_s table[h][s][code_s(l)]</c> for behaviours <c>[0, count)</c>, summed in sub-space
    /// order in <typeparamref name="TSum"/>: the float scan over float tables, and the portable byte scan over byte tables.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void TableSums<TEntry, TSum>(PqCodeBlocks codes, int count, ReadOnlySpan<TEntry> table, int heads, Span<TSum> scores, int stride)
        where TEntry : unmanaged, INumberBase<TEntry>
        where TSum : unmanaged, INumberBase<TSum>
    {
        int s = codes.SubSpaces, size = PqCodebooks.TableSize, block = PqCodeBlocks.BlockSize;
        var data = codes.Data;
        for (int h = 0; h < heads; h++)
        {
            var head = table.Slice(h * s * size, s * size);
            for (int first = 0; first < count; first += block)
            {
                int lanes = Math.Min(block, count - first);
                var acc = scores.Slice(h * stride + first, lanes);
                acc.Clear();
                int at = first / block * s * block;
                for (int i = 0; i < s; i++)
                {
                    var row = head.Slice(i * size, size);
                    var code = data.Slice(at + i * block, lanes);
                    for (int lane = 0; lane < lanes; lane++) acc[lane] += TSum.CreateTruncating(row[code[lane]]);
                }
            }
        }
    }

    /// <summary>The float relevance of one behaviour for one head, summed exactly as <see cref="Float"/> sums it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float FloatOne(PqCodeBlocks codes, int behaviour, PqLookupTables tables, int head)
    {
        int s = codes.SubSpaces, size = PqCodebooks.TableSize;
        var lut = tables.Float.Slice(head * s * size, s * size);
        var data = codes.Data;
        int at = codes.Offset(behaviour, 0);
        float sum = 0;
        for (int i = 0; i < s; i++) sum += lut[i * size + data[at + i * PqCodeBlocks.BlockSize]];
        return sum;
    }

    /// <summary>
    /// Byte relevance <c>Σ_s Q[h][s][code]</c> (exact integer sums) over one byte table <paramref name="table"/>
    /// (<c>[H][S][256]</c>) for every padded slot of every head: <paramref name="scores"/> is <c>[H][codes.PaddedCount]</c>.
    /// With <see cref="BytesSupported"/> it runs the VBMI kernel, else <see cref="BytesPortable"/> (same sums, far slower,
    /// which is why the retriever only takes the byte path on VBMI).
    /// </summary>
    /// <remarks>
    /// Per 64 behaviours and sub-space, two 128-entry VPERMI2B lookups cover the 256-entry table and the code's top bit
    /// picks one; even and odd byte lanes accumulate in separate 16-bit registers and are interleaved once per block.
    /// Four blocks share each table load, so the tables (64 KB for H = 4, S = 64) stream from L2 a quarter as often.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Bytes(PqCodeBlocks codes, ReadOnlySpan<byte> table, int heads, Span<ushort> scores)
    {
        CheckBytes(codes, table, heads, scores);
        if (BytesSupported) BytesVbmi(codes, table, heads, scores);
        else BytesPortable(codes, table, heads, scores);
    }

    /// <summary><see cref="Bytes"/> one behaviour slot at a time, on any CPU: the fallback, and the reference the VBMI kernel is tested against.</summary>
    internal static void BytesPortable(PqCodeBlocks codes, ReadOnlySpan<byte> table, int heads, Span<ushort> scores)
    {
        CheckBytes(codes, table, heads, scores);
        TableSums(codes, codes.PaddedCount, table, heads, scores, codes.PaddedCount);
    }

    static void CheckBytes(PqCodeBlocks codes, ReadOnlySpan<byte> table, int heads, Span<ushort> scores)
    {
        if (scores.Length < heads * codes.PaddedCount) throw new ArgumentException("The score buffer is too small.", nameof(scores));
        if (table.Length < heads * codes.SubSpaces * PqCodebooks.TableSize) throw new ArgumentException("The table is too small.", nameof(table));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void BytesVbmi(PqCodeBlocks codes, ReadOnlySpan<byte> table, int heads, Span<ushort> scores)
    {
        int s = codes.SubSpaces, padded = codes.PaddedCount;
        ref byte data = ref MemoryMarshal.GetReference(codes.Data);
        ref byte lut = ref MemoryMarshal.GetReference(table);
        ref ushort output = ref MemoryMarshal.GetReference(scores);
        var low = Vector512.Create((ushort)0xFF);
        var evenFirst = Vector512.Create((ushort)0, 32, 1, 33, 2, 34, 3, 35, 4, 36, 5, 37, 6, 38, 7, 39, 8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47);
        var evenSecond = evenFirst + Vector512.Create((ushort)16);
        int blockBytes = s * PqCodeBlocks.BlockSize;
        for (int group = 0; group < codes.PaddedBlocks; group += PqCodeBlocks.GroupBlocks)
        {
            nuint groupAt = (nuint)(group * blockBytes);
            for (int h = 0; h < heads; h++)
            {
                Vector512<ushort> e0 = default, e1 = default, e2 = default, e3 = default, o0 = default, o1 = default, o2 = default, o3 = default;
                nuint tableAt = (nuint)(h * s * PqCodebooks.TableSize);
                for (int i = 0; i < s; i++, tableAt += PqCodebooks.TableSize)
                {
                    var t0 = Vector512.LoadUnsafe(ref lut, tableAt);
                    var t1 = Vector512.LoadUnsafe(ref lut, tableAt + 64);
                    var t2 = Vector512.LoadUnsafe(ref lut, tableAt + 128);
                    var t3 = Vector512.LoadUnsafe(ref lut, tableAt + 192);
                    nuint at = groupAt + (nuint)(i * PqCodeBlocks.BlockSize);
                    Accumulate(Lookup(Vector512.LoadUnsafe(ref data, at), t0, t1, t2, t3), low, ref e0, ref o0);
                    Accumulate(Lookup(Vector512.LoadUnsafe(ref data, at + (nuint)blockBytes), t0, t1, t2, t3), low, ref e1, ref o1);
                    Accumulate(Lookup(Vector512.LoadUnsafe(ref data, at + (nuint)(2 * blockBytes)), t0, t1, t2, t3), low, ref e2, ref o2);
                    Accumulate(Lookup(Vector512.LoadUnsafe(ref data, at + (nuint)(3 * blockBytes)), t0, t1, t2, t3), low, ref e3, ref o3);
                }
                nuint outAt = (nuint)(h * padded + group * PqCodeBlocks.BlockSize);
                Store(e0, o0, evenFirst, evenSecond, ref output, outAt);
                Store(e1, o1, evenFirst, evenSecond, ref output, outAt + 64);
                Store(e2, o2, evenFirst, evenSecond, ref output, outAt + 128);
                Store(e3, o3, evenFirst, evenSecond, ref output, outAt + 192);
            }
        }
    }

    /// <summary><c>wide[l] = 256·high[l] + low[l]</c>: the 16-bit table sums from the two byte-table scans.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Combine(ReadOnlySpan<ushort> low, ReadOnlySpan<ushort> high, Span<float> wide)
    {
        int l = 0;
        if (Avx512F.IsSupported)
        {
            ref ushort lo = ref MemoryMarshal.GetReference(low);
            ref ushort hi = ref MemoryMarshal.GetReference(high);
            ref float w = ref MemoryMarshal.GetReference(wide);
            for (; l + 16 <= wide.Length; l += 16)
            {
                var sum = Avx512F.ConvertToVector512Int32(Vector256.LoadUnsafe(ref hi, (nuint)l)) * 256 + Avx512F.ConvertToVector512Int32(Vector256.LoadUnsafe(ref lo, (nuint)l));
                Vector512.ConvertToSingle(sum).StoreUnsafe(ref w, (nuint)l);
            }
        }
        for (; l < wide.Length; l++) wide[l] = 256 * high[l] + low[l];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<byte> Lookup(Vector512<byte> code, Vector512<byte> t0, Vector512<byte> t1, Vector512<byte> t2, Vector512<byte> t3)
    {
        var lower = Avx512Vbmi.PermuteVar64x8x2(t0, code, t1);
        var upper = Avx512Vbmi.PermuteVar64x8x2(t2, code, t3);
        return Vector512.ConditionalSelect(Vector512.LessThan(code.AsSByte(), Vector512<sbyte>.Zero).AsByte(), upper, lower);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Accumulate(Vector512<byte> values, Vector512<ushort> low, ref Vector512<ushort> even, ref Vector512<ushort> odd)
    {
        even += values.AsUInt16() & low;
        odd += Vector512.ShiftRightLogical(values.AsUInt16(), 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(Vector512<ushort> even, Vector512<ushort> odd, Vector512<ushort> first, Vector512<ushort> second, ref ushort output, nuint at)
    {
        Avx512BW.PermuteVar32x16x2(even, first, odd).StoreUnsafe(ref output, at);
        Avx512BW.PermuteVar32x16x2(even, second, odd).StoreUnsafe(ref output, at + 32);
    }
}
