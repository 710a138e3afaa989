using System.Runtime.InteropServices;

namespace Seminar.MLNet.Quantization.FastScan;

/// <summary>
/// 4-bit product-quantization codes (16 centroids per sub-space) laid out for the fast scan, as FAISS's
/// <c>pq4_pack_codes</c> packs them with a block of 32 vectors: per block, per pair of sub-spaces (2p, 2p + 1), 32
/// bytes. Byte j &lt; 16 holds sub-space 2p's code of vector <c>Order[j]</c> in its low nibble and of vector
/// <c>Order[j] + 16</c> in its high nibble; byte 16 + j holds sub-space 2p + 1 the same way.
/// </summary>
/// <remarks>
/// One 32-byte load then feeds one in-lane byte shuffle per nibble against the pair's two 16-entry tables (128-bit lane 0
/// looks up sub-space 2p, lane 1 sub-space 2p + 1). <c>Order</c> interleaves 0..7 with 8..15 so that a looked-up lane,
/// read as eight 16-bit words, holds vector i in the low byte and vector i + 8 in the high byte of word i: the scan
/// separates them with one shift instead of a byte unpack. An odd sub-space count is padded with a sub-space of code
/// 0 (its table is zero, see <see cref="QuantizedLookupTables"/>); vectors past <see cref="Count"/> are code 0.
/// </remarks>
internal sealed class FourBitCodes
{
    /// <summary>Vectors per block.</summary>
    public const int BlockSize = 32;
    /// <summary>Bytes one sub-space pair takes in a block.</summary>
    public const int PairBytes = 32;
    /// <summary>Centroids per sub-space: what a nibble can name.</summary>
    public const int Centroids = 16;

    // Vector of the j-th byte of a half-lane: 0, 8, 1, 9, ... (FAISS's perm0 on little-endian machines).
    static ReadOnlySpan<byte> Order => [0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15];

    byte[] _blocks;

    FourBitCodes(int count, int subSpaces, byte[] blocks)
    {
        Count = count;
        SubSpaces = subSpaces;
        _blocks = blocks;
    }

    /// <summary>An empty code set a gather refills per request (<see cref="Reset"/>): its buffer grows to the longest history seen.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="subSpaces"/> is out of range.</exception>
    internal FourBitCodes(int subSpaces)
        : this(0, subSpaces, Array.Empty<byte>())
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(subSpaces, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(subSpaces, QuantizedLookupTables.MaxSubSpaces);
    }

    /// <summary>Vectors N.</summary>
    public int Count { get; private set; }
    /// <summary>Sub-spaces M (codes per vector).</summary>
    public int SubSpaces { get; }
    /// <summary>M rounded up to even: the sub-spaces a block stores.</summary>
    public int PaddedSubSpaces => PadSubSpaces(SubSpaces);
    /// <summary>Blocks of <see cref="BlockSize"/> vectors.</summary>
    public int Blocks => (Count + BlockSize - 1) / BlockSize;
    /// <summary>N rounded up to whole blocks: the length of the sums a scan writes.</summary>
    public int PaddedCount => Blocks * BlockSize;
    /// <summary>Bytes per block: 16 per sub-space (one nibble per vector).</summary>
    public int BlockBytes => PaddedSubSpaces * BlockSize / 2;
    /// <summary>The packed blocks, <see cref="Blocks"/> × <see cref="BlockBytes"/>.</summary>
    public ReadOnlySpan<byte> Data => _blocks.AsSpan(0, Blocks * BlockBytes);

    /// <summary><paramref name="subSpaces"/> rounded up to even.</summary>
    public static int PadSubSpaces(int subSpaces) => (subSpaces + 1) & ~1;

