using System.Runtime.CompilerServices;

namespace Seminar.MLNet.Featurization;

/// <summary>
/// A small direct-mapped cache in front of the token table for words of up to eight characters: the word's characters
/// are the key itself (two 64-bit values and the length), so a hit costs a multiply and two compares where the table
/// hashes the word and compares its characters. A request looks up every query word of its history, and a user's
/// history repeats few distinct words many times.
/// </summary>
/// <remarks>
/// A miss asks the table and keeps its answer in the word's slot, replacing whatever was there, so the cache never
/// answers differently from the table and its size is fixed. Words are placed by a fixed hash: crafted words can at most
/// make every lookup a miss, which costs what the table alone costs. Mutable: one per featurizer (per cursor).
/// </remarks>
internal sealed class ShortTokenCache
{
    /// <summary>Longest word the cache keeps: eight UTF-16 characters fill its two 64-bit key values.</summary>
    public const int MaxLength = 8;

    const int SlotBits = 11;

    struct Entry
    {
        public ulong Low, High;
        public int Value;
        // 0 for an empty slot: words of length 0 are never cached.
        public int Length;
    }

    readonly Entry[] _entries = new Entry[1 << SlotBits];
    readonly TokenLookup _table;

    /// <summary>A cache in front of <paramref name="table"/>.</summary>
    public ShortTokenCache(TokenLookup table) => _table = table;

    /// <summary>The same as <see cref="TokenLookup.IndexOf"/> on the table.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int IndexOf(ReadOnlySpan<char> word)
    {
        int length = word.Length;
        if (length == 0 || length > MaxLength) return _table.IndexOf(word);
        ulong low = 0, high = 0;
        for (int i = 0; i < length; i++)
        {
            if (i < 4) low |= (ulong)word[i] << (16 * i);
            else high |= (ulong)word[i] << (16 * (i - 4));
        }
        int slot = (int)(((low * 0x9E3779B97F4A7C15UL) ^ (high * 0xC2B2AE3D27D4EB4FUL) ^ (ulong)length) >> (64 - SlotBits));
        ref Entry entry = ref _entries[slot];
        if (entry.Length == length && entry.Low == low && entry.High == high) return entry.Value;
        int value = _table.IndexOf(word);
        entry = new Entry { Low = low, High = high, Value = value, Length = length };
        return value;
    }
}
