using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// Approximate retrieval's C# fast path as an <see cref="IDataView"/>: the input's columns plus the PQ interest and
/// score. Each cursor has its own <see cref="PqRowScorer"/>; a row is scored once per position.
/// </summary>
sealed class PqAttentionDataView : AppendingDataView
{
    readonly PqAttentionModel _model;
    readonly PqAttentionOptions _options;
    readonly PsuInputColumns _inputs;

    public PqAttentionDataView(IDataView input, PqAttentionModel model, PqAttentionOptions options)
        : this(input, model, options, PsuInputColumns.Resolve(input.Schema, options, model.Psu.QueryTokens, model.Psu.Weights.SideFeatures))
    {
    }

    PqAttentionDataView(IDataView input, PqAttentionModel model, PqAttentionOptions options, PsuInputColumns inputs)
        : base(input, OutputColumns(options, model.Psu.Dimension), inputs.All)
    {
        _model = model;
        _options = options;
        _inputs = inputs;
    }

    /// <summary>Output names and types: interest <c>Vector&lt;Single, D&gt;</c> and score <c>Vector&lt;Single, 1&gt;</c>, as the ONNX path gives them.</summary>
    public static (string Name, DataViewType Type)[] OutputColumns(PqAttentionOptions o, int dimension) => new (string, DataViewType)[]
    {
        (o.OutputPqInterestColumnName, new VectorDataViewType(NumberDataViewType.Single, dimension)),
        (o.OutputPqScoreColumnName, new VectorDataViewType(NumberDataViewType.Single, 1)),
    };

    protected internal override IRowOutputs CreateOutputs(DataViewRow input)
    {
        var scorer = new PqRowScorer(_model, _options);
        return new PsuInputRowOutputs(input, _inputs, new[] { _model.Psu.Dimension, 1 },
            (items, tokens, target, query, side, outputs) => outputs[1][0] = scorer.Score(items, tokens, target, query, side, outputs[0]));
    }
}
