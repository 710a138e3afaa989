using Seminar.MLNet.Quantization;

namespace Seminar.MLNet.Tests.Quantization;

/// <summary>Random codebooks, codes and request vectors for the scan kernels, with a naive reference of each kernel.</summary>
static class PqKernelFixtures
{
    /// <summary>
    /// Code sets of D = 8 in C = 4 sub-spaces with the given centroid counts. With <paramref name="coarse"/> the
    /// centroid coordinates are small integers, so many behaviours tie exactly.
    /// </summary>
    public static PqCodebooks Books(Random rng, bool coarse, params int[] centroids)
    {
        const int d = 8, c = 4, dsub = 2;
        var sets = centroids.Select(k =>
        {
            var book = new float[c * k * dsub];
            for (int s = 0; s < c; s++)
                for (int i = 1; i < k; i++) // centroid 0 stays the origin
                    for (int j = 0; j < dsub; j++)
                        book[(s * k + i) * dsub + j] = coarse ? rng.Next(-2, 3) : (float)(rng.NextDouble() * 2 - 1);
            return ProductQuantizer.FromCodebook(d, c, k, book);
        }).ToArray();
        return new PqCodebooks(sets);
    }

    public static PqCodeBlocks Codes(Random rng, PqCodebooks books, int count)
    {
        var codes = new PqCodeBlocks(books.SubSpaces);
        codes.Reset(count);
        var one = new byte[1];
        for (int l = 0; l < count; l++)
            for (int s = 0; s < books.SubSpaces; s++)
            {
                one[0] = (byte)rng.Next(books.ValidCentroids[s]);
                codes.Set(l, s, one);
            }
        return codes;
    }

    public static float[] Requests(Random rng, int heads, int d, bool coarse) =>
        Enumerable.Range(0, heads * d).Select(_ => coarse ? rng.Next(-2, 3) : (float)(rng.NextDouble() * 4 - 2)).ToArray();

    /// <summary>Naive float relevance of behaviour l for head h: the float table entries summed in sub-space order.</summary>
    public static float NaiveFloat(PqLookupTables tables, PqCodeBlocks codes, int h, int l)
    {
        float sum = 0;
        for (int s = 0; s < codes.SubSpaces; s++) sum += tables.Float[(h * codes.SubSpaces + s) * PqCodebooks.TableSize + codes.Get(l, s)];
        return sum;
    }

    /// <summary>Naive byte relevance: one byte table's entries summed as integers.</summary>
    public static int NaiveBytes(ReadOnlySpan<byte> table, PqCodeBlocks codes, int h, int l)
    {
        int sum = 0;
        for (int s = 0; s < codes.SubSpaces; s++) sum += table[(h * codes.SubSpaces + s) * PqCodebooks.TableSize + codes.Get(l, s)];
        return sum;
    }

    /// <summary>Naive top-k of head h by float relevance: stable sort, best first, ties to the earlier behaviour.</summary>
    public static int[] NaiveTopK(PqLookupTables tables, PqCodeBlocks codes, int h, int k) =>
        Enumerable.Range(0, codes.Count).Select(l => (l, score: NaiveFloat(tables, codes, h, l)))
            .OrderByDescending(p => p.score).ThenBy(p => p.l).Take(k).Select(p => p.l).ToArray();
}
