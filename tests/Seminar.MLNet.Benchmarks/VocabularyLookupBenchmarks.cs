using System.Collections.Frozen;
using BenchmarkDotNet.Attributes;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.Benchmarks;

/// <summary>
/// What the featurizer does for every behaviour of a request: look up an item id and its query words by span. The same
/// keys through <see cref="Vocabulary"/> (one at a time, and a whole history at once as the featurizer does, see
/// <c>StringIndexTable</c>) and through the frozen dictionary it replaced: 10,000 ids drawn from a catalog of
/// <see cref="CatalogItems"/> items ("i123") and 13,000 words of 16, each a fresh string as a deserialised request holds
/// them; one operation per lookup. The query words also through the featurizer's token forms table alone and through
/// the <c>ShortTokenCache</c> in front of it.
/// </summary>
public class VocabularyLookupBenchmarks
{
    static readonly string[] Words = { "red", "blue", "shoe", "hat", "green", "coat", "warm", "cheap", "summer", "boot", "wool", "black", "light", "kids", "sale", "linen" };
    const int Ids = 10_000, Tokens = 13_000;
    Vocabulary _items = null!, _words = null!;
    TokenLookup _forms = null!;
    ShortTokenCache _wordCache = null!;
    FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _itemFrozen, _wordFrozen;
    string[] _idTexts = null!, _wordTexts = null!;
    readonly long[] _indices = new long[Ids];

    /// <summary>Items of the catalog: one whose tables sit in the caches, one whose tables do not.</summary>
    [Params(5_000, 1_000_000)]
    public int CatalogItems { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(1);
        var ids = Enumerable.Range(0, CatalogItems).Select(i => "i" + i).ToArray();
        _items = new Vocabulary(ids);
        _words = new Vocabulary(Words);
        _forms = new TokenLookup(_words, Array.Empty<string>());
        _wordCache = new ShortTokenCache(_forms);
        _itemFrozen = Frozen(ids);
        _wordFrozen = Frozen(Words);
        _idTexts = Enumerable.Range(0, Ids).Select(_ => new string(ids[rng.Next(ids.Length)].AsSpan())).ToArray();
        _wordTexts = Enumerable.Range(0, Tokens).Select(_ => new string(Words[rng.Next(Words.Length)].AsSpan())).ToArray();
    }

    static FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> Frozen(string[] keys) =>
        keys.Select((key, i) => (key, i)).ToDictionary(p => p.key, p => p.i + Vocabulary.Reserved, StringComparer.Ordinal)
            .ToFrozenDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

    [Benchmark(Baseline = true, OperationsPerInvoke = Ids, Description = "ids, FrozenDictionary")]
    public long IdsFrozen() => Sum(_itemFrozen, _idTexts);

    [Benchmark(OperationsPerInvoke = Ids, Description = "ids, Vocabulary one by one")]
    public long IdsVocabulary() => Sum(_items, _idTexts);

    [Benchmark(OperationsPerInvoke = Ids, Description = "ids, Vocabulary.IndexOfEach")]
    public long IdsBatch()
    {
        _items.IndexOfEach(_idTexts, _indices);
        return _indices[^1];
    }

    [Benchmark(OperationsPerInvoke = Tokens, Description = "words, FrozenDictionary")]
    public long WordsFrozen() => Sum(_wordFrozen, _wordTexts);

    [Benchmark(OperationsPerInvoke = Tokens, Description = "words, Vocabulary one by one")]
    public long WordsVocabulary() => Sum(_words, _wordTexts);

    [Benchmark(OperationsPerInvoke = Tokens, Description = "words, token forms table")]
    public long WordsForms()
    {
        long sum = 0;
        foreach (var s in _wordTexts) sum += _forms.IndexOf(s);
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Tokens, Description = "words, ShortTokenCache over the forms table")]
    public long WordsCached()
    {
        long sum = 0;
        foreach (var s in _wordTexts) sum += _wordCache.IndexOf(s);
        return sum;
    }

    static long Sum(FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup, string[] texts)
    {
        long sum = 0;
        foreach (var s in texts) sum += lookup.TryGetValue(s, out int i) ? i : Vocabulary.Unknown;
        return sum;
    }

    static long Sum(Vocabulary vocabulary, string[] texts)
    {
        long sum = 0;
        foreach (var s in texts) sum += vocabulary.IndexOf(s.AsSpan());
        return sum;
    }
}
