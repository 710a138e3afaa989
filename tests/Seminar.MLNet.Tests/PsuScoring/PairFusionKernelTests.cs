using Microsoft.ML;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Tests.PsuScoring;

/// <summary>
/// The pair fusion's kernels: the mix of an item row and its query's token rows equals a scalar reference bit for bit on
/// every width (element-wise, in the ONNX graph's operation order), and the streaming scan (mix and score without
/// writing x) gives the bits of fusing and then scoring; the exact GSU streaming a new history gives the bits of the
/// path that keeps X.
/// </summary>
public sealed class PairFusionKernelTests
{
    static readonly SimdPath[] Paths = { SimdPath.Best, SimdPath.Vector512, SimdPath.Vector256, SimdPath.Scalar };

    static float[] Random(Random random, int length) => Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();

    [Theory]
    [InlineData(5)]
    [InlineData(16)]
    [InlineData(37)]
    [InlineData(64)]
    [InlineData(136)]
    public void The_mix_equals_the_scalar_reference_bit_for_bit_on_every_path(int d)
    {
        var random = new Random(d);
        const int tokens = 9, a100 = 30;
        float a = a100 / 100f;
        var table = Random(random, tokens * d);
        var item = Random(random, d);
        for (int count = 0; count <= 5; count++)
        {
            var rows = Enumerable.Range(0, count).Select(_ => random.Next(tokens) * d).ToArray();
            var expected = new float[d];
            for (int j = 0; j < d; j++)
            {
                if (count == 0)
                {
                    expected[j] = item[j];
                    continue;
                }
                float sum = table[rows[0] + j];
                for (int k = 1; k < count; k++) sum += table[rows[k] + j];
                float query = sum * (a / count), own = item[j] * (1f - a);
                expected[j] = query + own;
            }
            foreach (var path in Paths)
            {
                var x = new float[d];
                PairFusion.Mix(item, table, rows, a, x, path);
                Assert.True(expected.Select(BitConverter.SingleToInt32Bits).SequenceEqual(x.Select(BitConverter.SingleToInt32Bits)), $"{path}, D = {d}, {count} tokens");
            }
        }
    }