    /// <summary>Packs plain codes <c>[count, subSpaces]</c> (one byte per code, each below 16).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range, or a code is 16 or more.</exception>
    /// <exception cref="ArgumentException"><paramref name="codes"/> is not <c>count · subSpaces</c> long.</exception>
    public static FourBitCodes Pack(ReadOnlySpan<byte> codes, int count, int subSpaces)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        // 256 sub-spaces of byte tables sum to at most 65,280: the scan's 16-bit sums cannot wrap.
        ArgumentOutOfRangeException.ThrowIfLessThan(subSpaces, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(subSpaces, QuantizedLookupTables.MaxSubSpaces);
        if (codes.Length != (long)count * subSpaces)
            throw new ArgumentException($"{count} vectors of {subSpaces} codes need {(long)count * subSpaces} bytes; got {codes.Length}.", nameof(codes));
        int bad = codes.IndexOfAnyInRange((byte)Centroids, byte.MaxValue);
        if (bad >= 0)
            throw new ArgumentOutOfRangeException(nameof(codes), codes[bad], $"Code {bad} (vector {bad / subSpaces}, sub-space {bad % subSpaces}) is {codes[bad]}; 4-bit codes are below {Centroids}.");

        int padded = PadSubSpaces(subSpaces), blocks = (count + BlockSize - 1) / BlockSize, blockBytes = padded * BlockSize / 2;
        var data = new byte[(long)blocks * blockBytes];
        var order = Order;
        for (int b = 0; b < blocks; b++)
        {
            var block = data.AsSpan(b * blockBytes, blockBytes);
            int first = b * BlockSize;
            for (int s = 0; s < subSpaces; s++)
            {
                var half = block.Slice((s >> 1) * PairBytes + (s & 1) * 16, 16);
                for (int j = 0; j < 16; j++)
                {
                    int low = first + order[j], high = low + 16;
                    int lo = low < count ? codes[low * subSpaces + s] : 0, hi = high < count ? codes[high * subSpaces + s] : 0;
                    half[j] = (byte)(lo | hi << 4);
                }
            }
        }
        return new FourBitCodes(count, subSpaces, data);
    }

    /// <summary>Sub-space <paramref name="subSpace"/>'s code of vector <paramref name="vector"/> (FAISS's <c>pq4_get_packed_element</c>).</summary>
    public int Get(int vector, int subSpace)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(vector);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(vector, Count);
        ArgumentOutOfRangeException.ThrowIfNegative(subSpace);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(subSpace, SubSpaces);
        int lane = vector % BlockSize, low = lane & 15;
        // Inverse of Order: vector i < 8 sits at byte 2i, vector 8 + i at byte 2i + 1.
        int j = low < 8 ? 2 * low : 2 * (low - 8) + 1;
        byte packed = _blocks[vector / BlockSize * BlockBytes + (subSpace >> 1) * PairBytes + (subSpace & 1) * 16 + j];
        return lane < 16 ? packed & 15 : packed >> 4;
    }

    /// <summary>Writes the plain codes <c>[Count, SubSpaces]</c> back into <paramref name="codes"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="codes"/> is shorter than <c>Count · SubSpaces</c>.</exception>
    public void Unpack(Span<byte> codes)
    {
        if (codes.Length < (long)Count * SubSpaces)
            throw new ArgumentException($"The code buffer holds {codes.Length} bytes; {Count} vectors of {SubSpaces} codes need {(long)Count * SubSpaces}.", nameof(codes));
        for (int i = 0; i < Count; i++)
            for (int s = 0; s < SubSpaces; s++) codes[i * SubSpaces + s] = (byte)Get(i, s);
    }

    /// <summary>
    /// Makes this a set of <paramref name="count"/> vectors and returns its packed blocks for the caller to fill whole
    /// (their previous contents are stale). Grows the buffer by half again when it is short, so it settles.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is negative.</exception>
    internal Span<byte> Reset(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Count = count;
        long bytes = (long)Blocks * BlockBytes;
        if (_blocks.Length < bytes) _blocks = new byte[Math.Max(bytes, _blocks.Length + (long)_blocks.Length / 2)];
        return _blocks.AsSpan(0, (int)bytes);
    }

    /// <summary>A reference to the first packed byte, for the scan.</summary>
    internal ref byte First => ref MemoryMarshal.GetArrayDataReference(_blocks);
}
