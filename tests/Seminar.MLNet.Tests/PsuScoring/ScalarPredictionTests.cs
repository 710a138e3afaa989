using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.PsuScoring;

/// <summary>
/// Issue 17, case 6: the PSU's prediction as the usual scalar <c>Score</c> and <c>Probability</c> columns, so a
/// <c>float</c> output class binds on the fitted model and on the stock-loaded zip, with Transform's values.
/// </summary>
public sealed class ScalarPredictionTests : IDisposable
{
    readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    public sealed class Prediction
    {
        public float Probability;
        public float Score;
        public bool PredictedLabel;
    }

    [Fact]
    public void Score_and_probability_are_scalars_that_bind_on_fitted_and_stock_loaded_models()
    {
        var ml = new MLContext(7);
        var rows = PsuFixtures.TestRows(30, 7);
        var training = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(40, 7));
        var featurizer = PsuFixtures.Featurizer(ml, training);
        var v = featurizer.Vocabularies;
        var psu = PsuEmbeddingTransformer.Create(ml, PsuFixtures.RandomWeights(v, 8, 2, 3, 8, 4), v, new PsuColumnOptions(), featurizer.Transform(training));
        var head = ml.Seminar().Prediction().Fit(psu.Transform(featurizer.Transform(training)));
        var model = new TransformerChain<ITransformer>(featurizer, psu, head);

        var scored = model.Transform(ml.Data.LoadFromEnumerable(rows));
        Assert.Equal(NumberDataViewType.Single, scored.Schema["Score"].Type);
        Assert.Equal(NumberDataViewType.Single, scored.Schema["Probability"].Type);
        var logits = scored.GetColumn<float[]>("SeminarScore").Select(s => s[0]).ToArray();
        var scores = scored.GetColumn<float>("Score").ToArray();
        var probabilities = scored.GetColumn<float>("Probability").ToArray();
        Assert.Contains(logits, s => s > 0);
        Assert.Contains(logits, s => s < 0);
        for (int r = 0; r < rows.Length; r++)
        {
            Assert.Equal(logits[r], scores[r]); // the identity linear model: the logit itself
            Assert.Equal(1 / (1 + Math.Exp(-logits[r])), probabilities[r], 1e-6);
        }

        string zip = Path.Combine(_dir.Path, "neural.zip");
        ml.Model.Save(model, training.Schema, zip);
        var loaded = new MLContext(8).Model.Load(zip, out _);
        Assert.Equal(NumberDataViewType.Single, loaded.GetOutputSchema(training.Schema)["Probability"].Type);
        using var fitted = ml.Model.CreatePredictionEngine<PsuTextRow, Prediction>(model);
        using var stock = ml.Model.CreatePredictionEngine<PsuTextRow, Prediction>(loaded);
        for (int r = 0; r < rows.Length; r++)
            foreach (var engine in new[] { fitted, stock })
            {
                var p = engine.Predict(rows[r]);
                Assert.Equal(scores[r], p.Score, 1e-5f);
                Assert.Equal(probabilities[r], p.Probability, 1e-5f);
                Assert.Equal(scores[r] > 0, p.PredictedLabel);
            }
    }

    [Fact]
    public void A_logit_column_of_the_wrong_type_is_refused_by_name()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new PsuIndexRow() });
        var e = Assert.Throws<ArgumentException>(() => ml.Seminar().Prediction("SeminarTargetItem").Fit(data));
        Assert.StartsWith("Column 'SeminarTargetItem' must be a one-value vector of Single (a logit); it is Vector<Int64, 1>.", e.Message);
        e = Assert.Throws<ArgumentException>(() => ml.Seminar().Prediction("Nope").Fit(data));
        Assert.StartsWith("Logit column 'Nope' is missing.", e.Message);
    }
}
