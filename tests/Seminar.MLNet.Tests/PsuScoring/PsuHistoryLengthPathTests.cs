using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.PsuScoring;

/// <summary>
/// Issue 17, case 1 for the PSU and PQ stages: index rows whose history token vector does not hold T slots per history
/// item are refused by Transform and by a prediction engine over the fitted transformer with the same message, and by the
/// stock-loaded zip's graph, which fails rather than pair tokens with the wrong behaviours.
/// </summary>
public sealed class PsuHistoryLengthPathTests : IDisposable
{
    const int D = 8, Heads = 2, TopK = 3, T = PsuFixtures.QueryTokens;
    readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    public sealed class Scores
    {
        [VectorType(1)] public float[] SeminarScore { get; set; } = new float[1];
        [VectorType(1)] public float[] SeminarPqScore { get; set; } = new float[1];
    }

    /// <summary>History items, history query token slots: 24 items without tokens, tokens without items, one behaviour short.</summary>
    public static TheoryData<int, int> Mismatches => new() { { 24, 0 }, { 0, 24 * T }, { 24, 23 * T } };

    (MLContext Ml, ITransformer Fitted, ITransformer Loaded, PsuEmbeddingTransformer Psu) Models()
    {
        var ml = new MLContext(3);
        var training = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(60, 3));
        var featurizer = PsuFixtures.Featurizer(ml, training);
        var featurized = featurizer.Transform(training);
        var v = featurizer.Vocabularies;
        var psu = PsuEmbeddingTransformer.Create(ml, PsuFixtures.RandomWeights(v, D, Heads, TopK, 4, 4), v, new PsuColumnOptions(), featurized);
        var pq = ml.Seminar().PqAttention(new PqAttentionOptions { Quantizer = new ProductQuantizerOptions { SubSpaces = 2, Centroids = 16, Iterations = 5 }, Seed = 1 })
            .Fit(psu.Transform(featurized));
        var index = ml.Data.LoadFromEnumerable(Array.Empty<PsuIndexRow>());
        var fitted = new TransformerChain<ITransformer>(psu, pq);
        string zip = Path.Combine(_dir.Path, "psu.zip");
        ml.Model.Save(fitted, index.Schema, zip);
        return (ml, fitted, new MLContext(4).Model.Load(zip, out _), psu);
    }

    static PsuIndexRow Row(int items, int tokens) => new()
    {
        SeminarHistoryItems = Enumerable.Range(0, items).Select(i => (long)(2 + i % 5)).ToArray(),
        SeminarHistoryQueryTokens = Enumerable.Range(0, tokens).Select(i => (long)(i % 4)).ToArray(),
        SeminarTargetItem = new long[] { 3 },
    };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public void Every_path_refuses_token_slots_that_do_not_match_the_history(int items, int tokens)
    {
        var (ml, fitted, loaded, psu) = Models();
        string expected = $"'SeminarHistoryQueryTokens' holds {tokens} token indices but 'SeminarHistoryItems' has {items} behaviours: expected {T} per behaviour ({items * T}). (Parameter 'historyQueryTokens')";
        var data = ml.Data.LoadFromEnumerable(new[] { Row(items, tokens) });

        foreach (var column in new[] { "SeminarScore", "SeminarPqScore" })
        {
            var e = Assert.Throws<InvalidOperationException>(() => fitted.Transform(data).GetColumn<float[]>(column).ToArray());
            Assert.Equal("Row 0: " + expected, e.Message);
        }

        using var engine = ml.Model.CreatePredictionEngine<PsuIndexRow, Scores>(fitted);
        var refused = Assert.Throws<InvalidOperationException>(() => engine.Predict(Row(items, tokens)));
        Assert.Matches(@"^Row -?\d+: ", refused.Message);
        Assert.EndsWith(expected, refused.Message);
        // The PSU alone (its own mapper) refuses the same way.
        using var psuEngine = ml.Model.CreatePredictionEngine<PsuIndexRow, Scores>(psu, ignoreMissingColumns: true);
        Assert.EndsWith(expected, Assert.Throws<InvalidOperationException>(() => psuEngine.Predict(Row(items, tokens))).Message);

        // Stock ML.NET runs the graphs alone: their guard (tokens reshaped to [L, T], an empty L kept empty) fails.
        using var stock = ml.Model.CreatePredictionEngine<PsuIndexRow, Scores>(loaded);
        Assert.Contains("Reshape", Assert.ThrowsAny<Exception>(() => stock.Predict(Row(items, tokens))).ToString());
    }

    [Fact]
    public void Valid_rows_score_alike_on_every_path()
    {
        var (ml, fitted, loaded, _) = Models();
        var rows = new[] { Row(0, 0), Row(24, 24 * T), Row(1, T) };
        var data = ml.Data.LoadFromEnumerable(rows);
        var exact = fitted.Transform(data).GetColumn<float[]>("SeminarScore").ToArray();
        var pq = fitted.Transform(data).GetColumn<float[]>("SeminarPqScore").ToArray();
        using var engine = ml.Model.CreatePredictionEngine<PsuIndexRow, Scores>(fitted);
        using var stock = ml.Model.CreatePredictionEngine<PsuIndexRow, Scores>(loaded);
        for (int r = 0; r < rows.Length; r++)
            foreach (var e in new[] { engine, stock })
            {
                var s = e.Predict(rows[r]);
                Assert.Equal(exact[r][0], s.SeminarScore[0], 1e-4f);
                Assert.Equal(pq[r][0], s.SeminarPqScore[0], 1e-4f);
            }
    }
}
