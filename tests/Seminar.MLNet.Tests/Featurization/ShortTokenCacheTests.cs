using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.Tests.Featurization;

public class ShortTokenCacheTests
{
    static TokenLookup Table(IEnumerable<string> words) => new(words.Select((w, i) => new KeyValuePair<string, int>(w, i + Vocabulary.Reserved)));

    [Fact]
    public void Every_answer_equals_the_table_s_for_short_long_empty_unknown_and_non_ASCII_words()
    {
        var known = new[] { "a", "red", "Red", "RED", "shoe", "shoes", "sneakers", "sneakers2", "waterproof", "é", "日本", "café", "ab\tcd", "x" + new string('y', 7) };
        var table = Table(known);
        var cache = new ShortTokenCache(table);
        var probes = known.Concat(new[] { "", "b", "rEd", "shoe ", "sneaker", "sneakers3", "waterproo", "e", "日", "cafe", "ab cd", "xyyyyyy" }).ToArray();
        // Twice: the second pass answers from the cache.
        for (int pass = 0; pass < 2; pass++)
            foreach (var word in probes) Assert.Equal(table.IndexOf(word), cache.IndexOf(word));
        Assert.NotEqual(Vocabulary.Unknown, cache.IndexOf("sneakers"));
        Assert.Equal(Vocabulary.Unknown, cache.IndexOf("sneaker"));
    }

    [Fact]
    public void Words_that_share_a_slot_or_a_prefix_replace_each_other_without_a_wrong_answer()
    {
        // Ten thousand distinct words of 1-8 characters in a cache of a few thousand slots: many share one, and every
        // lookup, first or repeated, in order or shuffled, gives the table's answer.
        var random = new Random(3);
        var words = Enumerable.Range(0, 10_000).Select(i => new string(Enumerable.Range(0, 1 + i % 8).Select(_ => (char)random.Next('a', 'e')).ToArray()))
            .Distinct().ToArray();
        var table = Table(words.Where((_, i) => i % 2 == 0));
        var cache = new ShortTokenCache(table);
        foreach (var word in words.Concat(words.OrderBy(_ => random.Next())).Concat(words))
            Assert.Equal(table.IndexOf(word), cache.IndexOf(word));
        // Same first four characters, different rest; same characters, different length.
        var prefix = Table(new[] { "abcdefgh", "abcd" });
        var cached = new ShortTokenCache(prefix);
        foreach (var word in new[] { "abcdefgh", "abcdefgi", "abcd", "abcde", "abcdefgh", "abcd\0" })
            Assert.Equal(prefix.IndexOf(word), cached.IndexOf(word));
    }
}
