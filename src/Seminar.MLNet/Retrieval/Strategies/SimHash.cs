using System.Numerics.Tensors;

namespace Seminar.MLNet.Retrieval.Strategies;

/// <summary>
/// SimHash signatures: bit i of a vector x is 1 when <c>R_i · x &gt; 0</c> (row i of a fixed random rotation R, <c>[bits, D]</c>),
/// else 0 (a projection of exactly 0 gives 0). Bits are packed into 64-bit words, <c>bitsPerWord</c> per word, bit i
/// at word <c>i / bitsPerWord</c>, position <c>i % bitsPerWord</c> (least significant first); unused high bits are 0.
/// ETA packs 64 bits per word and compares whole signatures; SDIM packs each hash function's bits in a word of its own.
/// </summary>
internal static class SimHash
{
    /// <summary>Words needed for <paramref name="bits"/> bits at <paramref name="bitsPerWord"/> per word.</summary>
    public static int Words(int bits, int bitsPerWord)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bits, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bitsPerWord, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bitsPerWord, 64);
        return (bits + bitsPerWord - 1) / bitsPerWord;
    }

    /// <summary>Signature of <paramref name="x"/>: projects it on every row of <paramref name="rotation"/> and packs the sign bits.</summary>
    /// <param name="rotation">Rotation R, row-major <c>[bits, D]</c> with D = <paramref name="x"/>'s length.</param>
    /// <param name="x">The vector (D).</param>
    /// <param name="bitsPerWord">Bits per word, 1 to 64.</param>
    /// <param name="projections">Scratch of at least <c>bits</c> floats (receives R x).</param>
    /// <param name="words">Receives <see cref="Words"/>(bits, bitsPerWord) words.</param>
    public static void Signature(ReadOnlySpan<float> rotation, ReadOnlySpan<float> x, int bitsPerWord, Span<float> projections, Span<ulong> words)
    {
        int d = x.Length;
        if (d == 0 || rotation.Length % d != 0) throw new ArgumentException($"The rotation holds {rotation.Length} values: not a whole number of {d}-wide rows.", nameof(rotation));
        int bits = rotation.Length / d;
        var p = projections[..bits];
        for (int i = 0; i < bits; i++) p[i] = TensorPrimitives.Dot(rotation.Slice(i * d, d), x);
        Pack(p, bitsPerWord, words);
    }

    /// <summary>Packs the sign bits of <paramref name="projections"/> (1 where &gt; 0) into words.</summary>
    /// <param name="projections">One projection per bit.</param>
    /// <param name="bitsPerWord">Bits per word, 1 to 64.</param>
    /// <param name="words">Receives <see cref="Words"/>(projections, bitsPerWord) words.</param>
    public static void Pack(ReadOnlySpan<float> projections, int bitsPerWord, Span<ulong> words)
    {
        int count = Words(projections.Length, bitsPerWord);
        if (words.Length < count) throw new ArgumentException($"The word buffer holds {words.Length}; {count} are needed.", nameof(words));
        for (int w = 0; w < count; w++)
        {
            int first = w * bitsPerWord, n = Math.Min(bitsPerWord, projections.Length - first);
            ulong word = 0;
            for (int i = 0; i < n; i++)
                if (projections[first + i] > 0) word |= 1UL << i;
            words[w] = word;
        }
    }
}
