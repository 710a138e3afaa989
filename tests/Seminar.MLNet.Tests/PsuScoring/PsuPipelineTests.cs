using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.PsuScoring;

public class PsuPipelineTests
{
    const int D = 8, Heads = 2, TopK = 4;

    // SchemaShape.Create(DataViewSchema) is internal to ML.NET; tests reach it by reflection.
    static SchemaShape ShapeOf(DataViewSchema schema) =>
        (SchemaShape)typeof(SchemaShape).GetMethod("Create", BindingFlags.NonPublic | BindingFlags.Static, new[] { typeof(DataViewSchema) })!.Invoke(null, new object[] { schema })!;

    [Fact]
    public void FastTree_on_the_PSU_outputs_fits_saves_loads_and_gives_identical_scores()
    {
        var ml = new MLContext(3);
        var training = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(300, 8));
        var featurizer = PsuFixtures.Featurizer(ml, training);
        var v = featurizer.Vocabularies;
        var featurized = featurizer.Transform(training);
        var psu = PsuEmbeddingTransformer.Create(ml, PsuFixtures.RandomWeights(v, D, Heads, TopK, 9, 6), v, new PsuColumnOptions(), featurized.Schema);
        var trees = ml.Transforms.Concatenate("Features", "SeminarInterest", "SeminarScore", "SeminarTarget")
            .Append(ml.BinaryClassification.Trainers.FastTree(numberOfTrees: 10, minimumExampleCountPerLeaf: 2));

        // What an estimator's GetOutputSchema returns, and a downstream estimator accepts it.
        var shape = PsuEmbeddingTransformer.OutputSchemaShape(ml, ShapeOf(featurized.Schema), psu.Columns, D);
        Assert.Contains(shape, c => c.Name == "SeminarInterest" && c.Kind == SchemaShape.Column.VectorKind.Vector && c.ItemType == NumberDataViewType.Single);
        Assert.Contains(shape, c => c.Name == "SeminarScore" && c.Kind == SchemaShape.Column.VectorKind.Vector);
        Assert.Contains(trees.GetOutputSchema(shape), c => c.Name == "Score");

        var model = new TransformerChain<ITransformer>(featurizer, psu, trees.Fit(psu.Transform(featurized)));
        var test = ml.Data.LoadFromEnumerable(PsuFixtures.TestRows(200, 10));
        var scores = model.Transform(test).GetColumn<float>("Score").ToArray();
        Assert.True(scores.Distinct().Count() > 1, "the trees must use the PSU features");