    [Fact]
    public void A_token_row_outside_the_table_is_refused()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => PairFusion.Mix(new float[4], new float[8], new[] { 6 }, 0.5f, new float[4], SimdPath.Best));
        Assert.Contains("Token row offset 6 is outside the table of 8 values", ex.Message);
        // A table shorter than one row holds no row at all.
        ex = Assert.Throws<ArgumentOutOfRangeException>(() => PairFusion.Mix(new float[4], new float[2], new[] { 0 }, 0.5f, new float[4], SimdPath.Best));
        Assert.Contains("Token row offset 0 is outside the table of 2 values", ex.Message);
    }

    static (PsuScoringModel Model, PsuIndexRow[] Rows) Model(int d, int heads, int topK)
    {
        var ml = new MLContext(3);
        var training = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(120, 3));
        var featurizer = PsuFixtures.Featurizer(ml, training);
        var v = featurizer.Vocabularies;
        var psu = PsuEmbeddingTransformer.Create(ml, PsuFixtures.RandomWeights(v, d, heads, topK, 4, 8), v, new PsuColumnOptions(), featurizer.Transform(training));
        return (psu.Model, PsuFixtures.IndexRows(v, topK, 120, 11));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Fusing_and_scoring_in_registers_gives_the_bits_of_fusing_then_scoring(int heads)
    {
        foreach (int d in new[] { 37, 64 })
        {
            var (model, rows) = Model(d, heads, 5);
            var fusion = new PairFusion(model);
            var random = new Random(d + heads);
            var u = Random(random, heads * d);
            int t = model.QueryTokens, checkedRows = 0;
            foreach (var row in rows)
                for (int l = 0; l < row.SeminarHistoryItems.Length; l++)
                {
                    int item = (int)row.SeminarHistoryItems[l];
                    if (item == 0) continue;
                    var tokens = row.SeminarHistoryQueryTokens.AsSpan(l * t, t);
                    var x = new float[d];
                    fusion.Fuse(item, tokens, "c", "token", l, x);
                    foreach (var path in Paths)
                    {
                        var expected = new float[heads * 3];
                        RowDots.Score(u, heads, x, expected, 3, path);
                        var streamed = new float[heads * 3];
                        fusion.FuseScore(item, tokens, "c", "token", l, u, heads, streamed, 3, path);
                        for (int h = 0; h < heads; h++)
                            Assert.Equal(BitConverter.SingleToInt32Bits(expected[h * 3]), BitConverter.SingleToInt32Bits(streamed[h * 3]));
                    }
                    checkedRows++;
                }
            Assert.True(checkedRows > 500, $"only {checkedRows} behaviours checked");
        }
    }

    [Fact]
    public void The_one_pass_token_check_agrees_with_the_per_behaviour_check()
    {
        var (model, rows) = Model(16, 2, 5);
        var fusion = new PairFusion(model);
        long size = model.TokenCount;
        bool PerBehaviour(long[] tokens)
        {
            try { fusion.CheckTokens(tokens, "c", "token", 0); return true; }
            catch (ArgumentException) { return false; }
        }
        var cases = new List<long[]> { Array.Empty<long>(), new long[5], new[] { 0L, size - 1, 1 }, new[] { size }, new[] { 1L, -1 }, new[] { long.MinValue },
            new[] { long.MaxValue, 0 }, new[] { 0L, 0, size + 7 } };
        cases.AddRange(rows.Select(r => r.SeminarHistoryQueryTokens));
        foreach (var tokens in cases) Assert.Equal(PerBehaviour(tokens), fusion.AllTokensValid(tokens));
        Assert.Contains(cases, t => !fusion.AllTokensValid(t));
        // Scoring with checked tokens gives FuseScore's bits.
        var u = Enumerable.Range(0, 32).Select(i => (float)Math.Sin(i)).ToArray();
        var expected = new float[2];
        var checkedScores = new float[2];
        fusion.FuseScore(1, new[] { 1L, size - 1 }, "c", "token", 0, u, 2, expected, 1);
        fusion.FuseScoreChecked(1, new[] { 1L, size - 1 }, u, 2, checkedScores, 1);
        Assert.Equal(expected, checkedScores);
    }

    [Fact]
    public void The_streaming_scan_names_a_bad_token_as_the_fusion_does()
    {
        var (model, _) = Model(16, 2, 5);
        var fusion = new PairFusion(model);
        long bad = model.TokenCount + 3;
        var fused = Assert.Throws<ArgumentException>(() => fusion.Fuse(1, new[] { 1L, bad }, "Col", "history query token", 7, new float[16]));
        var streamed = Assert.Throws<ArgumentException>(() => fusion.FuseScore(1, new[] { 1L, bad }, "Col", "history query token", 7, new float[32], 2, new float[2], 1));
        Assert.Equal(fused.Message, streamed.Message);
        Assert.Contains($"index {bad} is outside the token vocabulary", streamed.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => fusion.FuseScore(1, new[] { 1L }, "Col", "t", 0, new float[80], 5, new float[5], 1));
    }

    [Fact]
    public void The_exact_GSU_streaming_a_new_history_gives_the_bits_of_the_path_that_keeps_X()
    {
        // At D = 64 every vector path of the kernels runs (four whole 512-bit vectors per pair).
        const int d = 64, heads = 4, topK = 5;
        var (model, rows) = Model(d, heads, topK);
        var users = rows.Where(r => r.SeminarHistoryItems.Count(i => i != 0) > 3 * topK).Take(2).ToArray();
        Assert.Equal(2, users.Length);
        var reused = new PsuRowScorer(model);
        // Per user: the first row streams, the second fuses X in full, the third reuses X; a fresh scorer streams every row.
        int[] order = { 0, 0, 0, 1, 0, 1, 1 };
        for (int i = 0; i < order.Length; i++)
        {
            var user = users[order[i]];
            var candidate = rows[40 + i];
            var (freshBits, reusedBits) = (Bits(new PsuRowScorer(model), user, candidate), Bits(reused, user, candidate));
            Assert.Equal(freshBits, reusedBits);
        }
    }

    static int[] Bits(PsuRowScorer scorer, PsuIndexRow user, PsuIndexRow candidate)
    {
        var target = new float[scorer.Model.Dimension];
        var interest = new float[scorer.Model.Dimension];
        float logit = scorer.Score(user.SeminarHistoryItems, user.SeminarHistoryQueryTokens, candidate.SeminarTargetItem[0], candidate.SeminarQueryTokens, target, interest);
        return interest.Prepend(logit).Concat(target).Select(BitConverter.SingleToInt32Bits).ToArray();
    }
}
