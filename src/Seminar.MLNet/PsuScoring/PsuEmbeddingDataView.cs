using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.PsuScoring;

/// <summary>
/// The PSU's C# fast path as an <see cref="IDataView"/>: the input's columns plus target, interest and score.
/// Each cursor has its own <see cref="PsuRowScorer"/> and buffers (transforms run on parallel cursors); a row's
/// forward pass runs once per position whichever outputs are read.
/// </summary>
sealed class PsuEmbeddingDataView : AppendingDataView
{
    readonly PsuScoringModel _model;
    readonly PsuColumnOptions _columns;
    readonly PsuInputColumns _inputs;

    public PsuEmbeddingDataView(IDataView input, PsuScoringModel model, PsuColumnOptions columns)
        : this(input, model, columns, PsuInputColumns.Resolve(input.Schema, columns, model.QueryTokens, model.Weights.SideFeatures))
    {
    }

    PsuEmbeddingDataView(IDataView input, PsuScoringModel model, PsuColumnOptions columns, PsuInputColumns inputs)
        : base(input, OutputSchema(input.Schema, columns, model), inputs.All)
    {
        _model = model;
        _columns = columns;
        _inputs = inputs;
    }

    /// <summary>The input schema with the output columns appended; the interest column carries the model (<see cref="PsuModelAnnotation"/>).</summary>
    public static DataViewSchema OutputSchema(DataViewSchema input, PsuColumnOptions columns, PsuScoringModel model)
    {
        var b = new DataViewSchema.Builder();
        b.AddColumns(input);
        foreach (var (name, type) in OutputColumns(columns, model.Dimension))
            b.AddColumn(name, type, name == columns.OutputInterestColumnName ? PsuModelAnnotation.Create(model) : null);
        return b.ToSchema();
    }

    /// <summary>Output names and types: target and interest <c>Vector&lt;Single, D&gt;</c>, score <c>Vector&lt;Single, 1&gt;</c>, as the ONNX path gives them.</summary>
    public static (string Name, DataViewType Type)[] OutputColumns(PsuColumnOptions c, int dimension) => new (string, DataViewType)[]
    {
        (c.OutputTargetColumnName, new VectorDataViewType(NumberDataViewType.Single, dimension)),
        (c.OutputInterestColumnName, new VectorDataViewType(NumberDataViewType.Single, dimension)),
        (c.OutputScoreColumnName, new VectorDataViewType(NumberDataViewType.Single, 1)),
    };

    protected internal override IRowOutputs CreateOutputs(DataViewRow input)
    {
        var scorer = new PsuRowScorer(_model, _columns);
        int d = _model.Dimension;
        return new PsuInputRowOutputs(input, _inputs, new[] { d, d, 1 },
            (items, tokens, target, query, side, outputs) => outputs[2][0] = scorer.Score(items, tokens, target, query, side, outputs[0], outputs[1]));
    }
}