        using var tmp = new TempFolder();
        ml.Model.Save(model, training.Schema, tmp.File("ctr.zip"));
        var loaded = new MLContext(11).Model.Load(tmp.File("ctr.zip"), out _);
        Assert.Equal(scores, loaded.Transform(test).GetColumn<float>("Score").ToArray());
    }

    [Fact]
    public void Weights_that_do_not_fit_the_vocabularies_are_rejected_with_the_reason()
    {
        var ml = new MLContext(1);
        var v = PsuFixtures.Featurizer(ml, ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(40, 2))).Vocabularies;
        var good = PsuFixtures.RandomWeights(v, D, Heads, TopK, 1, 6);

        var e = Assert.Throws<ArgumentException>(() => new PsuScoringModel(With(good, w => w.ItemIds = good.ItemIds[D..]), v));
        Assert.StartsWith($"PsuWeights.ItemIds has {v.Items.Size - 1} rows but the item vocabulary has {v.Items.Size} indices: the weights were trained with other vocabularies.", e.Message);
        e = Assert.Throws<ArgumentException>(() => new PsuScoringModel(With(good, w => w.Tokens = good.Tokens.Concat(new float[D]).ToArray()), v));
        Assert.StartsWith($"PsuWeights.Tokens has {v.Tokens.Size + 1} rows but the token vocabulary has {v.Tokens.Size} indices", e.Message);
        e = Assert.Throws<ArgumentException>(() => new PsuScoringModel(With(good, w =>
        {
            w.Projections = good.Projections.Take(1).ToArray();
            w.GateLogits = good.GateLogits[..4];
            w.ModalityTransforms = good.ModalityTransforms[(D * D)..];
        }), v));
        Assert.StartsWith("PsuWeights has 1 modality projections but the catalog has 2 modality columns (Image[3], TextVector[5])", e.Message);
        e = Assert.Throws<ArgumentException>(() => new PsuScoringModel(With(good, w => w.Projections = good.Projections.Reverse().ToArray()), v));
        Assert.StartsWith("PsuWeights projection 0 takes 5 inputs but catalog modality 'Image' has dimension 3.", e.Message);
        // The weights' own consistency is checked too.
        e = Assert.Throws<ArgumentException>(() => new PsuScoringModel(With(good, w => w.EmptyInterest = new float[D + 1]), v));
        Assert.StartsWith($"EmptyInterest holds {D + 1} values; expected {D}.", e.Message);
    }

    [Fact]
    public void Missing_or_mistyped_input_columns_and_bad_indices_fail_clearly()
    {
        var ml = new MLContext(1);
        var v = PsuFixtures.Featurizer(ml, ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(40, 2))).Vocabularies;
        var weights = PsuFixtures.RandomWeights(v, D, Heads, TopK, 1, 6);
        var rows = ml.Data.LoadFromEnumerable(new[]
        {
            new PsuIndexRow { SeminarTargetItem = new long[] { 2 } },
            new PsuIndexRow { SeminarHistoryItems = new long[] { 999 }, SeminarHistoryQueryTokens = new long[PsuFixtures.QueryTokens], SeminarTargetItem = new long[] { 2 } },
        });

        var missing = new PsuColumnOptions { QueryTokensColumnName = "Nope" };
        var e = Assert.Throws<ArgumentException>(() => PsuEmbeddingTransformer.Create(ml, weights, v, missing, rows));
        Assert.StartsWith("Input column 'Nope' (query token indices) is missing (columns: SeminarHistoryItems, SeminarHistoryQueryTokens, SeminarTargetItem, SeminarQueryTokens, Side).", e.Message);
        var psu = PsuEmbeddingTransformer.Create(ml, weights, v, new PsuColumnOptions(), rows);
        var renamed = ml.Transforms.CopyColumns("Other", "SeminarQueryTokens").Fit(rows).Transform(rows);
        e = Assert.Throws<ArgumentException>(() => PsuEmbeddingTransformer.Create(ml, weights, v, missing, renamed.Schema));
        Assert.StartsWith("Input column 'Nope' (query token indices) is missing", e.Message);
        e = Assert.Throws<ArgumentException>(() => PsuEmbeddingTransformer.OutputSchemaShape(ml, ShapeOf(rows.Schema), missing, D));
        Assert.StartsWith("Input column 'Nope' (query token indices) is missing", e.Message);

        var asFloat = ml.Transforms.Conversion.ConvertType("SeminarTargetItem", outputKind: DataKind.Single).Fit(rows).Transform(rows);
        e = Assert.Throws<ArgumentException>(() => psu.Transform(asFloat));
        Assert.StartsWith("Input column 'SeminarTargetItem' (target item index) must be a vector of Int64 of size 1; it is Vector<Single, 1>.", e.Message);
        e = Assert.Throws<ArgumentException>(() => PsuEmbeddingTransformer.OutputSchemaShape(ml, ShapeOf(asFloat.Schema), psu.Columns, D));
        Assert.StartsWith("Input column 'SeminarTargetItem' (target item index) must be a known-size vector of Int64", e.Message);

        // An index outside the vocabulary: the C# path names row, column and vocabulary; ONNX Runtime's Gather fails too.
        var bad = Assert.Throws<InvalidOperationException>(() => PsuOutputs.Read(psu.Transform(rows)));
        Assert.Equal($"Row 1: Column 'SeminarHistoryItems' at behaviour 0: history item index 999 is outside the item vocabulary (valid indices 0 to {v.Items.Size - 1}).", bad.Message);
        Assert.ThrowsAny<Exception>(() => PsuOutputs.Read(psu.Persisted.Transform(rows)));
        // ONNX Gather would read a negative index from the end of the table; the graph fails on it as C# does.
        var negative = ml.Data.LoadFromEnumerable(new[] { new PsuIndexRow { SeminarHistoryItems = new long[] { 2, -1 }, SeminarHistoryQueryTokens = new long[2 * PsuFixtures.QueryTokens], SeminarTargetItem = new long[] { 2 } } });
        bad = Assert.Throws<InvalidOperationException>(() => PsuOutputs.Read(psu.Transform(negative)));
        Assert.StartsWith("Row 0: Column 'SeminarHistoryItems' at behaviour 1: history item index -1 is outside the item vocabulary", bad.Message);
        Assert.ThrowsAny<Exception>(() => PsuOutputs.Read(psu.Persisted.Transform(negative)));
        var negativeToken = ml.Data.LoadFromEnumerable(new[] { new PsuIndexRow { SeminarTargetItem = new long[] { 2 }, SeminarQueryTokens = new long[] { 3, -2, 0 } } });
        Assert.Throws<InvalidOperationException>(() => PsuOutputs.Read(psu.Transform(negativeToken)));
        Assert.ThrowsAny<Exception>(() => PsuOutputs.Read(psu.Persisted.Transform(negativeToken)));

        var clash = new PsuColumnOptions { OutputScoreColumnName = "SeminarTargetItem" };
        e = Assert.Throws<ArgumentException>(() => PsuEmbeddingTransformer.Create(ml, weights, v, clash, rows));
        Assert.StartsWith("Output column 'SeminarTargetItem' has the same name as an input column", e.Message);
    }

    /// <summary>A copy of the weights with some members replaced.</summary>
    static PsuWeights With(PsuWeights w, Action<MutableWeights> change)
    {
        var m = new MutableWeights
        {
            ItemIds = w.ItemIds, Tokens = w.Tokens, Attributes = w.Attributes, Projections = w.Projections, GateLogits = w.GateLogits,
            ModalityTransforms = w.ModalityTransforms, EmptyInterest = w.EmptyInterest,
        };
        change(m);
        return new PsuWeights
        {
            Dimension = w.Dimension, Heads = w.Heads, TopK = w.TopK, ItemIds = m.ItemIds, Tokens = m.Tokens, Attributes = m.Attributes,
            Projections = m.Projections, GateLogits = m.GateLogits, ModalityTransforms = m.ModalityTransforms, QueryWeightLogit = w.QueryWeightLogit,
            AttentionQuery = w.AttentionQuery, AttentionKey = w.AttentionKey, AttentionValue = w.AttentionValue, AttentionOutput = w.AttentionOutput,
            EmptyInterest = m.EmptyInterest, Head = w.Head,
        };
    }

    sealed class MutableWeights
    {
        public float[] ItemIds = null!, Tokens = null!, Attributes = null!, GateLogits = null!, ModalityTransforms = null!, EmptyInterest = null!;
        public IReadOnlyList<DenseLayer> Projections = null!;
    }
}
