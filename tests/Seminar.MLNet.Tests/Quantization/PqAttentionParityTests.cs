using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Tests.PsuScoring;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Quantization;

public class PqAttentionParityTests
{
    const int D = 16, Heads = 3, TopK = 5;
    static readonly string[] Outputs = { "SeminarPqInterest", "SeminarPqScore" };

    /// <summary>4-bit codes on 4 sub-spaces and a shortlist of 8: histories of 40 and 150 behaviours go through the shortlist.</summary>
    static PqAttentionOptions Options() => new() { Quantizer = new ProductQuantizerOptions { SubSpaces = 4, Centroids = 16, Iterations = 10 }, Seed = 5, Shortlist = 8 };

    /// <summary>
    /// The fitted stage with its codes replaced by coarse ones (a random 3-centroid codebook), so the approximate order is
    /// far from the exact one and a shortlist of 6 often misses some of the exact top-5.
    /// </summary>
    static PqAttentionTransformer Coarse(MLContext ml, PqAttentionTransformer fitted, IDataView input, int seed)
    {
        var psu = fitted.Model.Psu;
        int m = 4, dsub = D / m, k = 3;
        var rng = new Random(seed);
        var book = new float[m * k * dsub];
        for (int i = 0; i < book.Length; i++) book[i] = i / dsub % k == 0 ? 0 : (float)(rng.NextDouble() * 2 - 1);
        var codes = new CatalogCodes(ProductQuantizer.FromCodebook(D, m, k, book), psu.ItemData);
        var options = fitted.Options.Clone();
        options.Shortlist = 6;
        return PqAttentionTransformer.Create(ml, new PqAttentionModel(psu, codes, TopK, 6), options, input.Schema);
    }

