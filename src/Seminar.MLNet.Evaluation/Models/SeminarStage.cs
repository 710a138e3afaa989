using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Evaluation.Reporting;
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
    /// the PSU, when the PSU's <see cref="PsuColumnOptions.SideFeaturesColumnName"/> names it: the head then sees what FastTree sees.
    /// </summary>
    public const string SideFeaturesColumnName = "SeminarSideFeatures";

    readonly IDataView _catalog;
    readonly SequenceFeaturizerOptions _featurizer;
    readonly PsuEmbeddingOptions _psu;
    readonly PqAttentionOptions _pq;
    IDataView? _fittedOn;
    ITransformer? _model, _pretrained, _pretrainedPq, _fineTunedPq;
    SequenceFeaturizerTransformer? _fittedFeaturizer;
    PqAttentionTransformer? _pqTransformer;
    CrossFittedFeatures? _crossFitted;
    IReadOnlyList<ITransformer>? _foldPretrained;
    (StackingOutcome Outcome, double Seconds)? _stacking;
    (ITransformer Trees, double Seconds)? _stackedTrees;

    /// <summary>Creates the stage over an item catalog with featurizer, PSU and product quantization options.</summary>
    public SeminarStage(IDataView catalog, SequenceFeaturizerOptions featurizer, PsuEmbeddingOptions psu, PqAttentionOptions? pq = null)
    {
        _catalog = catalog;
        _featurizer = featurizer;
        _psu = psu;
        _pq = pq ?? new PqAttentionOptions();
        _pq.SideFeaturesColumnName = psu.SideFeaturesColumnName;   // the quantized PSU runs the same head
        _pq.Quantizer = FitSubSpaces(_pq.Quantizer, psu.Dimension);
    }

    /// <summary>
    /// The quantizer options with the largest sub-space count at most the requested one that divides D: the catalog codes'
    /// default of 32 needs D ≥ 32, and the small PSUs of tests and quick runs would otherwise fail to fit. A copy when changed.
    /// </summary>
    internal static ProductQuantizerOptions FitSubSpaces(ProductQuantizerOptions quantizer, int dimension)
    {
        if (dimension < 1 || quantizer.SubSpaces < 1 || dimension % quantizer.SubSpaces == 0) return quantizer;
        int m = Math.Min(quantizer.SubSpaces, dimension);
        while (dimension % m != 0) m--;
        return new ProductQuantizerOptions
        {
            SubSpaces = m, Centroids = quantizer.Centroids, Iterations = quantizer.Iterations,
            MaxPointsPerCentroid = quantizer.MaxPointsPerCentroid, Initialization = quantizer.Initialization,
        };
    }

    /// <summary>Seconds the featurizer and PSU fit took.</summary>
    public double Seconds { get; private set; }
    /// <summary>Seconds the fold fits of <see cref="FitCrossFitted"/> took (0 until then).</summary>
    public double CrossFitSeconds { get; private set; }
    /// <summary>Seconds the product quantization fit took (0 until <see cref="FitPretrainedPq"/>).</summary>
    public double PqSeconds { get; private set; }
    /// <summary>The fitted featurizer (null before the first fit).</summary>
    public SequenceFeaturizerTransformer? Featurizer => _fittedFeaturizer;
    /// <summary>
    /// The product quantization <c>fasttree_seminar_pq</c> used: of the pretrained PSU (<see cref="FitPretrainedPq"/>) or of the
    /// fine-tuned one (<see cref="FitFineTunedPq"/>), whichever was fitted last; null before either.
    /// </summary>
    public PqAttentionTransformer? Pq => _pqTransformer;

    /// <summary>
    /// The fine-tuned stage followed by product quantization (fitted on first use): what cross-fitted stacking serves with
    /// approximate retrieval, its <c>SeminarPqScore</c> standing in for the out-of-fold exact <c>SeminarScore</c> the trees learnt.
    /// </summary>
    public ITransformer FitFineTunedPq(MLContext ml, IDataView train)
    {
        var model = Fit(ml, train);
        return _fineTunedPq ??= WithPq(ml, train, model);
    }

    /// <summary>
    /// The pretrained stage followed by product quantization for approximate retrieval (fitted on first use), adding
    /// SeminarPqInterest and SeminarPqScore.
    /// </summary>
    public ITransformer FitPretrainedPq(MLContext ml, IDataView train)
    {
        var pretrained = FitPretrained(ml, train);
        return _pretrainedPq ??= WithPq(ml, train, pretrained);
    }

    /// <summary><paramref name="stage"/> followed by product quantization fitted on its outputs; <see cref="Pq"/> and <see cref="PqSeconds"/> follow it.</summary>
    ITransformer WithPq(MLContext ml, IDataView train, ITransformer stage)
    {
        var clock = Stopwatch.StartNew();
        _pqTransformer = ml.Seminar().PqAttention(_pq).Fit(stage.Transform(train));
        PqSeconds = clock.Elapsed.TotalSeconds;
        return new TransformerChain<ITransformer>(stage, _pqTransformer);
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

    /// <summary>
    /// The stage cross-fitted over users on <paramref name="train"/> (fitted on first use): one featurizer + PSU per fold on
    /// the other folds' users, the full model being <see cref="Fit"/>'s. <see cref="FoldPretrained"/> then holds each fold's
    /// PSU as pretraining left it.
    /// </summary>
    public CrossFittedFeatures FitCrossFitted(MLContext ml, IDataView train, int folds)
    {
        Ensure(ml, train);
        if (_crossFitted?.Folds == folds) return _crossFitted;
        var clock = Stopwatch.StartNew();
        var fits = new List<FoldFit>();
        _crossFitted = ml.Seminar().CrossFit(seed =>
        {
            var psu = _psu.Clone();
            psu.Seed = seed;
            var fit = new FoldFit(this, ml, psu);
            fits.Add(fit);
            return fit;
        }, train, SeminarColumns.UserId, folds, _model);
        _foldPretrained = fits.Select(f => f.Pretrained ?? throw new InvalidOperationException("A fold's estimator was never fitted.")).ToArray();
        _stacking = null;
        _stackedTrees = null;
        CrossFitSeconds = clock.Elapsed.TotalSeconds;
        return _crossFitted;
    }

    /// <summary>
    /// The stacking choice on the cross-fitted features, made once per fit with its seconds: the exact and the PQ model
    /// choose on the same exact features, so the second reuses the first's choice (and reports what it cost).
    /// </summary>
    internal (StackingOutcome Outcome, double Seconds) ChooseStacking(Func<StackingOutcome> choose) => _stacking ??= Timed(choose);

    /// <summary>The trees fitted on the out-of-fold score, once per fit with their seconds: both stacked models learn the same ones.</summary>
    internal (ITransformer Trees, double Seconds) FitStackedTrees(Func<ITransformer> fit) => _stackedTrees ??= Timed(fit);

    static (T, double) Timed<T>(Func<T> work)
    {
        var clock = Stopwatch.StartNew();
        var result = work();
        return (result, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Per fold, the fold's stage with the PSU as pretraining left it (empty until <see cref="FitCrossFitted"/>).</summary>
    public IReadOnlyList<ITransformer> FoldPretrained => _foldPretrained ?? Array.Empty<ITransformer>();

    void Ensure(MLContext ml, IDataView train)
    {
        if (_model != null && ReferenceEquals(_fittedOn, train)) return;
        var clock = Stopwatch.StartNew();
        _pretrainedPq = null;
        _fineTunedPq = null;
        _pqTransformer = null;
        _crossFitted = null;
        _foldPretrained = null;
        _stacking = null;
        _stackedTrees = null;
        (_fittedFeaturizer, _model, _pretrained) = FitChains(ml, train, _psu);
        Seconds = clock.Elapsed.TotalSeconds;
        _fittedOn = train;
    }

    /// <summary>Featurizer then PSU on <paramref name="train"/>: the fine-tuned and the pretrained chain.</summary>
    (SequenceFeaturizerTransformer Featurizer, ITransformer Final, ITransformer Pretrained) FitChains(MLContext ml, IDataView train, PsuEmbeddingOptions options)
    {
        // The baseline's count features reach the PSU head as one side-feature vector (the ranking tower), for the fold PSUs too.
        var side = options.SideFeaturesColumnName == SideFeaturesColumnName ? ml.Transforms.Concatenate(SideFeaturesColumnName, Protocol.BaselineFeatures.Names).Fit(train) : null;
        var featurizer = ml.Seminar().FeaturizeSequences(_catalog, _featurizer).Fit(train);
        var psu = ml.Seminar().PsuEmbedding(options).FitWithPretrained(featurizer.Transform(side?.Transform(train) ?? train));
        ITransformer[] Chain(ITransformer last) => side == null ? new ITransformer[] { featurizer, last } : new ITransformer[] { side, featurizer, last };
        return (featurizer, new TransformerChain<ITransformer>(Chain(psu.Final)), new TransformerChain<ITransformer>(Chain(psu.Pretrained)));
    }

    /// <summary>One fold's stage for cross-fitting: returns the fine-tuned chain and keeps the pretrained one.</summary>
    sealed class FoldFit(SeminarStage stage, MLContext ml, PsuEmbeddingOptions psu) : IEstimator<ITransformer>
    {
        public ITransformer? Pretrained { get; private set; }

        public ITransformer Fit(IDataView input)
        {
            (_, var final, Pretrained) = stage.FitChains(ml, input, psu);
            return final;
        }

        public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
            ml.Seminar().FeaturizeSequences(stage._catalog, stage._featurizer).Append(ml.Seminar().PsuEmbedding(psu)).GetOutputSchema(inputSchema);
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

    // Scalar Score and Probability (not one-value vectors), so the saved zip binds to the usual float output class.
    static IEstimator<ITransformer> Probability(MLContext ml) => ml.Seminar().Prediction("SeminarScore");

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
/// <c>fasttree_seminar</c>: FastTree on the baseline features plus SEMINAR's, stacked as <see cref="SeminarStacking"/> says:
/// the pretrained PSU's <c>SeminarInterest</c> and <c>SeminarScore</c> (exact attention), in-sample on the training rows, or the
/// fine-tuned <c>SeminarScore</c> cross-fitted out of fold, or whichever wins on validation. With <c>approximate</c> it is
/// <c>fasttree_seminar_pq</c>: the same choice served with approximate retrieval, each head's top-K found by the
/// product-quantized scan: in-sample, the pretrained PSU's <c>SeminarPqInterest</c> and <c>SeminarPqScore</c>; cross-fitted, the
/// trees learn from the out-of-fold exact <c>SeminarScore</c> (every fold's PSU would otherwise need its own codebooks) and
/// serve on the fine-tuned full PSU's <c>SeminarPqScore</c>, its approximation.
/// </summary>
public sealed class FastTreeSeminar : IComparedModel, IAnnotatesReport
{
    /// <summary>The report name with exact attention.</summary>
    public const string ModelName = "fasttree_seminar";
    /// <summary>The report name with approximate retrieval.</summary>
    public const string PqModelName = "fasttree_seminar_pq";

    readonly SeminarStage _stage;
    readonly FastTreeBaseline _trees;
    readonly int _folds;

    /// <summary>Creates the model over a shared stage, with FastTree options (defaults when null).</summary>
    /// <param name="stage">The shared featurizer + PSU stage.</param>
    /// <param name="trees">FastTree options.</param>
    /// <param name="approximate">Whether the SEMINAR features come from approximate retrieval (<c>fasttree_seminar_pq</c>).</param>
    /// <param name="stacking">Which PSU outputs the trees train on.</param>
    /// <param name="crossFitFolds">Folds of cross-fitting (at least 2).</param>
    public FastTreeSeminar(SeminarStage stage, FastTreeBaselineOptions? trees = null, bool approximate = false,
        SeminarStacking stacking = SeminarStacking.InSamplePretrained, int crossFitFolds = 3)
    {
        if (crossFitFolds < 2) throw new ArgumentOutOfRangeException(nameof(crossFitFolds), crossFitFolds, "Cross-fitting needs at least 2 folds.");
        _stage = stage;
        _trees = new FastTreeBaseline(trees);
        Approximate = approximate;
        Stacking = stacking;
        _folds = crossFitFolds;
    }

    /// <summary>Whether this is <c>fasttree_seminar_pq</c>.</summary>
    public bool Approximate { get; }

    /// <summary>The stacking asked for.</summary>
    public SeminarStacking Stacking { get; }

    /// <summary>The stacking the latest <see cref="Fit"/> used and, with <see cref="SeminarStacking.Auto"/>, the validation AUCs it rested on.</summary>
    public StackingOutcome? Outcome { get; private set; }

    /// <summary>The stage (with <see cref="Approximate"/>, its <see cref="SeminarStage.Pq"/> is the fitted quantization after <see cref="Fit"/>).</summary>
    public SeminarStage Stage => _stage;

    /// <inheritdoc />
    public string Name => Approximate ? PqModelName : ModelName;

    /// <inheritdoc />
    public string ProbabilityColumn => "Probability";

    /// <inheritdoc />
    public IEstimator<ITransformer> BuildPipeline(MLContext ml) => Trees(ml, Stacking == SeminarStacking.CrossFitted ? SeminarStacking.CrossFitted : SeminarStacking.InSamplePretrained, Approximate);

    IEstimator<ITransformer> Trees(MLContext ml, SeminarStacking stacking, bool approximate = false) =>
        (approximate && stacking == SeminarStacking.InSamplePretrained ? FastTreeBaseline.Featurize(ml, "SeminarPqInterest", "SeminarPqScore")
            // Out of fold only the score lines up across folds: each fold's network has interest coordinates of its own.
            : stacking == SeminarStacking.CrossFitted ? FastTreeBaseline.Featurize(ml, StackedScore)
            : FastTreeBaseline.Featurize(ml, "SeminarInterest", "SeminarScore"))
        .Append(_trees.Trainer(ml));

    /// <summary>The score column cross-fitted trees read: the exact out-of-fold score in training, the PQ score with approximate serving.</summary>
    const string StackedScore = "SeminarStackedScore";

    static IEstimator<ITransformer> StackScore(MLContext ml, string from) => ml.Transforms.CopyColumns(StackedScore, from);

    /// <inheritdoc />
    public FittedModel Fit(MLContext ml, IDataView train)
    {
        if (Stacking == SeminarStacking.InSamplePretrained)
        {
            Outcome = new StackingOutcome(SeminarStacking.InSamplePretrained, null);
            return FitInSample(ml, train, 0);
        }
        var crossFitted = _stage.FitCrossFitted(ml, train, _folds);
        // The choice is made on exact features for both models: approximate retrieval only serves what the trees learnt.
        double choosing = 0;
        if (Stacking == SeminarStacking.Auto)
            (Outcome, choosing) = _stage.ChooseStacking(() => StackingSelection.Choose(train, crossFitted, _stage.FoldPretrained, s => StackScore(ml, "SeminarScore").Append(Trees(ml, s))));
        else
            Outcome = new StackingOutcome(SeminarStacking.CrossFitted, null);
        if (Outcome.Used == SeminarStacking.InSamplePretrained) return FitInSample(ml, train, _stage.CrossFitSeconds + choosing);
        var (trees, fitting) = _stage.FitStackedTrees(() => StackScore(ml, "SeminarScore").Append(Trees(ml, SeminarStacking.CrossFitted)).Fit(crossFitted.OutOfFoldTrain));
        // Each model reports the shared work as its own, as it reports the shared stage's seconds.
        double seconds = _stage.Seconds + _stage.CrossFitSeconds + choosing + fitting;
        if (!Approximate)
            return new FittedModel(new TransformerChain<ITransformer>(crossFitted.Model, trees), seconds);
        // Served with approximate retrieval: the full fine-tuned PSU's PQ score takes the exact score's place.
        var clock = Stopwatch.StartNew();
        var served = _stage.FitFineTunedPq(ml, train);
        var pqScore = StackScore(ml, "SeminarPqScore").Fit(served.Transform(train));
        return new FittedModel(new TransformerChain<ITransformer>(new ITransformer[] { served, pqScore }.Concat(((IEnumerable<ITransformer>)trees).Skip(1)).ToArray()),
            seconds + _stage.PqSeconds + clock.Elapsed.TotalSeconds);
    }

    FittedModel FitInSample(MLContext ml, IDataView train, double extraSeconds)
    {
        var stage = Approximate ? _stage.FitPretrainedPq(ml, train) : _stage.FitPretrained(ml, train);
        var clock = Stopwatch.StartNew();
        var trees = Trees(ml, SeminarStacking.InSamplePretrained, Approximate).Fit(stage.Transform(train));
        return new FittedModel(new TransformerChain<ITransformer>(stage, trees),
            _stage.Seconds + (Approximate ? _stage.PqSeconds : 0) + extraSeconds + clock.Elapsed.TotalSeconds);
    }

    /// <inheritdoc />
    public void Annotate(ModelReport report)
    {
        if (Outcome == null) return;
        report.Stacking = StackingOutcome.ReportName(Outcome.Used);
        report.StackingValidationAuc = Outcome.ValidationAuc?.ToDictionary(kv => kv.Key, kv => kv.Value);
    }
}
