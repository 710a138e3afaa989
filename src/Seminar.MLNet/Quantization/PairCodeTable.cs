using System.Numerics;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// Codes of the query part of known query–item pairs, keyed by (item index, query token indices): an open-addressing
/// table in flat arrays so a lookup neither allocates nor chases pointers. Filled once when the model is fitted and
/// read concurrently afterwards (lookups do not write).
/// </summary>
sealed class PairCodeTable
{
    readonly int _slots, _codes;
    readonly int[] _items;
    readonly int[] _tokens; // token indices fit 32 bits; halves the table
    readonly byte[] _values;
    readonly int _mask, _capacity;

    /// <param name="capacity">Pairs the table must hold.</param>
    /// <param name="tokenSlots">Token slots per query (T).</param>
    /// <param name="codes">Codes per pair.</param>
    public PairCodeTable(int capacity, int tokenSlots, int codes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _slots = tokenSlots;
        _codes = codes;
        _capacity = capacity;
        // Load factor ≤ 0.5 keeps probe chains short.
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(2 * capacity, 16));
        _mask = size - 1;
        _items = new int[size];
        Array.Fill(_items, -1);
        _tokens = new int[(long)size * tokenSlots];
        _values = new byte[(long)size * codes];
    }

    /// <summary>Pairs held.</summary>
    public int Count { get; private set; }

    /// <summary>Adds a pair if new and returns its code slot to fill; returns false when it was already there.</summary>
    public bool TryAdd(int item, ReadOnlySpan<long> tokens, out Span<byte> codes)
    {
        int slot = Find(item, tokens);
        if (_items[slot] >= 0)
        {
            codes = default;
            return false;
        }
        if (IsFull) throw new InvalidOperationException("The pair table is full.");
        _items[slot] = item;
        var stored = _tokens.AsSpan(slot * _slots, _slots);
        for (int i = 0; i < _slots; i++) stored[i] = checked((int)tokens[i]);
        Count++;
        codes = _values.AsSpan(slot * _codes, _codes);
        return true;
    }

    /// <summary>The codes of a known pair, or an empty span.</summary>
    public ReadOnlySpan<byte> Lookup(int item, ReadOnlySpan<long> tokens)
    {
        int slot = Find(item, tokens);
        return _items[slot] >= 0 ? _values.AsSpan(slot * _codes, _codes) : default;
    }

    int Find(int item, ReadOnlySpan<long> tokens)
    {
        if (tokens.Length != _slots) throw new ArgumentException($"A query has {_slots} token slots; got {tokens.Length}.", nameof(tokens));
        ulong hash = (ulong)item * 0x9E3779B97F4A7C15UL;
        foreach (long t in tokens) hash = (hash ^ (ulong)t) * 0xBF58476D1CE4E5B9UL;
        int slot = (int)(hash >> 32) & _mask;
        while (true)
        {
            int at = _items[slot];
            if (at < 0 || (at == item && Same(tokens, _tokens.AsSpan(slot * _slots, _slots)))) return slot;
            slot = (slot + 1) & _mask;
        }
    }

    static bool Same(ReadOnlySpan<long> tokens, ReadOnlySpan<int> stored)
    {
        for (int i = 0; i < stored.Length; i++)
            if (tokens[i] != stored[i]) return false;
        return true;
    }

    /// <summary>Whether no pair can be added any more.</summary>
    public bool IsFull => Count >= _capacity;
    /// <summary>Slots of the table (occupied or not).</summary>
    public int Slots => _mask + 1;
    /// <summary>Whether slot <paramref name="slot"/> holds a pair.</summary>
    public bool Occupied(int slot) => _items[slot] >= 0;
    /// <summary>The item of the pair in <paramref name="slot"/>.</summary>
    public int ItemAt(int slot) => _items[slot];
    /// <summary>Copies the query tokens of the pair in <paramref name="slot"/>.</summary>
    public void TokensAt(int slot, Span<long> tokens)
    {
        var stored = _tokens.AsSpan(slot * _slots, _slots);
        for (int i = 0; i < _slots; i++) tokens[i] = stored[i];
    }
    /// <summary>The codes of the pair in <paramref name="slot"/>, writable while the model is built.</summary>
    public Span<byte> CodesAt(int slot) => _values.AsSpan(slot * _codes, _codes);

    /// <summary>Whether a behaviour's query has any token (all-padding queries are browsing).</summary>
    public static bool HasQuery(ReadOnlySpan<long> tokens)
    {
        foreach (long t in tokens)
            if (t != Vocabulary.Padding) return true;
        return false;
    }
}
