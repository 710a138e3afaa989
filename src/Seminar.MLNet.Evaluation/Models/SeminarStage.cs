using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.MLNet;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Training.MLNet;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Evaluation.Models;

/// <summary>
/// The SEMINAR part of a pipeline — sequence featurizer then PSU — fitted once per training view and
/// shared by the models built on it (<c>seminar_neural</c>, <c>fasttree_seminar</c>), since pretraining and
/// fine-tuning dominate their cost. Each model reports the stage's seconds as part of its own. The fit yields
/// two chains: the fine-tuned PSU (<see cref="Fit"/>) and the PSU as pretraining left it (<see cref="FitPretrained"/>),
/// which is what FastTree trains on (see <see cref="PsuEmbeddingEstimator.FitWithPretrained"/>).
/// </summary>
public sealed class SeminarStage
{
    /// <summary>
    /// The vector column the stage concatenates the baseline's count features (<see cref="Protocol.BaselineFeatures.Names"/>) into, ahead of
    /// the PSU, when the PSU's <see cref="PsuScoring.PsuColumnOptions.SideFeaturesColumn"/> names it: the head then sees what FastTree sees.
    /// </summary>
    public const string SideFeaturesColumn = "SeminarSideFeatures";

    readonly IDataView _catalog;
    readonly SequenceFeaturizerOptions _featurizer;
    readonly PsuEmbeddingOptions _psu;
    readonly PqAttentionOptions _pq;
    IDataView? _fittedOn;
    ITransformer? _model, _pretrained, _pretrainedPq;
    SequenceFeaturizerTransformer? _fittedFeaturizer;
    PqAttentionTransformer? _pqTransformer;

    /// <summary>Creates the stage over an item catalog with featurizer, PSU and product quantization options.</summary>
    public SeminarStage(IDataView catalog, SequenceFeaturizerOptions featurizer, PsuEmbeddingOptions psu, PqAttentionOptions? pq = null)
    {
        _catalog = catalog;
        _featurizer = featurizer;
        _psu = psu;
        _pq = pq ?? new PqAttentionOptions();
        _pq.SideFeaturesColumn = psu.SideFeaturesColumn;   // the quantized PSU runs the same head
    }

    /// <summary>Seconds the featurizer and PSU fit took.</summary>
    public double Seconds { get; private set; }
    /// <summary>Seconds the product quantization fit took (0 until <see cref="FitPretrainedPq"/>).</summary>
    public double PqSeconds { get; private set; }
    /// <summary>The fitted featurizer (null before the first fit).</summary>
    public SequenceFeaturizerTransformer? Featurizer => _fittedFeaturizer;
    /// <summary>The fitted product quantization of the pretrained PSU (null until <see cref="FitPretrainedPq"/>).</summary>
    public PqAttentionTransformer? Pq => _pqTransformer;

    /// <summary>
    /// The pretrained stage followed by product quantization for approximate retrieval (fitted on first use), adding
    /// SeminarPqInterest and SeminarPqScore.
    /// </summary>
    public ITransformer FitPretrainedPq(MLContext ml, IDataView train)
    {
        var pretrained = FitPretrained(ml, train);
        if (_pretrainedPq != null) return _pretrainedPq;
        var clock = Stopwatch.StartNew();
        _pqTransformer = ml.Seminar().PqAttention(_pq).Fit(pretrained.Transform(train));
        _pretrainedPq = new TransformerChain<ITransformer>(pretrained, _pqTransformer);
        PqSeconds = clock.Elapsed.TotalSeconds;
        return _pretrainedPq;
    }

    /// <summary>The fitted stage for <paramref name="train"/>, fine-tuned (fitted on first use).</summary>
    public ITransformer Fit(MLContext ml, IDataView train)
    {
        Ensure(ml, train);
        return _model!;
    }

    /// <summary>The fitted stage for <paramref name="train"/> with the PSU as pretraining left it (fitted on first use).</summary>
    public ITransformer FitPretrained(MLContext ml, IDataView train)
    {
        Ensure(ml, train);
        return _pretrained!;
    }

    void Ensure(MLContext ml, IDataView train)
    {
        if (_model != null && ReferenceEquals(_fittedOn, train)) return;
        var clock = Stopwatch.StartNew();
        var side = _psu.SideFeaturesColumn == SideFeaturesColumn ? ml.Transforms.Concatenate(SideFeaturesColumn, Protocol.BaselineFeatures.Names).Fit(train) : null;
        var featurizer = ml.Seminar().FeaturizeSequences(_catalog, _featurizer).Fit(train);
        _fittedFeaturizer = featurizer;
        _pretrainedPq = null;
        _pqTransformer = null;
        var psu = ml.Seminar().PsuEmbedding(_psu).FitWithPretrained(featurizer.Transform(side?.Transform(train) ?? train));
        ITransformer[] Chain(ITransformer last) => side == null ? new ITransformer[] { featurizer, last } : new ITransformer[] { side, featurizer, last };
        _model = new TransformerChain<ITransformer>(Chain(psu.Final));
        _pretrained = new TransformerChain<ITransformer>(Chain(psu.Pretrained));
        Seconds = clock.Elapsed.TotalSeconds;
        _fittedOn = train;
    }
}

