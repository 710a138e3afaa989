using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// One request's asymmetric-distance lookup tables: <c>LUT[h][s][k] = u_h,s · centroid_s,k</c> for every head h,
/// sub-space s (over all code sets) and centroid k, so a behaviour's approximate relevance is
/// <c>Σ_s LUT[h][s][code_s]</c> (the target stays exact, only the keys are quantized). Also holds the tables rounded
/// to 16 bits for the byte scan: per head, <c>q = round((LUT − min_s) · 65535 / max_s range_s)</c>, split into a low and
/// a high byte table. The scan sums each byte table separately (a sum of S ≤ 257 bytes fits 16 bits), and
/// <c>256·high + low</c> differs from the scaled float sum by at most S/2 units (plus float rounding of the scaled values).
/// Per-thread scratch: build once per request, read by the scans.
/// </summary>
sealed class PqLookupTables
{
    readonly PqCodebooks _books;
    readonly float[] _float;
    byte[] _low = Array.Empty<byte>(), _high = Array.Empty<byte>();

    public PqLookupTables(PqCodebooks books, int heads)
    {
        _books = books ?? throw new ArgumentNullException(nameof(books));
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        Heads = heads;
        _float = new float[heads * books.SubSpaces * PqCodebooks.TableSize];
    }

    /// <summary>Heads H.</summary>
    public int Heads { get; }
    /// <summary>Sub-spaces S.</summary>
    public int SubSpaces => _books.SubSpaces;
    /// <summary>Float tables <c>[H][S][256]</c>; entries past a set's centroid count are 0 and never read.</summary>
    public ReadOnlySpan<float> Float => _float;
    /// <summary>Low bytes of the 16-bit tables <c>[H][S][256]</c>, valid after <see cref="Quantize"/>.</summary>
    public ReadOnlySpan<byte> QuantizedLow => _low;
    /// <summary>High bytes of the 16-bit tables <c>[H][S][256]</c>, valid after <see cref="Quantize"/>.</summary>
    public ReadOnlySpan<byte> QuantizedHigh => _high;

    /// <summary>Largest S the byte tables support: S × 255 must fit the scan's 16-bit sums.</summary>
    public const int MaxQuantizedSubSpaces = ushort.MaxValue / byte.MaxValue;

    /// <summary>Fills the float tables from the per-head request vectors <paramref name="u"/> <c>[H, D]</c>.</summary>
    public void Build(ReadOnlySpan<float> u)
    {
        int d = _books.Dimension, size = PqCodebooks.TableSize;
        if (u.Length != Heads * d) throw new ArgumentException($"Expected {Heads} × {d} request values; got {u.Length}.", nameof(u));
        var books = _books.Transposed;
        for (int h = 0; h < Heads; h++)
            for (int s = 0; s < SubSpaces; s++)
            {
                var table = _float.AsSpan((h * SubSpaces + s) * size, size);
                var uPart = u.Slice(h * d + _books.DimensionOffsets[s], _books.SubDimensions[s]);
                var book = books.Slice(_books.TransposedOffsets[s], uPart.Length * size);
                Row(uPart, book, table);
            }
    }

    /// <summary><c>table[k] = Σ_j u[j] · book[j][k]</c> over the 256 centroids, summed in j order.</summary>
    /// <remarks>TensorPrimitives' multiply-add rounds the product and the sum separately, so every width gives the same table.</remarks>
    static void Row(ReadOnlySpan<float> u, ReadOnlySpan<float> book, Span<float> table)
    {
        int size = PqCodebooks.TableSize;
        table.Clear();
        for (int j = 0; j < u.Length; j++) TensorPrimitives.MultiplyAdd(book.Slice(j * size, size), u[j], table, table);
    }

    /// <summary>Rounds the float tables to 16 bits as two byte tables (see the class remarks). Needs <see cref="SubSpaces"/> ≤ <see cref="MaxQuantizedSubSpaces"/>.</summary>
    public void Quantize()
    {
        int size = PqCodebooks.TableSize, s = SubSpaces;
        if (s > MaxQuantizedSubSpaces) throw new InvalidOperationException($"{s} sub-spaces overflow the 16-bit scan (at most {MaxQuantizedSubSpaces}).");
        if (_low.Length < _float.Length)
        {
            _low = new byte[_float.Length];
            _high = new byte[_float.Length];
        }
        Span<float> mins = stackalloc float[s];
        for (int h = 0; h < Heads; h++)
        {
            float maxRange = 0;
            for (int i = 0; i < s; i++)
            {
                var valid = _float.AsSpan((h * s + i) * size, _books.ValidCentroids[i]);
                float min = TensorPrimitives.Min(valid);
                mins[i] = min;
                maxRange = Math.Max(maxRange, TensorPrimitives.Max(valid) - min);
            }
            // A head whose tables are flat ranks every behaviour equal; scale 0 keeps all bytes 0.
            float scale = maxRange > 0 ? ushort.MaxValue / maxRange : 0f;
            for (int i = 0; i < s; i++)
            {
                int at = (h * s + i) * size;
                QuantizeRow(_float.AsSpan(at, size), mins[i], scale, _low.AsSpan(at, size), _high.AsSpan(at, size));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void QuantizeRow(ReadOnlySpan<float> values, float min, float scale, Span<byte> low, Span<byte> high)
    {
        if (Avx512F.IsSupported)
        {
            ref float v = ref MemoryMarshal.GetReference(values);
            ref byte lo = ref MemoryMarshal.GetReference(low);
            ref byte hi = ref MemoryMarshal.GetReference(high);
            var bottom = Vector512.Create(min);
            var sc = Vector512.Create(scale);
            var top = Vector512.Create((float)ushort.MaxValue);
            var mask = Vector512.Create(0xFFu);
            for (int k = 0; k < values.Length; k += 16)
            {
                // Entries past the valid centroids may fall outside the range: clamp them (never read).
                var scaled = Vector512.Min(Vector512.Max((Vector512.LoadUnsafe(ref v, (nuint)k) - bottom) * sc, Vector512<float>.Zero), top);
                var q = Avx512F.ConvertToVector512UInt32(scaled);
                Avx512F.ConvertToVector128Byte(q & mask).StoreUnsafe(ref lo, (nuint)k);
                Avx512F.ConvertToVector128Byte(Vector512.ShiftRightLogical(q, 8)).StoreUnsafe(ref hi, (nuint)k);
            }
            return;
        }
        for (int k = 0; k < values.Length; k++)
        {
            int q = (int)Math.Clamp(MathF.Round((values[k] - min) * scale), 0f, ushort.MaxValue);
            low[k] = (byte)q;
            high[k] = (byte)(q >> 8);
        }
    }
}
