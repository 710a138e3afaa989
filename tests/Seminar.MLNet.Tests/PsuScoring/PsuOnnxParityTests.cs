using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.PsuScoring;

public class PsuOnnxParityTests
{
    const int D = 12, Heads = 3, TopK = 5;

    [Fact]
    public void Onnx_graph_matches_the_fast_path_on_index_rows_with_empty_and_padding_only_histories()
    {
        var ml = new MLContext(1);
        var v = PsuFixtures.Featurizer(ml, ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(60, 2))).Vocabularies;
        var rows = PsuFixtures.IndexRows(v, TopK, 300, 21);
        var data = ml.Data.LoadFromEnumerable(rows);
        var psu = PsuEmbeddingTransformer.Create(ml, PsuFixtures.RandomWeights(v, D, Heads, TopK, 22, 8), v, new PsuColumnOptions(), data);

        var fast = PsuOutputs.Read(psu.Transform(data));
        var onnx = PsuOutputs.Read(psu.Persisted.Transform(data));
        PsuOutputs.AssertClose(fast, onnx, 1e-4, "fast vs ONNX");
        // Empty and padding-only histories give the learned empty interest through ONNX too (no NaN from an empty softmax).
        int empty = 0;
        for (int r = 0; r < rows.Length; r++)
            if (rows[r].SeminarHistoryItems.All(i => i == 0))
            {
                Assert.Equal(psu.Weights.EmptyInterest, onnx[r][1]);
                empty++;
            }
        Assert.True(empty >= 2, "the rows include empty and padding-only histories");
        var fastSchema = psu.Transform(data).Schema;
        var onnxSchema = psu.Persisted.Transform(data).Schema;
        foreach (var col in PsuOutputs.Columns)
            Assert.True(fastSchema[col].Type.Equals(onnxSchema[col].Type), $"{col}: {fastSchema[col].Type} vs {onnxSchema[col].Type}");
    }

    [Fact]
    public void Featurizer_and_PSU_saved_in_one_zip_load_with_stock_MLNet_and_match_the_fast_path()
    {
        var ml = new MLContext(3);
        var training = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(80, 4));
        var featurizer = PsuFixtures.Featurizer(ml, training);
        var v = featurizer.Vocabularies;
        var psu = PsuEmbeddingTransformer.Create(ml, PsuFixtures.RandomWeights(v, D, Heads, TopK, 5, 8), v, new PsuColumnOptions(), featurizer.Transform(training));
        var chain = new TransformerChain<ITransformer>(featurizer, psu);

        var test = ml.Data.LoadFromEnumerable(PsuFixtures.TestRows(300, 6));
        var fast = PsuOutputs.Read(chain.Transform(test));
        Assert.Contains(PsuFixtures.TestRows(300, 6), r => r.HistoryItems.Length == 0);
        PsuOutputs.AssertClose(fast, PsuOutputs.Read(psu.Persisted.Transform(featurizer.Transform(test))), 1e-4, "fast vs persisted");

        // Prediction engines map rows through the persisted (ONNX) forms.
        var engine = ml.Model.CreatePredictionEngine<PsuTextRow, Prediction>(chain);
        var testRows = PsuFixtures.TestRows(300, 6);
        for (int r = 0; r < 40; r++)
        {
            var p = engine.Predict(testRows[r]);
            PsuOutputs.AssertClose(fast.GetRange(r, 1), new List<float[][]> { new[] { p.SeminarTarget, p.SeminarInterest, p.SeminarScore } }, 1e-4, $"prediction engine row {r}");
        }

        using var tmp = new TempFolder();
        ml.Model.Save(chain, training.Schema, tmp.File("psu.zip"));
        var loaded = new MLContext(7).Model.Load(tmp.File("psu.zip"), out var inputSchema);
        Assert.DoesNotContain((TransformerChain<ITransformer>)loaded, t => t is PsuEmbeddingTransformer);
        var stock = loaded.Transform(test);
        PsuOutputs.AssertClose(fast, PsuOutputs.Read(stock), 1e-4, "fast vs stock load");
        foreach (var col in PsuOutputs.Columns)
            Assert.True(chain.Transform(test).Schema[col].Type.Equals(stock.Schema[col].Type), $"{col}: {chain.Transform(test).Schema[col].Type} vs {stock.Schema[col].Type}");
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, D), stock.Schema["SeminarInterest"].Type);
        Assert.Equal(new VectorDataViewType(NumberDataViewType.Single, 1), stock.Schema["SeminarScore"].Type);
    }

    public sealed class Prediction
    {
        [VectorType(D)] public float[] SeminarTarget { get; set; } = Array.Empty<float>();
        [VectorType(D)] public float[] SeminarInterest { get; set; } = Array.Empty<float>();
        [VectorType(1)] public float[] SeminarScore { get; set; } = Array.Empty<float>();
    }
}