/// <summary>
/// <c>seminar_neural</c>: the fine-tuned PSU's own prediction, <c>sigmoid(SeminarScore)</c>; over a variant's stage, that variant
/// (<see cref="SeminarVariant"/>).
/// </summary>
public sealed class SeminarNeural : IComparedModel
{
    /// <summary>The report name.</summary>
    public const string ModelName = "seminar_neural";

    readonly SeminarStage _stage;

    /// <summary>Creates the model over a stage, reported as <paramref name="name"/> (a variant's name, or <c>seminar_neural</c>).</summary>
    public SeminarNeural(SeminarStage stage, string name = ModelName)
    {
        _stage = stage;
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string ProbabilityColumn => "Probability";

    /// <inheritdoc />
    public IEstimator<ITransformer> BuildPipeline(MLContext ml) => Probability(ml);

    static IEstimator<ITransformer> Probability(MLContext ml) => ml.Transforms.Expression("Probability", "x => 1 / (1 + exp(-x))", "SeminarScore");

    /// <inheritdoc />
    public FittedModel Fit(MLContext ml, IDataView train)
    {
        var stage = _stage.Fit(ml, train);
        var clock = Stopwatch.StartNew();
        var head = Probability(ml).Fit(stage.Transform(train));
        return new FittedModel(new TransformerChain<ITransformer>(stage, head), _stage.Seconds + clock.Elapsed.TotalSeconds);
    }
}

/// <summary>
/// <c>fasttree_seminar</c>: FastTree on the baseline features plus <c>SeminarInterest</c> and <c>SeminarScore</c> (exact
/// attention) of the pretrained PSU: fine-tuned outputs on the PSU's own training rows would teach the trees to over-trust them.
/// With <c>approximate</c> it is <c>fasttree_seminar_pq</c>: the same on <c>SeminarPqInterest</c> and <c>SeminarPqScore</c>,
/// each head's top-K found by the product-quantized scan.
/// </summary>
public sealed class FastTreeSeminar : IComparedModel
{
    /// <summary>The report name with exact attention.</summary>
    public const string ModelName = "fasttree_seminar";
    /// <summary>The report name with approximate retrieval.</summary>
    public const string PqModelName = "fasttree_seminar_pq";

    readonly SeminarStage _stage;
    readonly FastTreeBaseline _trees;

    /// <summary>Creates the model over a shared stage, with FastTree options (defaults when null).</summary>
    /// <param name="stage">The shared featurizer + PSU stage.</param>
    /// <param name="trees">FastTree options.</param>
    /// <param name="approximate">Whether the SEMINAR features come from approximate retrieval (<c>fasttree_seminar_pq</c>).</param>
    public FastTreeSeminar(SeminarStage stage, FastTreeBaselineOptions? trees = null, bool approximate = false)
    {
        _stage = stage;
        _trees = new FastTreeBaseline(trees);
        Approximate = approximate;
    }

    /// <summary>Whether this is <c>fasttree_seminar_pq</c>.</summary>
    public bool Approximate { get; }

    /// <summary>The stage (with <see cref="Approximate"/>, its <see cref="SeminarStage.Pq"/> is the fitted quantization after <see cref="Fit"/>).</summary>
    public SeminarStage Stage => _stage;

    /// <inheritdoc />
    public string Name => Approximate ? PqModelName : ModelName;

    /// <inheritdoc />
    public string ProbabilityColumn => "Probability";

    /// <inheritdoc />
    public IEstimator<ITransformer> BuildPipeline(MLContext ml) => Trees(ml);

    IEstimator<ITransformer> Trees(MLContext ml) =>
        (Approximate ? FastTreeBaseline.Featurize(ml, "SeminarPqInterest", "SeminarPqScore") : FastTreeBaseline.Featurize(ml, "SeminarInterest", "SeminarScore"))
        .Append(_trees.Trainer(ml));

    /// <inheritdoc />
    public FittedModel Fit(MLContext ml, IDataView train)
    {
        var stage = Approximate ? _stage.FitPretrainedPq(ml, train) : _stage.FitPretrained(ml, train);
        var clock = Stopwatch.StartNew();
        var trees = Trees(ml).Fit(stage.Transform(train));
        return new FittedModel(new TransformerChain<ITransformer>(stage, trees), _stage.Seconds + (Approximate ? _stage.PqSeconds : 0) + clock.Elapsed.TotalSeconds);
    }
}
