using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace Seminar.MLNet;

/// <summary>
/// Turns a one-value logit column (the PSU's <c>SeminarScore</c>, <c>Vector&lt;Single, 1&gt;</c>) into ML.NET's usual
/// binary prediction columns: scalar <c>Score</c> (the logit itself), <c>Probability</c> (its sigmoid) and
/// <c>PredictedLabel</c> (Score &gt; 0), so an output class with <c>public float Probability; public float Score;</c> binds,
/// on the fitted model and on the stock-loaded zip alike. Created by <c>mlContext.Seminar().Prediction()</c>.
/// </summary>
/// <remarks>
/// Stock ML.NET has no public transform from a one-value vector to a scalar (an ONNX output of shape <c>[]</c> fails in
/// OnnxTransformer, <c>Expression</c> keeps vectors, prediction transformers have no public constructors), so this is a
/// stock binary prediction transformer over the identity linear model: a perceptron (not averaged, no regularization,
/// learning rate 1/2) shown two rows in order, logit 1 labelled true and logit -1 labelled false, from zero weights: the
/// first update gives weight 1/2 and bias 1/2, the second (whose output is 0, inside the hinge margin) weight 1 and bias 0,
/// exactly; then Platt calibration fixed at slope -1, offset 0, i.e. <c>1 / (1 + exp(-Score))</c>.
/// Both save and load as ML.NET's own components. The training rows are its own; the input's rows are never read.
/// </remarks>
public sealed class LogitPredictionEstimator : IEstimator<ITransformer>
{
    const string LabelColumn = "SeminarPredictionLabel";
    readonly MLContext _ml;
    readonly string _logitColumn;

    internal LogitPredictionEstimator(MLContext ml, string logitColumnName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(logitColumnName);
        _ml = ml;
        _logitColumn = logitColumnName;
    }

    sealed class NoInput { }

    sealed class LabelRow
    {
        public bool SeminarPredictionLabel { get; set; }
    }

    sealed class SeparatedRow
    {
        public bool SeminarPredictionLabel { get; set; }
        [VectorType(1)] public float[] Logit { get; set; } = new float[1];
    }

    /// <inheritdoc />
    public ITransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        Check(input.Schema.GetColumnOrNull(_logitColumn)?.Type);
        var rows = _ml.Data.LoadFromEnumerable(new[]
        {
            new SeparatedRow { SeminarPredictionLabel = true, Logit = new[] { 1f } },
            new SeparatedRow { SeminarPredictionLabel = false, Logit = new[] { -1f } },
        });
        rows = _ml.Transforms.CopyColumns(_logitColumn, nameof(SeparatedRow.Logit)).Fit(rows).Transform(rows);
        return Estimator().Fit(rows);
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var found = inputSchema.Where(c => c.Name == _logitColumn).ToArray();
        if (found.Length == 0) Check(null);
        if (found[^1].ItemType != NumberDataViewType.Single || found[^1].Kind != SchemaShape.Column.VectorKind.Vector)
            throw new ArgumentException($"Column '{_logitColumn}' must be a one-value vector of Single (a logit); it is {found[^1].Kind} of {found[^1].ItemType}.", nameof(inputSchema));
        // The trainer asks for its label column; the label comes from this estimator's own row, so add it for the check and drop it after.
        var label = _ml.Transforms.CustomMapping<NoInput, LabelRow>((_, _) => { }, contractName: null)
            .GetOutputSchema(new SchemaShape(Array.Empty<SchemaShape.Column>())).Single(c => c.Name == LabelColumn);
        var output = Estimator().GetOutputSchema(new SchemaShape(inputSchema.Where(c => c.Name != LabelColumn).Append(label)));
        return new SchemaShape(output.Where(c => c.Name != LabelColumn));
    }

    IEstimator<ITransformer> Estimator() =>
        _ml.BinaryClassification.Trainers.AveragedPerceptron(new AveragedPerceptronTrainer.Options
            {
                LabelColumnName = LabelColumn, FeatureColumnName = _logitColumn, NumberOfIterations = 1, InitialWeightsDiameter = 0,
                Averaged = false, Shuffle = false, LearningRate = 0.5f, DecreaseLearningRate = false, L2Regularization = 0,
            })
            .Append(_ml.BinaryClassification.Calibrators.Platt(slope: -1, offset: 0));

    void Check(DataViewType? type)
    {
        if (type is null) throw new ArgumentException($"Logit column '{_logitColumn}' is missing.", "input");
        if (type is not VectorDataViewType { Size: 1, ItemType: var item } || item != NumberDataViewType.Single)
            throw new ArgumentException($"Column '{_logitColumn}' must be a one-value vector of Single (a logit); it is {type}.", "input");
    }
}
