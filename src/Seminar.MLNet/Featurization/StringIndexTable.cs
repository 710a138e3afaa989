using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Featurization;

/// <summary>
/// An immutable table from strings to integers, looked up by span one key at a time or a whole history at a time.
/// </summary>
/// <remarks>
/// A request looks up every behaviour's item id. In a catalog of a million items the table is tens of megabytes and
/// each lookup misses the caches: 10,000 ids took about half of a one-candidate request with a frozen dictionary.
/// Open addressing with linear probing at a load of at most one half, 16-byte slots holding the hash, the value and
/// where the key's characters lie in one shared array, so a lookup reads one slot's line and the key's characters.
/// A batch over a large table (<see cref="GetEach"/>) runs in two passes over 32 keys (hash every key and prefetch its
/// slot; then probe), so the slots' misses of 32 keys are in flight together. Keys hash with the runtime's randomized
/// string hash, so requests cannot be crafted to collide. Immutable after construction: lookups may run concurrently.
/// </remarks>
internal sealed class StringIndexTable
{
    // Key length + 1 in Length, so a zeroed slot is empty and an empty key can still be stored.
    struct Slot
    {
        public uint Hash;
        public int Value;
        public int Start;
        public int Length;
    }

    // Keys per pass of the batch lookup: enough misses in flight to cover memory latency.
    const int Batch = 32;

    // Slots from which a batch prefetches (1 MB of them, half this machine's L2): a smaller table stays in the caches,
    // where the passes only cost (VocabularyLookupBenchmarks, 5,000 ids: 10.4 ns one by one, 12.7 ns in passes).
    const int PrefetchedSlots = 1 << 16;

    readonly Slot[] _slots;
    readonly char[] _chars;
    readonly int _mask;

    /// <summary>A table of <paramref name="keys"/>, key i mapping to <paramref name="values"/>[i].</summary>
    /// <param name="keys">Distinct keys.</param>
    /// <param name="values">Their values.</param>
    /// <param name="what">What a key is, for the message when one appears twice.</param>
    /// <exception cref="ArgumentException">The lists differ in length, or a key appears twice.</exception>
    public StringIndexTable(IReadOnlyList<string> keys, IReadOnlyList<int> values, string what = "Key")
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(values);
        if (keys.Count != values.Count) throw new ArgumentException($"{keys.Count} keys but {values.Count} values.", nameof(values));
        long characters = 0;
        for (int i = 0; i < keys.Count; i++)
            characters += keys[i]?.Length ?? throw new ArgumentException($"{what} {i} is null.", nameof(keys));
        if (characters > Array.MaxLength || keys.Count > (1 << 29))
            throw new ArgumentException($"{keys.Count} keys of {characters} characters in all exceed the table's limits.", nameof(keys));
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, 2 * keys.Count));
        _slots = new Slot[capacity];
        _mask = capacity - 1;
        _chars = new char[characters];
        int start = 0;
        for (int i = 0; i < keys.Count; i++)
        {
            string key = keys[i];
            uint hash = Hash(key);
            int s = (int)(hash & (uint)_mask);
            for (; _slots[s].Length != 0; s = (s + 1) & _mask)
                if (Matches(_slots[s], key, hash)) throw new ArgumentException($"{what} '{key}' appears twice.");
            key.CopyTo(_chars.AsSpan(start));
            _slots[s] = new Slot { Hash = hash, Value = values[i], Start = start, Length = key.Length + 1 };
            start += key.Length;
        }
        Count = keys.Count;
    }

    /// <summary>Keys in the table.</summary>
    public int Count { get; }

    /// <summary>The value of <paramref name="key"/>, if the table holds it.</summary>
    public bool TryGetValue(ReadOnlySpan<char> key, out int value)
    {
        uint hash = Hash(key);
        return Probe(key, hash, (int)(hash & (uint)_mask), out value);
    }

    /// <summary>
    /// <c>values[i]</c> = the value of <c>keys[i]</c>, or <paramref name="missing"/>: the same as
    /// <see cref="TryGetValue"/> per key, with the keys' memory misses overlapped (see remarks on the type).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> is shorter than the keys.</exception>
    public void GetEach<TKeys>(TKeys keys, Span<long> values, long missing) where TKeys : IKeyTexts, allows ref struct
    {
        int n = keys.Count;
        if (values.Length < n) throw new ArgumentException($"The values hold {values.Length} entries; {n} keys are looked up.", nameof(values));
        if (_slots.Length < PrefetchedSlots)
        {
            // Each key is an object of its own: the one a batch ahead is asked for (a one-candidate request at L = 10,000
            // over 5,000 items, both ways interleaved in one process: p50 2-5% lower).
            for (int i = 0; i < n; i++)
            {
                if (i + Batch < n) keys.Prefetch(i + Batch);
                values[i] = TryGetValue(keys[i], out int value) ? value : missing;
            }
            return;
        }
        Span<uint> hashes = stackalloc uint[Batch];
        ref Slot slots = ref MemoryMarshal.GetArrayDataReference(_slots);
        for (int first = 0; first < n; first += Batch)
        {
            int m = Math.Min(Batch, n - first);
            for (int i = 0; i < m; i++)
            {
                // The next batch's keys are objects of their own, scattered like the slots: asked for a batch ahead.
                if (first + Batch + i < n) keys.Prefetch(first + Batch + i);
                uint hash = Hash(keys[first + i]);
                hashes[i] = hash;
                CacheLines.Prefetch(ref Unsafe.Add(ref slots, (int)(hash & (uint)_mask)));
            }
            for (int i = 0; i < m; i++)
            {
                uint hash = hashes[i];
                values[first + i] = Probe(keys[first + i], hash, (int)(hash & (uint)_mask), out int value) ? value : missing;
            }
        }
    }

    static uint Hash(ReadOnlySpan<char> key) => (uint)string.GetHashCode(key);

    bool Matches(in Slot slot, ReadOnlySpan<char> key, uint hash) =>
        slot.Hash == hash && slot.Length - 1 == key.Length && _chars.AsSpan(slot.Start, key.Length).SequenceEqual(key);

    bool Probe(ReadOnlySpan<char> key, uint hash, int s, out int value)
    {
        for (; ; s = (s + 1) & _mask)
        {
            ref readonly Slot slot = ref _slots[s];
            if (slot.Length == 0) break;
            if (Matches(slot, key, hash))
            {
                value = slot.Value;
                return true;
            }
        }
        value = 0;
        return false;
    }
}

