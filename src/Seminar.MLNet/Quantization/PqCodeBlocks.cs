namespace Seminar.MLNet.Quantization;

/// <summary>
/// One history's PQ codes laid out for the scan: blocks of <see cref="BlockSize"/> behaviours, sub-space-major
/// within a block (<c>[block][subSpace][lane]</c>), so the scan reads memory strictly in order and one 64-byte
/// load gives one sub-space's codes for 64 behaviours. Storage is padded to whole groups of
/// <see cref="GroupBlocks"/> blocks with code 0 (the origin centroid); lanes past <see cref="Count"/> are scored
/// and never selected. Reused across requests: it grows and never shrinks.
/// </summary>
sealed class PqCodeBlocks
{
    /// <summary>Behaviours per block: one 512-bit register of byte codes.</summary>
    public const int BlockSize = 64;
    /// <summary>Blocks scanned together so each lookup table is loaded once per 256 behaviours.</summary>
    public const int GroupBlocks = 4;

    byte[] _data = Array.Empty<byte>();
    int _paddedBlocks;

    /// <summary>Creates an empty layout for <paramref name="subSpaces"/> codes per behaviour.</summary>
    public PqCodeBlocks(int subSpaces)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(subSpaces, 1);
        SubSpaces = subSpaces;
    }

    /// <summary>Codes per behaviour (S: sub-spaces over every code set).</summary>
    public int SubSpaces { get; }
    /// <summary>Behaviours held.</summary>
    public int Count { get; private set; }
    /// <summary>Blocks of storage, a multiple of <see cref="GroupBlocks"/>.</summary>
    public int PaddedBlocks => _paddedBlocks;
    /// <summary>Behaviour slots scanned: <see cref="PaddedBlocks"/> × <see cref="BlockSize"/>.</summary>
    public int PaddedCount => _paddedBlocks * BlockSize;
    /// <summary>Bytes the scan reads for the behaviours held.</summary>
    public long Bytes => (long)_paddedBlocks * SubSpaces * BlockSize;
    /// <summary>The layout, <see cref="PaddedBlocks"/> × S × 64 bytes.</summary>
    public ReadOnlySpan<byte> Data => _data.AsSpan(0, (int)Bytes);

    /// <summary>Makes room for <paramref name="count"/> behaviours, all codes 0.</summary>
    public void Reset(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int blocks = (count + BlockSize - 1) / BlockSize;
        int padded = (blocks + GroupBlocks - 1) / GroupBlocks * GroupBlocks;
        long bytes = (long)padded * SubSpaces * BlockSize;
        if (bytes > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(count), count, $"{count} behaviours of {SubSpaces} codes do not fit one array.");
        if (_data.Length < bytes) _data = new byte[Math.Max(bytes, Math.Min(2L * _data.Length, Array.MaxLength))];
        else _data.AsSpan(0, (int)bytes).Clear();
        Count = count;
        _paddedBlocks = padded;
    }

    /// <summary>Writes <paramref name="codes"/> as sub-spaces <paramref name="firstSubSpace"/>.. of behaviour <paramref name="behaviour"/>.</summary>
    public void Set(int behaviour, int firstSubSpace, ReadOnlySpan<byte> codes)
    {
        if ((uint)behaviour >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(behaviour));
        if (firstSubSpace < 0 || firstSubSpace + codes.Length > SubSpaces) throw new ArgumentOutOfRangeException(nameof(firstSubSpace));
        int offset = Offset(behaviour, firstSubSpace);
        for (int i = 0; i < codes.Length; i++) _data[offset + i * BlockSize] = codes[i];
    }

    /// <summary>Code of sub-space <paramref name="subSpace"/> of behaviour <paramref name="behaviour"/>.</summary>
    public byte Get(int behaviour, int subSpace) => _data[Offset(behaviour, subSpace)];

    /// <summary>Index in <see cref="Data"/> of a behaviour's code for a sub-space; the next sub-space is <see cref="BlockSize"/> further.</summary>
    public int Offset(int behaviour, int subSpace) => (behaviour / BlockSize * SubSpaces + subSpace) * BlockSize + behaviour % BlockSize;
}
