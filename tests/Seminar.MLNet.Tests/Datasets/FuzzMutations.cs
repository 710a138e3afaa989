namespace Seminar.MLNet.Tests.Datasets;

/// <summary>
/// Seeded damage to valid input files: truncation at any byte, shuffled lines, random bytes (biased towards the
/// characters that carry structure: separators, digits, signs, quotes, braces), dropped or repeated lines, an empty
/// file. Each case changes one to three files of a target and describes what it did, so a failure can be replayed.
/// </summary>
internal static class FuzzMutations
{
    static readonly byte[] Structural = "\t\n\r _-.,:;0123456789{}[]\"e+-NaInfty"u8.ToArray().Concat(new byte[] { 0x18, 0x00, 0xEF, 0xBB, 0xBF, 0xFF, 0xC3 }).ToArray();

    /// <summary>A damaged copy of <paramref name="files"/> for case <paramref name="seed"/>, and what was done.</summary>
    public static (Dictionary<string, byte[]> Files, string Description) Apply(IReadOnlyDictionary<string, byte[]> files, int seed)
    {
        var rng = new Random(seed);
        var result = files.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        var names = files.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        var done = new List<string>();
        int count = 1 + (rng.Next(4) == 0 ? rng.Next(1, 3) : 0);
        for (int k = 0; k < count; k++)
        {
            string name = names[rng.Next(names.Length)];
            var (bytes, what) = Mutate(result[name], rng);
            result[name] = bytes;
            done.Add($"{name}: {what}");
        }
        return (result, string.Join("; ", done));
    }

    static (byte[] Bytes, string What) Mutate(byte[] b, Random rng)
    {
        switch (rng.Next(7))
        {
            case 0:
            {
                int at = rng.Next(b.Length + 1);
                return (b[..at], $"truncated at byte {at}");
            }
            case 1:
            {
                var lines = Lines(b);
                var shuffled = lines.ToArray();
                rng.Shuffle(shuffled);
                lines = shuffled.ToList();
                return (Join(lines), "lines shuffled");
            }
            case 2:
            {
                var copy = b.ToArray();
                // Often a single byte: one bad byte in an otherwise valid file reaches the parsers' deepest paths.
                int n = rng.Next(2) == 0 ? 1 : 1 + rng.Next(6);
                for (int i = 0; i < n && copy.Length > 0; i++)
                    copy[rng.Next(copy.Length)] = rng.Next(3) == 0 ? (byte)rng.Next(256) : Structural[rng.Next(Structural.Length)];
                return (copy, $"{n} bytes replaced");
            }
            case 3:
            {
                var list = b.ToList();
                int n = rng.Next(2) == 0 ? 1 : 1 + rng.Next(6);
                for (int i = 0; i < n; i++) list.Insert(rng.Next(list.Count + 1), Structural[rng.Next(Structural.Length)]);
                return (list.ToArray(), $"{n} bytes inserted");
            }
            case 4:
            {
                var lines = Lines(b);
                if (lines.Count == 0) return (b, "no line to drop");
                int i = rng.Next(lines.Count);
                if (rng.Next(2) == 0) { lines.RemoveAt(i); return (Join(lines), $"line {i + 1} dropped"); }
                lines.Insert(rng.Next(lines.Count + 1), lines[i]);
                return (Join(lines), $"line {i + 1} repeated");
            }
            case 5:
            {
                var noise = new byte[rng.Next(1, 200)];
                rng.NextBytes(noise);
                return (noise, $"replaced by {noise.Length} random bytes");
            }
            default:
                return (Array.Empty<byte>(), "emptied");
        }
    }

    static List<byte[]> Lines(byte[] b)
    {
        var lines = new List<byte[]>();
        int start = 0;
        for (int i = 0; i < b.Length; i++)
            if (b[i] == (byte)'\n') { lines.Add(b[start..(i + 1)]); start = i + 1; }
        if (start < b.Length) lines.Add(b[start..]);
        return lines;
    }

    static byte[] Join(List<byte[]> lines) => lines.SelectMany(l => l).ToArray();
}