/// <summary>Keys of a batch lookup (<see cref="StringIndexTable.GetEach"/>) by position, whatever holds them.</summary>
internal interface IKeyTexts
{
    /// <summary>Keys.</summary>
    int Count { get; }
    /// <summary>Key <paramref name="i"/>'s characters.</summary>
    ReadOnlySpan<char> this[int i] { get; }
    /// <summary>Asks for key <paramref name="i"/>'s characters ahead of their use.</summary>
    void Prefetch(int i);
}

/// <summary>Keys held as strings (a null string is the empty key).</summary>
internal readonly ref struct StringKeys(ReadOnlySpan<string?> keys) : IKeyTexts
{
    readonly ReadOnlySpan<string?> _keys = keys;
    /// <inheritdoc/>
    public int Count => _keys.Length;
    /// <inheritdoc/>
    public ReadOnlySpan<char> this[int i] => _keys[i].AsSpan();
    /// <inheritdoc/>
    public void Prefetch(int i) => Prefetch(_keys[i]);

    /// <summary>Asks for the first characters of <paramref name="text"/> (and its length beside them), if any.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(string? text)
    {
        if (text != null) CacheLines.Prefetch(ref Unsafe.AsRef(in text.GetPinnableReference()));
    }
}

/// <summary>Keys held as ML.NET text values.</summary>
internal readonly ref struct MemoryKeys(ReadOnlySpan<ReadOnlyMemory<char>> keys) : IKeyTexts
{
    readonly ReadOnlySpan<ReadOnlyMemory<char>> _keys = keys;
    /// <inheritdoc/>
    public int Count => _keys.Length;
    /// <inheritdoc/>
    public ReadOnlySpan<char> this[int i] => _keys[i].Span;
    /// <inheritdoc/>
    public void Prefetch(int i) => Prefetch(_keys[i]);

    /// <summary>Asks for the first characters of <paramref name="text"/>, if any.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Prefetch(ReadOnlyMemory<char> text)
    {
        if (!text.IsEmpty) CacheLines.Prefetch(ref MemoryMarshal.GetReference(text.Span));
    }
}