    static (MLContext Ml, SequenceFeaturizerTransformer Featurizer, PsuEmbeddingTransformer Psu, IDataView Training) Stage(int seed)
    {
        var ml = new MLContext(seed);
        var training = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(120, seed));
        var featurizer = PsuFixtures.Featurizer(ml, training);
        var v = featurizer.Vocabularies;
        var psu = PsuEmbeddingTransformer.Create(ml, PsuFixtures.RandomWeights(v, D, Heads, TopK, seed + 1, 8), v, new PsuColumnOptions(), featurizer.Transform(training));
        return (ml, featurizer, psu, training);
    }

    [Fact]
    public void Onnx_graph_matches_the_fast_path_on_index_rows_including_empty_short_and_padding_only_histories()
    {
        var (ml, featurizer, psu, training) = Stage(1);
        var pq = ml.Seminar().PqAttention(Options()).Fit(psu.Transform(featurizer.Transform(training)));
        var rows = PsuFixtures.IndexRows(psu.Vocabularies, TopK, 300, 21);
        var data = ml.Data.LoadFromEnumerable(rows);

        var fast = PsuOutputs.Read(pq.Transform(data), Outputs);
        var onnx = PsuOutputs.Read(pq.Persisted.Transform(data), Outputs);
        PsuOutputs.AssertClose(fast, onnx, 1e-4, "fast vs ONNX");
        for (int r = 0; r < rows.Length; r++)
            if (rows[r].SeminarHistoryItems.All(i => i == 0)) Assert.Equal(psu.Weights.EmptyInterest, onnx[r][0]);
        Assert.Contains(rows, r => r.SeminarHistoryItems.Count(i => i != 0) > 2 * pq.Shortlist);

        // Coarse codes: the C# path and the graph still agree, and the approximate top-K now misses exact behaviours.
        using var coarse = Coarse(ml, pq, data, 31);
        var coarseFast = PsuOutputs.Read(coarse.Transform(data), Outputs);
        PsuOutputs.AssertClose(coarseFast, PsuOutputs.Read(coarse.Persisted.Transform(data), Outputs), 1e-4, "coarse fast vs ONNX");

        // Histories no longer than K keep every behaviour, as the exact PSU does: the two agree there.
        var exact = PsuOutputs.Read(psu.Transform(data), "SeminarInterest", "SeminarScore");
        int shortRows = 0, differing = 0;
        for (int r = 0; r < rows.Length; r++)
        {
            bool same = coarseFast[r][0].Zip(exact[r][0]).All(p => Math.Abs(p.First - p.Second) <= 1e-4 * Math.Max(1, Math.Abs(p.First)));
            if (rows[r].SeminarHistoryItems.Count(i => i != 0) <= TopK)
            {
                Assert.True(same, $"row {r}: a short history must give the exact interest");
                shortRows++;
            }
            else if (!same) differing++;
        }
        Assert.True(shortRows > 20);
        Assert.True(differing > 0, "coarse codes must change some long histories' retrieval (else the test shows nothing)");
    }

    [Fact]
    public void Featurizer_PSU_PQ_and_FastTree_save_as_one_zip_that_stock_MLNet_loads_with_the_same_scores()
    {
        var (ml, featurizer, psu, training) = Stage(3);
        var pipeline = ml.Seminar().PqAttention(Options())
            .Append(ml.Transforms.Concatenate("Features", "SeminarPqInterest", "SeminarPqScore"))
            .Append(ml.BinaryClassification.Trainers.FastTree(numberOfTrees: 10, minimumExampleCountPerLeaf: 2));
        var featurized = psu.Transform(featurizer.Transform(training));
        var fitted = pipeline.Fit(featurized);
        var model = new TransformerChain<ITransformer>(featurizer, psu, fitted);
        var test = ml.Data.LoadFromEnumerable(PsuFixtures.TestRows(200, 4));
        var transformed = model.Transform(test);
        var scores = transformed.GetColumn<float>("Score").ToArray();
        var pqOut = PsuOutputs.Read(transformed, Outputs);
        Assert.True(scores.Distinct().Count() > 1, "the trees must use the PQ features");

        using var tmp = new TempFolder();
        ml.Model.Save(model, training.Schema, tmp.File("ctr.zip"));
        var loaded = new MLContext(9).Model.Load(tmp.File("ctr.zip"), out _);
        var stock = loaded.Transform(test);
        PsuOutputs.AssertClose(pqOut, PsuOutputs.Read(stock, Outputs), 1e-4, "fast vs stock load");
        var stockScores = stock.GetColumn<float>("Score").ToArray();
        for (int r = 0; r < scores.Length; r++) Assert.True(Math.Abs(scores[r] - stockScores[r]) <= 1e-4 * Math.Max(1, Math.Abs(scores[r])), $"row {r}: {scores[r]} vs {stockScores[r]}");
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, D), stock.Schema["SeminarPqInterest"].Type);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 1), stock.Schema["SeminarPqScore"].Type);
    }

    /// <summary>A PSU whose head reads side features: the PQ path feeds them to the same head in C#, in its ONNX graph and in the stock-loaded zip.</summary>
    [Fact]
    public void With_side_features_the_fast_path_the_graph_and_the_stock_loaded_zip_agree()
    {
        var ml = new MLContext(7);
        var training = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(120, 7));
        var featurizer = PsuFixtures.Featurizer(ml, training);
        var v = featurizer.Vocabularies;
        var columns = new PsuColumnOptions { SideFeaturesColumnName = "Side" };
        var psu = PsuEmbeddingTransformer.Create(ml, PsuFixtures.RandomSideWeights(v, D, Heads, TopK, 8, 8), v, columns, featurizer.Transform(training));
        var featurized = psu.Transform(featurizer.Transform(training));
        var unset = Assert.Throws<ArgumentException>(() => ml.Seminar().PqAttention(Options()).Fit(featurized));
        Assert.StartsWith("The PSU was trained with 4 side features, but no side feature column is set", unset.Message);

        var options = Options();
        options.SideFeaturesColumnName = "Side";
        var pq = ml.Seminar().PqAttention(options).Fit(featurized);
        var rows = PsuFixtures.IndexRows(v, TopK, 300, 21);
        var data = ml.Data.LoadFromEnumerable(rows);
        var fast = PsuOutputs.Read(pq.Transform(data), Outputs);
        PsuOutputs.AssertClose(fast, PsuOutputs.Read(pq.Persisted.Transform(data), Outputs), 1e-4, "fast vs ONNX");
        // Short histories keep every behaviour: the PQ score equals the exact PSU's, side features included.
        var exact = PsuOutputs.Read(psu.Transform(data), "SeminarInterest", "SeminarScore");
        for (int r = 0; r < rows.Length; r++)
            if (rows[r].SeminarHistoryItems.Count(i => i != 0) <= TopK)
                Assert.True(Math.Abs(fast[r][1][0] - exact[r][1][0]) <= 1e-4 * Math.Max(1, Math.Abs(exact[r][1][0])), $"row {r}: {fast[r][1][0]} vs {exact[r][1][0]}");

        var model = new TransformerChain<ITransformer>(featurizer, psu, pq);
        var test = ml.Data.LoadFromEnumerable(PsuFixtures.TestRows(200, 4));
        var expected = PsuOutputs.Read(model.Transform(test), Outputs);
        using var tmp = new TempFolder();
        ml.Model.Save(model, training.Schema, tmp.File("pq.zip"));
        var stock = new MLContext(9).Model.Load(tmp.File("pq.zip"), out _).Transform(test);
        PsuOutputs.AssertClose(expected, PsuOutputs.Read(stock, Outputs), 1e-4, "fast vs stock load");
    }

    [Fact]
    public void The_PSU_passed_as_an_option_is_quantized_when_the_input_carries_no_annotation()
    {
        var (ml, featurizer, psu, training) = Stage(7);
        // The stock ONNX path writes the PSU's columns without the in-process annotation that carries the PSU.
        var scoredElsewhere = psu.Persisted.Transform(featurizer.Transform(training));
        var missing = Assert.Throws<InvalidOperationException>(() => ml.Seminar().PqAttention(Options()).Fit(scoredElsewhere));
        Assert.StartsWith("No trained PSU found on column 'SeminarInterest'.", missing.Message);

        var explicitOptions = Options();
        explicitOptions.Psu = psu;
        var handedOff = ml.Seminar().PqAttention(explicitOptions).Fit(scoredElsewhere);
        var annotated = ml.Seminar().PqAttention(Options()).Fit(psu.Transform(featurizer.Transform(training)));
        // Same PSU, same rows, same seed: the same codebooks, so the same approximate outputs to the last bit.
        var rows = ml.Data.LoadFromEnumerable(PsuFixtures.IndexRows(psu.Vocabularies, TopK, 100, 23));
        var viaOption = PsuOutputs.Read(handedOff.Transform(rows), Outputs);
        PsuOutputs.AssertClose(PsuOutputs.Read(annotated.Transform(rows), Outputs), viaOption, 0, "option vs annotation");
        var exact = PsuOutputs.Read(psu.Transform(rows), "SeminarScore");
        Assert.Contains(Enumerable.Range(0, viaOption.Count), r => viaOption[r][1][0] != 0 && Math.Abs(viaOption[r][1][0] - exact[r][0][0]) < 1e-4);
    }

    [Fact]
    public void PqAttention_without_a_PSU_before_it_says_where_to_put_it()
    {
        var (ml, featurizer, _, training) = Stage(5);
        var e = Assert.Throws<InvalidOperationException>(() => ml.Seminar().PqAttention().Fit(featurizer.Transform(training)));
        Assert.Equal("No trained PSU found on column 'SeminarInterest'. Put PqAttention after PsuEmbedding in the pipeline (its interest column carries the PSU), " +
                     "set PqAttentionOptions.OutputInterestColumnName to that column's name, or pass the fitted PSU as PqAttentionOptions.Psu.", e.Message);
        var bad = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Seminar().PqAttention(new PqAttentionOptions { TopK = 0 }));
        Assert.StartsWith("TopK must be at least 1", bad.Message);
        bad = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Seminar().PqAttention(new PqAttentionOptions { TopK = 50, Shortlist = 40 }));
        Assert.StartsWith("Shortlist (40) must be at least TopK (50): the top-K are chosen among the shortlist.", bad.Message);
        bad = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Seminar().PqAttention(new PqAttentionOptions { Shortlist = 0 }));
        Assert.StartsWith("Shortlist must be at least 1", bad.Message);
        bad = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Seminar().PqAttention(new PqAttentionOptions { Quantizer = new ProductQuantizerOptions { SubSpaces = 4, Centroids = 256 } }));
        Assert.StartsWith("Quantizer.Centroids is 256; it must be 16: the catalog codes are 4-bit", bad.Message);
        bad = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Seminar().PqAttention(new PqAttentionOptions { Quantizer = new ProductQuantizerOptions { SubSpaces = 64, Centroids = 16 } }));
        Assert.StartsWith("Quantizer.SubSpaces is 64; it must be 1 to 32", bad.Message);
        Assert.Equal((32, 16, 400), (new PqAttentionOptions().Quantizer.SubSpaces, new PqAttentionOptions().Quantizer.Centroids, new PqAttentionOptions().Shortlist));
        var (ml2, featurizer2, psu2, training2) = Stage(6);
        var sub = Assert.ThrowsAny<ArgumentException>(() => ml2.Seminar().PqAttention(new PqAttentionOptions { Quantizer = new ProductQuantizerOptions { SubSpaces = 5, Centroids = 16 } })
            .Fit(psu2.Transform(featurizer2.Transform(training2))));
        Assert.Contains("SubSpaces (5)", sub.Message);
    }
}
