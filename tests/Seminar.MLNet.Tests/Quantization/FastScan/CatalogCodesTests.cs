using System.Numerics.Tensors;
using Microsoft.ML;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Quantization.FastScan;
using Seminar.MLNet.Retrieval;
using Seminar.MLNet.Tests.PsuScoring;
using Xunit.Abstractions;
using Scan = Seminar.MLNet.Quantization.FastScan.FastScan;

namespace Seminar.MLNet.Tests.Quantization.FastScan;

public class CatalogCodesTests(ITestOutputHelper output)
{
    static readonly SimdPath[] Paths = { SimdPath.Best, SimdPath.Vector512, SimdPath.Vector256, SimdPath.Scalar };

    /// <summary>A history of <paramref name="n"/> behaviours over items 1..items−1 (some padding), a share with queries of 1–3 tokens drawn from few distinct queries.</summary>
    static (long[] Items, long[] Tokens) History(Random random, int n, int items, int tokens, int t, int distinctQueries)
    {
        var pool = Enumerable.Range(0, distinctQueries).Select(_ =>
        {
            var q = new long[t];
            int count = random.Next(1, t + 1);
            for (int i = 0; i < count; i++) q[i] = random.Next(1, tokens);
            return q;
        }).ToArray();
        var h = new long[n];
        var k = new long[n * t];
        for (int l = 0; l < n; l++)
        {
            h[l] = random.Next(10) == 0 ? 0 : random.Next(1, items);
            if (random.Next(2) == 0) pool[random.Next(pool.Length)].CopyTo(k, l * t);
        }
        return (h, k);
    }

