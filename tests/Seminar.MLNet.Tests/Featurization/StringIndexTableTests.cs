using Seminar.MLNet.Featurization;
using Xunit;

namespace Seminar.MLNet.Tests.Featurization;

public class StringIndexTableTests
{
    // Keys of assorted lengths, the empty key among them, and lookups half of which miss (unknown strings, a stored
    // key's prefix, a stored key with one more character, and null as the empty key).
    static (string[] Keys, int[] Values, string?[] Lookups) Data(int count, int lookups, int seed)
    {
        var rng = new Random(seed);
        var keys = Enumerable.Range(0, count).Select(i => i == 3 ? "" : "k" + i + new string('x', rng.Next(0, 40))).ToArray();
        var values = Enumerable.Range(0, count).Select(_ => rng.Next(-1000, 1_000_000)).ToArray();
        var probes = Enumerable.Range(0, lookups).Select(i =>
        {
            string key = keys[rng.Next(count)];
            return (i % 6) switch
            {
                0 or 1 or 2 => new string(key.AsSpan()),
                3 => "unknown" + rng.Next(),
                4 => key.Length > 1 ? key[..^1] : "?",
                _ => i % 12 == 5 ? null : key + "x",
            };
        }).ToArray();
        return (keys, values, probes);
    }

    [Theory]
    [InlineData(1, 7)]
    [InlineData(100, 31)]
    [InlineData(5_000, 1_000)]
    [InlineData(200_000, 10_001)]
    public void Lookups_one_at_a_time_and_in_batches_equal_a_dictionary(int count, int lookups)
    {
        var (keys, values, probes) = Data(count, lookups, seed: count);
        var table = new StringIndexTable(keys, values);
        var reference = keys.Zip(values).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
        Assert.Equal(count, table.Count);
        var expected = probes.Select(p => reference.TryGetValue(p ?? "", out int v) ? v : long.MinValue).ToArray();
        var single = probes.Select(p => table.TryGetValue(p.AsSpan(), out int v) ? v : long.MinValue).ToArray();
        Assert.Equal(expected, single);
        Assert.Contains(expected, v => v == long.MinValue);
        Assert.Contains(expected, v => v != long.MinValue);

        var batch = new long[lookups + 3];
        Array.Fill(batch, 42);
        table.GetEach(new StringKeys(probes), batch, long.MinValue);
        Assert.Equal(expected, batch[..lookups]);
        Assert.All(batch[lookups..], v => Assert.Equal(42, v));

        var memories = probes.Select(p => (p ?? "").AsMemory()).ToArray();
        var fromMemory = new long[lookups];
        table.GetEach(new MemoryKeys(memories), fromMemory, long.MinValue);
        Assert.Equal(expected, fromMemory);
    }

    [Fact]
    public void Keys_may_be_slices_of_larger_strings()
    {
        var table = new StringIndexTable(new[] { "ab", "abc", "b" }, new[] { 1, 2, 3 });
        var text = "xabcx".AsMemory();
        var keys = new[] { text[1..3], text[1..4], text[2..3], text[0..2] };
        var values = new long[4];
        table.GetEach(new MemoryKeys(keys), values, -1);
        Assert.Equal(new long[] { 1, 2, 3, -1 }, values);
    }

    [Fact]
    public void Bad_input_is_refused_with_a_message()
    {
        var twice = Assert.Throws<ArgumentException>(() => new StringIndexTable(new[] { "a", "b", "a" }, new[] { 1, 2, 3 }, "Vocabulary entry"));
        Assert.StartsWith("Vocabulary entry 'a' appears twice.", twice.Message);
        var counts = Assert.Throws<ArgumentException>(() => new StringIndexTable(new[] { "a" }, new[] { 1, 2 }));
        Assert.StartsWith("1 keys but 2 values.", counts.Message);
        var missing = Assert.Throws<ArgumentException>(() => new StringIndexTable(new[] { "a", null! }, new[] { 1, 2 }, "Token form"));
        Assert.StartsWith("Token form 1 is null.", missing.Message);
        var table = new StringIndexTable(new[] { "a" }, new[] { 1 });
        var shortOutput = Assert.Throws<ArgumentException>(() => table.GetEach(new StringKeys(new string?[] { "a", "b" }), new long[1], 0));
        Assert.StartsWith("The values hold 1 entries; 2 keys are looked up.", shortOutput.Message);
    }

    [Fact]
    public void A_vocabulary_looks_up_a_history_as_it_looks_up_each_id()
    {
        var vocabulary = new Vocabulary(Enumerable.Range(0, 3_000).Select(i => "i" + i).ToArray());
        var history = Enumerable.Range(0, 1_000).Select(i => i % 7 == 0 ? "missing" + i : "i" + (i * 37 % 3_000)).ToArray();
        var indices = new long[history.Length];
        vocabulary.IndexOfEach(history, indices);
        Assert.Equal(history.Select(h => (long)vocabulary.IndexOf(h)), indices);
        Assert.Equal(Vocabulary.Reserved + 37, indices[1]);
        Assert.Equal(Vocabulary.Unknown, indices[0]);
        var duplicate = Assert.Throws<ArgumentException>(() => new Vocabulary(new[] { "x", "x" }));
        Assert.StartsWith("Vocabulary entry 'x' appears twice.", duplicate.Message);
    }
}
