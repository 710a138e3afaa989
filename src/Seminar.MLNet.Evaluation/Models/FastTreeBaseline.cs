using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;
using Seminar.MLNet.Evaluation.Protocol;

namespace Seminar.MLNet.Evaluation.Models;

/// <summary>Options of <see cref="FastTreeBaseline"/>.</summary>
public sealed class FastTreeBaselineOptions
{
    /// <summary>Boosted trees. Default 200.</summary>
    public int NumberOfTrees { get; set; } = 200;
    /// <summary>Leaves per tree. Default 31.</summary>
    public int NumberOfLeaves { get; set; } = 31;
    /// <summary>Minimum samples per leaf. Default 20.</summary>
    public int MinimumExampleCountPerLeaf { get; set; } = 20;
    /// <summary>Learning rate. Default 0.1.</summary>
    public double LearningRate { get; set; } = 0.1;
}

/// <summary>
/// <c>fasttree_baseline</c>: the FastTree pipeline a .NET developer builds today without SEMINAR —
/// one-hot target item and user ids plus the count features of <see cref="BaselineFeatures"/>.
/// </summary>
public sealed class FastTreeBaseline : IComparedModel
{
    /// <summary>The report name.</summary>
    public const string ModelName = "fasttree_baseline";

    readonly FastTreeBaselineOptions _options;

    /// <summary>Creates the baseline with options (defaults when null).</summary>
    public FastTreeBaseline(FastTreeBaselineOptions? options = null) => _options = options ?? new();

    /// <inheritdoc />
    public string Name => ModelName;

    /// <inheritdoc />
    public string ProbabilityColumn => "Probability";

    /// <summary>The feature columns the baseline concatenates, for pipelines that extend it.</summary>
    public static string[] FeatureColumns { get; } = new[] { "TargetItemOneHot", "UserIdOneHot" }.Concat(BaselineFeatures.Names).ToArray();

    /// <summary>The featurization part alone (one-hot ids + counts into "Features"), for pipelines that add columns.</summary>
    public static IEstimator<ITransformer> Featurize(MLContext ml, params string[] extraFeatureColumns) =>
        ml.Transforms.Categorical.OneHotEncoding(new[]
            {
                new InputOutputColumnPair("TargetItemOneHot", SeminarColumns.TargetItem),
                new InputOutputColumnPair("UserIdOneHot", SeminarColumns.UserId),
            })
            .Append(ml.Transforms.Concatenate("Features", FeatureColumns.Concat(extraFeatureColumns).ToArray()));

    /// <summary>The FastTree trainer with these options.</summary>
    public IEstimator<ITransformer> Trainer(MLContext ml) =>
        ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            LabelColumnName = SeminarColumns.Label,
            FeatureColumnName = "Features",
            NumberOfTrees = _options.NumberOfTrees,
            NumberOfLeaves = _options.NumberOfLeaves,
            MinimumExampleCountPerLeaf = _options.MinimumExampleCountPerLeaf,
            LearningRate = _options.LearningRate,
        });

    /// <inheritdoc />
    public IEstimator<ITransformer> BuildPipeline(MLContext ml) => Featurize(ml).Append(Trainer(ml));
}