    /// <summary>Every behaviour's exact decomposed score for u (item rows gathered from the table), and the slots' query parts.</summary>
    static (float[] Scores, float[] Parts) ExactScores(PairDecomposition pairs, DecomposedHistory history, float[] u)
    {
        var parts = new float[history.Slots];
        pairs.QueryParts(u, history, new float[history.DistinctTokens.Length + 1], parts);
        var scores = new float[history.Count];
        pairs.ScoreGathered(u, history, parts, scores);
        return (scores, parts);
    }

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(300)]
    public void Query_parts_are_the_same_bits_on_the_vector_and_the_scalar_path_and_equal_their_definition(int behaviours)
    {
        const int d = 16, t = 3, tokens = 40;
        var random = new Random(behaviours);
        var tokenTable = Enumerable.Range(0, tokens * d).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        var pairs = new PairDecomposition(new float[20 * d], tokenTable, d, 0.35f);
        var items = Enumerable.Range(0, behaviours).Select(_ => (long)random.Next(1, 20)).ToArray();
        // Queries of 1 to 3 tokens (some with padding between), and a few browses.
        var queryTokens = new long[behaviours * t];
        for (int l = 0; l < behaviours; l++)
            if (random.Next(5) != 0)
                for (int i = 0, n = random.Next(1, t + 1); i < n; i++) queryTokens[l * t + random.Next(t)] = random.Next(1, tokens);
        var history = DecomposedHistory.Build(items, queryTokens, t, 20, tokens);
        var u = Enumerable.Range(0, d).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        var scalar = new float[history.Slots];
        var vector = new float[history.Slots];
        pairs.QueryParts(u, history, new float[history.DistinctTokens.Length + 1], scalar, SimdPath.Scalar);
        pairs.QueryParts(u, history, new float[history.DistinctTokens.Length + 1], vector, SimdPath.Best);
        Assert.Equal(scalar.Select(BitConverter.SingleToInt32Bits), vector.Select(BitConverter.SingleToInt32Bits));
        var shortParts = Assert.Throws<ArgumentException>(() => pairs.QueryParts(u, history, new float[history.DistinctTokens.Length + 1], new float[history.Slots - 1]));
        Assert.StartsWith($"The parts hold {history.Slots - 1} values; the history has {history.Slots} slots.", shortParts.Message);
        Assert.Equal(0f, scalar[0]);
        for (int q = 0; q + 1 < history.Slots; q++)
        {
            int from = history.QueryStart[q], to = history.QueryStart[q + 1];
            double mean = Enumerable.Range(from, to - from).Average(i => (double)TensorPrimitives.Dot(u, tokenTable.AsSpan(history.DistinctTokens[history.QueryTokens[i]] * d, d)));
            Assert.Equal(0.35 * mean, scalar[q + 1], 1e-5);
        }

        // Five heads at once (four in a vector, one alone): each head's parts are the bits of its own call.
        const int heads = 5;
        var us = Enumerable.Range(0, heads * d).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        u.CopyTo(us, 0);
        u.CopyTo(us, 4 * d);
        var all = new float[heads * history.Slots];
        pairs.QueryPartsOfHeads(us, heads, history, new float[(history.DistinctTokens.Length + 1) * heads], all);
        for (int h = 0; h < heads; h++)
        {
            var own = new float[history.Slots];
            pairs.QueryParts(us.AsSpan(h * d, d), history, new float[history.DistinctTokens.Length + 1], own);
            Assert.Equal(own.Select(BitConverter.SingleToInt32Bits), all.AsSpan(h * history.Slots, history.Slots).ToArray().Select(BitConverter.SingleToInt32Bits));
        }
        Assert.Equal(all.AsSpan(0, history.Slots).ToArray(), all.AsSpan(4 * history.Slots, history.Slots).ToArray());
        var shortScratch = Assert.Throws<ArgumentException>(() => pairs.QueryPartsOfHeads(us, heads, history, new float[heads], all));
        Assert.StartsWith($"The token scratch holds {heads} values; {history.DistinctTokens.Length} distinct tokens and the padding for {heads} heads need", shortScratch.Message);
    }

    [Fact]
    public void The_decomposition_rebuilds_the_PSU_pair_vectors_and_their_scores()
    {
        const int d = 12;
        var ml = new MLContext(1);
        var v = PsuFixtures.Featurizer(ml, ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(60, 2))).Vocabularies;
        var psu = new PsuScoringModel(PsuFixtures.RandomWeights(v, d, 2, 5, 3, 8), v);
        var pairs = PairDecomposition.Of(psu);
        Assert.Equal(psu.QueryWeight, pairs.QueryWeight);
        var random = new Random(4);
        int t = PsuFixtures.QueryTokens;
        var (items, tokens) = History(random, 300, psu.ItemCount, psu.TokenCount, t, 7);
        var history = DecomposedHistory.Build(items, tokens, t, psu.ItemCount, psu.TokenCount);
        Assert.Equal(items.Count(i => i != 0), history.Count);
        Assert.True(history.Slots > 3 && history.RunStart[1] > 0, "browses and several queries");
        var fusion = new PairFusion(psu);
        var u = Enumerable.Range(0, d).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        var (gathered, parts) = ExactScores(pairs, history, u);
        var expected = new float[d];
        var rebuilt = new float[d];
        for (int j = 0; j < history.Count; j++)
        {
            int l = history.Positions[j];
            Assert.Equal(items[l], history.Items[j]);
            fusion.Fuse((int)items[l], tokens.AsSpan(l * t, t), "h", "token", l, expected);
            pairs.Reconstruct(history, j, rebuilt);
            for (int i = 0; i < d; i++)
                Assert.True(Math.Abs(expected[i] - rebuilt[i]) <= 1e-6, $"behaviour {l}[{i}]: {rebuilt[i]} against the PSU's {expected[i]}");
            float dot = TensorPrimitives.Dot(u, expected);
            Assert.True(Math.Abs(dot - gathered[j]) <= 1e-5 * (1 + Math.Abs(dot)), $"behaviour {l}: decomposed score {gathered[j]} against <u, x> = {dot}");
            Assert.Equal(gathered[j], pairs.Score(u, history.Items[j], history.SlotOf(j), parts));
        }
    }

    [Fact]
    public void Histories_are_grouped_by_query_with_each_distinct_token_once()
    {
        long[] items = { 5, 0, 6, 7, 8, 9 };
        long[] tokens = { 3, 4, /**/ 9, 9, /**/ 0, 0, /**/ 4, 0, /**/ 3, 4, /**/ 0, 0 };
        var h = DecomposedHistory.Build(items, tokens, 2, 10, 10);
        Assert.Equal(new[] { 6, 9, 5, 8, 7 }, h.Items);
        Assert.Equal(new[] { 2, 5, 0, 4, 3 }, h.Positions);
        Assert.Equal(new[] { 0, 2, 4, 5 }, h.RunStart);
        Assert.Equal(new[] { 3, 4 }, h.DistinctTokens);
        Assert.Equal(new[] { 0, 2, 3 }, h.QueryStart);
        Assert.Equal(new[] { 0, 1, 1 }, h.QueryTokens);
        // Padded to the longest query (2 tokens) with the distinct-token count, 2: the dot the caller sets to 0.
        Assert.Equal(2, h.QueryWidth);
        Assert.Equal(new[] { 0, 1, 1, 2 }, h.PaddedQueryTokens);
        Assert.Equal(new[] { 0, 0, 1, 1, 2 }, Enumerable.Range(0, 5).Select(h.SlotOf));
        var error = Assert.Throws<ArgumentException>(() => DecomposedHistory.Build(new long[] { 10 }, new long[] { 0 }, 1, 10, 10));
        Assert.StartsWith("Behaviour 0: item index 10 is outside the item table (valid indices 0 to 9).", error.Message);

        // A query is its real tokens in order: padding anywhere names the same query, another order or a prefix another one.
        long[] three = { 5, 0, 3, /**/ 5, 3, 0, /**/ 0, 5, 3, /**/ 3, 5, 0, /**/ 5, 0, 0, /**/ 5, 3, 3 };
        var q = DecomposedHistory.Build(new long[] { 1, 2, 3, 4, 5, 6 }, three, 3, 10, 10);
        Assert.Equal(new[] { 1, 2, 3, 4, 5, 6 }, q.Items);
        Assert.Equal(new[] { 0, 0, 3, 4, 5, 6 }, q.RunStart);
        Assert.Equal(new[] { 1, 1, 1, 2, 3, 4 }, Enumerable.Range(0, 6).Select(q.SlotOf));
        Assert.Equal(new[] { 0, 2, 4, 5, 8 }, q.QueryStart);
        Assert.Equal(3, q.QueryWidth);
        // Position-major: the first tokens of the four queries, then the second ones, then the third.
        Assert.Equal(new[] { 0, 1, 0, 0, /**/ 1, 0, 2, 1, /**/ 2, 2, 2, 1 }, q.PaddedQueryTokens);
        var token = Assert.Throws<ArgumentException>(() => DecomposedHistory.Build(new long[] { 1 }, new long[] { 0, 10 }, 2, 10, 10));
        Assert.StartsWith("Behaviour 0: token index 10 is outside the token table (valid indices 0 to 9).", token.Message);
    }

    [Fact]
    public void A_history_regrouped_into_the_same_buffers_equals_a_fresh_one_and_a_refused_one_leaves_it_empty()
    {
        var random = new Random(8);
        var reused = new DecomposedHistory();
        // Longer, then shorter, then longer histories: nothing of an earlier one may show through.
        foreach (int length in new[] { 300, 7, 120, 0, 40 })
        {
            var items = Enumerable.Range(0, length).Select(_ => random.Next(4) == 0 ? 0L : random.Next(1, 50)).ToArray();
            var tokens = Enumerable.Range(0, 3 * length).Select(_ => random.Next(3) == 0 ? 0L : random.Next(1, 6)).ToArray();
            reused.Rebuild(items, tokens, 3, 50, 6);
            var fresh = DecomposedHistory.Build(items, tokens, 3, 50, 6);
            Assert.Equal(fresh.Count, reused.Count);
            Assert.Equal(fresh.Slots, reused.Slots);
            Assert.True(fresh.Items.SequenceEqual(reused.Items), $"L = {length}: items");
            Assert.True(fresh.Positions.SequenceEqual(reused.Positions), $"L = {length}: positions");
            Assert.True(fresh.RunStart.SequenceEqual(reused.RunStart), $"L = {length}: runs");
            Assert.True(fresh.DistinctTokens.SequenceEqual(reused.DistinctTokens), $"L = {length}: distinct tokens");
            Assert.True(fresh.QueryStart.SequenceEqual(reused.QueryStart), $"L = {length}: query starts");
            Assert.True(fresh.QueryTokens.SequenceEqual(reused.QueryTokens), $"L = {length}: query tokens");
            // Each behaviour's slot as the runs place it, then zeros a vector past the end (a shorter history after a longer one too).
            Assert.Equal(Enumerable.Range(0, reused.Count).Select(reused.SlotOf), reused.SlotOfEach.ToArray());
            Assert.Equal(new int[DecomposedHistory.Padding], reused.SlotOfEachPadded[reused.Count..].ToArray());
        }
        var error = Assert.Throws<ArgumentException>(() => reused.Rebuild(new long[] { 3, 60 }, new long[] { 1, 0, 0, 2, 0, 0 }, 3, 50, 6));
        Assert.StartsWith("Behaviour 1: item index 60 is outside the item table", error.Message);
        Assert.Equal((0, 0, 0), (reused.Count, reused.Slots, reused.DistinctTokens.Length));
        Assert.Equal(new[] { 0 }, reused.QueryStart.ToArray());
    }

    [Theory]
    [InlineData(0, 32)]
    [InlineData(1, 32)]
    [InlineData(31, 7)]
    [InlineData(33, 16)]
    [InlineData(100, 1)]
    [InlineData(1_001, 32)]
    public void Gathered_codes_equal_the_packed_plain_codes_on_every_path(int n, int m)
    {
        // An odd M (a padding sub-space in the last pair) needs a dimension it divides.
        int d = m % 2 == 1 ? 9 * m : 64;
        var random = new Random(n + m);
        int items = 500;
        var table = Enumerable.Range(0, items * d).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        var catalog = CatalogCodes.Train(table, d, m, seed: 2);
        Assert.Equal((m + 1) / 2, catalog.BytesPerItem);
        var history = Enumerable.Range(0, n).Select(_ => random.Next(items)).ToArray();
        var plain = new byte[n * m];
        for (int l = 0; l < n; l++)
            for (int s = 0; s < m; s++) plain[l * m + s] = (byte)catalog.Code(history[l], s);
        // The catalog's codes are the quantizer's.
        var direct = new byte[m];
        catalog.Quantizer.Encode(table.AsSpan(history.FirstOrDefault() * d, d), direct);
        if (n > 0) Assert.Equal(direct, plain[..m]);
        var expected = FourBitCodes.Pack(plain, n, m).Data.ToArray();
        var codes = new FourBitCodes(m);
        foreach (var path in Paths)
        {
            // A longer history first: the reused buffer's stale bytes must not show.
            catalog.Gather(Enumerable.Range(0, n + 70).Select(_ => random.Next(items)).ToArray(), codes, path);
            catalog.Gather(history, codes, path);
            Assert.Equal(n, codes.Count);
            Assert.True(expected.AsSpan().SequenceEqual(codes.Data), $"{path}: first difference at byte {expected.AsSpan().CommonPrefixLength(codes.Data)}");
        }
        var error = Assert.Throws<ArgumentException>(() => catalog.Gather(new[] { items }, codes));
        Assert.StartsWith($"Item {items} is outside the catalog codes (valid indices 0 to {items - 1}).", error.Message);
    }

    [Theory]
    [InlineData(20)]   // long runs: about 75 behaviours per distinct query
    [InlineData(1_500)] // about 600 distinct queries in 1,500 query behaviours, runs of one to a few behaviours: a vector of keys spans up to as many query slots as lanes
    public void Scan_and_combination_of_gathered_codes_equal_the_naive_reference_on_every_path(int distinctQueries)
    {
        const int d = 64, m = 32, items = 2_000, tokens = 50, t = 3;
        var random = new Random(9);
        var (table, _) = FastScanTests.Clustered(d, items, 100, 0, seed: 5, spread: 0.5f);
        var tokenTable = Enumerable.Range(0, tokens * d).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var pairs = new PairDecomposition(table, tokenTable, d, 0.4f);
        var catalog = CatalogCodes.Train(table, d, m, seed: 1);
        var (h, k) = History(random, 3_000, items, tokens, t, distinctQueries);
        var history = DecomposedHistory.Build(h, k, t, items, tokens);
        Assert.InRange(history.Slots - 1, distinctQueries / 3, distinctQueries);
        var u = Enumerable.Range(0, d).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        var lut = new QuantizedLookupTables(catalog.Quantizer);
        lut.Build(u);
        var parts = new float[history.Slots];
        pairs.QueryParts(u, history, new float[history.DistinctTokens.Length + 1], parts);
        var shortScratch = Assert.Throws<ArgumentException>(() => pairs.QueryParts(u, history, new float[history.DistinctTokens.Length], parts));
        Assert.StartsWith($"The token scratch holds {history.DistinctTokens.Length} values; {history.DistinctTokens.Length} distinct tokens and the padding need", shortScratch.Message);
        var retriever = new DecomposedRetriever(catalog, pairs, 50, 400);
        var codes = new FourBitCodes(m);
        catalog.Gather(history.Items, codes);
        var sums = new ushort[history.Count];
        var approximate = new double[history.Count];
        for (int j = 0; j < history.Count; j++)
        {
            int sum = 0;
            for (int s = 0; s < m; s++) sum += lut.Bytes[s * 16 + catalog.Code(history.Items[j], s)];
            sums[j] = (ushort)sum;
            int slot = history.SlotOf(j);
            double w = pairs.ItemWeight(slot);
            approximate[j] = w * (lut.Scale * (double)sum + lut.Bias) + parts[slot];
        }
        // The keys map [lo, hi] (the least and most a behaviour can score) linearly onto 0..65535.
        var used = Enumerable.Range(0, history.Slots).Where(s => history.RunStart[s] < history.RunStart[s + 1]).ToArray();
        double lo = used.Min(s => pairs.ItemWeight(s) * (double)lut.Bias + parts[s]);
        double hi = used.Max(s => pairs.ItemWeight(s) * ((double)lut.Scale * 255 * m + lut.Bias) + parts[s]);
        ushort[]? first = null;
        foreach (var path in Paths)
        {
            var scanned = new ushort[codes.PaddedCount + DecomposedRetriever.Slack];
            Scan.Scan(codes, lut, scanned, path);
            Assert.Equal(sums, scanned[..history.Count]);
            var keys = new ushort[history.Count + DecomposedRetriever.Slack];
            retriever.Combine(scanned, history, lut.Scale, lut.Bias, parts, keys, path);
            for (int j = 0; j < history.Count; j++)
            {
                double expected = (approximate[j] - lo) / (hi - lo) * 65535;
                Assert.True(Math.Abs(keys[j] - expected) <= 1.01, $"{path} behaviour {j}: key {keys[j]}, expected {expected:F2}");
            }
            first ??= keys;
            Assert.True(first.AsSpan(0, history.Count).SequenceEqual(keys.AsSpan(0, history.Count)), $"{path}: keys differ from {Paths[0]}'s");
        }
    }

    /// <summary>
    /// A small case for a shortlist of the whole history: D = 16, M = 8, 300 items, 20 tokens of queries of up to two,
    /// 700 behaviours, one request vector, all drawn from <paramref name="seed"/>.
    /// </summary>
    static (float[] Table, PairDecomposition Pairs, CatalogCodes Catalog, long[] Items, long[] Tokens, DecomposedHistory History, float[] U) WholeHistoryCase(int seed)
    {
        const int d = 16, m = 8, items = 300, tokens = 20, t = 2;
        var random = new Random(seed);
        var table = Enumerable.Range(0, items * d).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        var tokenTable = Enumerable.Range(0, tokens * d).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        var pairs = new PairDecomposition(table, tokenTable, d, 0.3f);
        var catalog = CatalogCodes.Train(table, d, m, seed: 1);
        var (h, q) = History(random, 700, items, tokens, t, 9);
        var history = DecomposedHistory.Build(h, q, t, items, tokens);
        var u = Enumerable.Range(0, d).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        return (table, pairs, catalog, h, q, history, u);
    }

    [Fact]
    public void A_shortlist_of_the_whole_history_gives_the_exact_top_K()
    {
        const int k = 20;
        var (_, pairs, catalog, _, _, history, u) = WholeHistoryCase(3);
        var retriever = new DecomposedRetriever(catalog, pairs, k, history.Count);
        var (scores, _) = ExactScores(pairs, history, u);
        var expected = new int[k];
        TopK.Select(scores, k, expected);
        var top = new int[k];
        Assert.Equal(k, retriever.RetrieveGathered(u, history, top));
        Assert.Equal(expected, top);
    }

    /// <summary>The history's item rows in grouped order, as bytes: the per-user copy a byte re-rank reads.</summary>
    static Int8Rows ByteRows(float[] table, int d, DecomposedHistory history)
    {
        var rows = new float[history.Count * d];
        for (int j = 0; j < history.Count; j++) table.AsSpan(history.Items[j] * d, d).CopyTo(rows.AsSpan(j * d, d));
        return new Int8Rows(rows, d);
    }

    [Fact]
    public void A_shortlist_of_the_whole_history_re_ranked_on_bytes_gives_the_top_K_of_the_byte_scores()
    {
        const int d = 16, m = 8, items = 300, tokens = 20, t = 2, k = 20;
        var (table, pairs, catalog, h, q, history, u) = WholeHistoryCase(4);
        var bytes = ByteRows(table, d, history);
        var retriever = new DecomposedRetriever(catalog, pairs, k, history.Count);
        var (exactScores, parts) = ExactScores(pairs, history, u);
        // The byte score of each behaviour by its definition: w_s · factor · (request · bytes) + part_s.
        var request = new short[bytes.Stride];
        float factor = bytes.PrepareRequest(u, request);
        var scores = new float[history.Count];
        for (int j = 0; j < history.Count; j++)
        {
            int slot = history.SlotOfEach[j];
            long dot = 0;
            for (int i = 0; i < d; i++) dot += request[i] * bytes.Row(j)[i];
            scores[j] = MathF.FusedMultiplyAdd(pairs.ItemWeight(slot), factor * dot, parts[slot]);
        }
        var expected = new int[k];
        TopK.Select(scores, k, expected);
        var top = new int[k];
        var codes = new FourBitCodes(m);
        catalog.Gather(history.Items, codes);
        Assert.Equal(k, retriever.Retrieve(u, codes, history, parts, bytes, top));
        Assert.Equal(expected, top);
        // Against the float scores: the bytes keep most of the exact top-K.
        var exact = new int[k];
        TopK.Select(exactScores, k, exact);
        Assert.True(exact.Intersect(top).Count() >= k - 2, $"{exact.Intersect(top).Count()} of the exact top-{k}");
        var other = ByteRows(table, d, DecomposedHistory.Build(h[..600], q[..(600 * t)], t, items, tokens));
        Assert.Contains($"the history {history.Count} behaviours of D = {d}",
            Assert.Throws<ArgumentException>(() => retriever.Retrieve(u, codes, history, parts, other, top)).Message);
    }

    /// <summary>
    /// Clustered catalog (D = 64, 20,000 items in 1,000 clusters), a history of 10,000 behaviours half with queries,
    /// M = 32, K = 50: the gathered fast scan with K' = 400 recalls at least 95% of the exact top-50 over 10 request
    /// vectors, and without slack (K' = K) it does not.
    /// </summary>
    [Fact]
    public void Recall_at_50_of_a_long_history_reaches_0_95_with_a_shortlist_of_400()
    {
        const int d = 64, m = 32, items = 20_000, tokens = 2_000, t = 3, k = 50, requests = 10;
        var random = new Random(21);
        var (table, queries) = FastScanTests.Clustered(d, items, 1_000, requests, seed: 8, spread: 1f);
        var (tokenTable, _) = FastScanTests.Clustered(d, tokens, 100, 0, seed: 9, spread: 1f);
        var pairs = new PairDecomposition(table, tokenTable, d, 0.3f);
        var catalog = CatalogCodes.Train(table, d, m, seed: 1);
        var (h, q) = History(random, 10_000, items, tokens, t, 300);
        var history = DecomposedHistory.Build(h, q, t, items, tokens);
        var exact = new int[k];
        var top = new int[k];
        foreach (int shortlist in new[] { k, 400 })
        {
            var retriever = new DecomposedRetriever(catalog, pairs, k, shortlist);
            double recall = 0;
            for (int r = 0; r < requests; r++)
            {
                var u = queries.AsSpan(r * d, d);
                TopK.Select(ExactScores(pairs, history, u.ToArray()).Scores, k, exact);
                Assert.Equal(k, retriever.RetrieveGathered(u, history, top));
                recall += exact.Intersect(top).Count() / (double)k;
            }
            recall /= requests;
            output.WriteLine($"K' = {shortlist}: recall@{k} {recall:F4}");
            if (shortlist == k) Assert.True(recall < 0.95, $"recall@{k} without a shortlist is already {recall:F4}: the data does not test the re-rank");
            else Assert.True(recall >= 0.95, $"recall@{k} with K' = {shortlist} is {recall:F4}");
        }
        // The same shortlist re-ranked on the history's rows as bytes.
        var bytes = ByteRows(table, d, history);
        var codes = new FourBitCodes(m);
        catalog.Gather(history.Items, codes);
        var onBytes = new DecomposedRetriever(catalog, pairs, k, 400);
        double byteRecall = 0;
        for (int r = 0; r < requests; r++)
        {
            var u = queries.AsSpan(r * d, d).ToArray();
            var (scores, parts) = ExactScores(pairs, history, u);
            TopK.Select(scores, k, exact);
            Assert.Equal(k, onBytes.Retrieve(u, codes, history, parts, bytes, top));
            byteRecall += exact.Intersect(top).Count() / (double)k;
        }
        byteRecall /= requests;
        output.WriteLine($"K' = 400 on bytes: recall@{k} {byteRecall:F4}");
        Assert.True(byteRecall >= 0.95, $"recall@{k} with K' = 400 on bytes is {byteRecall:F4}");
    }
}
