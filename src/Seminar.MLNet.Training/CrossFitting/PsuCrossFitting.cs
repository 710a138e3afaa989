using Microsoft.ML;
using Microsoft.ML.Runtime;
using Seminar.MLNet.Training.CrossFitting;

namespace Seminar.MLNet;

/// <summary>
/// Cross-fitting (out-of-fold features) for stacking a tree model on the PSU. A PSU trained on a user's rows scores those
/// rows more confidently than new ones — pretraining even predicts the next pair of each history, i.e. later training
/// positives — so trees trained on its in-sample outputs over-trust them on test rows. Cross-fitting deals the users into
/// k folds, fits one model per fold on the other folds' users, scores each fold's rows with the model that never saw them,
/// and fits the full model on every row for new data. It costs k + 1 fits.
/// </summary>
/// <example>
/// <code>
/// var features = ml.Seminar().CrossFit(seed =>
///         ml.Seminar().FeaturizeSequences(catalog).Append(ml.Seminar().PsuEmbedding(new PsuEmbeddingOptions { Seed = seed })),
///     train, "UserId", folds: 3);
/// var trees = ml.Transforms.Concatenate("Features", "SeminarScore", "Price")
///     .Append(ml.BinaryClassification.Trainers.FastTree()).Fit(features.OutOfFoldTrain);
/// var model = features.Model.Append(trees);   // test and serving: the full PSU, then the trees
/// </code>
/// </example>
public static class PsuCrossFitting
{
    /// <summary>
    /// Cross-fits one estimator (see <see cref="PsuCrossFitting"/>). Each fit draws its seeds from the estimator's own
    /// context, so fold models differ only through that stream; use the overload taking a seed when the estimator's
    /// options fix a seed.
    /// </summary>
    /// <param name="catalog">The SEMINAR catalog of the context the fold assignment draws its seed from.</param>
    /// <param name="estimator">The estimator to cross-fit (e.g. FeaturizeSequences followed by PsuEmbedding); it must map rows one to one.</param>
    /// <param name="train">The training rows (read several times in the same order; not shuffled).</param>
    /// <param name="userColumnName">Text column of user ids: folds hold whole users.</param>
    /// <param name="folds">Number of folds (at least 2). Default 3.</param>
    public static CrossFittedFeatures CrossFit(this SeminarCatalog catalog, IEstimator<ITransformer> estimator, IDataView train,
        string userColumnName = SeminarColumns.UserId, int folds = 3)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        return catalog.CrossFit(_ => estimator, train, userColumnName, folds);
    }

    /// <summary>
    /// Cross-fits (see <see cref="PsuCrossFitting"/>) the estimators <paramref name="estimatorFor"/> builds: it is called once
    /// per fold model and once for the full model with a seed derived from the context's seed, different for each fit — pass
    /// it on (e.g. as <c>PsuEmbeddingOptions.Seed</c>) so the fits are reproducible.
    /// </summary>
    /// <param name="catalog">The SEMINAR catalog of the context the seeds are drawn from.</param>
    /// <param name="estimatorFor">Builds an estimator for a seed; each estimator must map rows one to one.</param>
    /// <param name="train">The training rows (read several times in the same order; not shuffled).</param>
    /// <param name="userColumnName">Text column of user ids: folds hold whole users.</param>
    /// <param name="folds">Number of folds (at least 2). Default 3.</param>
    /// <param name="model">The full model when it is already fitted on <paramref name="train"/>: it is then not fitted again.</param>
    public static CrossFittedFeatures CrossFit(this SeminarCatalog catalog, Func<int, IEstimator<ITransformer>> estimatorFor, IDataView train,
        string userColumnName = SeminarColumns.UserId, int folds = 3, ITransformer? model = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(estimatorFor);
        ArgumentNullException.ThrowIfNull(train);
        var host = ((IHostEnvironment)catalog.Context).Register(nameof(PsuCrossFitting));
        int assignmentSeed = host.Rand.Next();
        var seeds = Enumerable.Range(0, folds + 1).Select(_ => host.Rand.Next()).ToArray();
        var userFolds = UserFolds.Build(train, userColumnName, folds, assignmentSeed);
        using var channel = host.Start(nameof(PsuCrossFitting));

        var foldModels = new ITransformer[folds];
        var scored = new IDataView[folds];
        for (int f = 0; f < folds; f++)
        {
            int fold = f;
            channel.Info(MessageSensitivity.None, $"Cross-fitting fold {f + 1} of {folds}: fitting on the other folds' {userFolds.RowFolds.Length - userFolds.RowCounts[f]:N0} rows, " +
                $"scoring its own {userFolds.RowCounts[f]:N0} rows of {userFolds.Users[f].Count:N0} users.");
            foldModels[f] = estimatorFor(seeds[f]).Fit(Rows(train, userFolds, r => r != fold));
            scored[f] = foldModels[f].Transform(Rows(train, userFolds, r => r == fold));
        }
        if (model == null)
        {
            channel.Info(MessageSensitivity.None, $"Cross-fitting: fitting the full model on all {userFolds.RowFolds.Length:N0} rows.");
            model = estimatorFor(seeds[folds]).Fit(train);
        }
        var outOfFold = new OutOfFoldDataView(model.GetOutputSchema(train.Schema), scored, userFolds.RowFolds);
        return new CrossFittedFeatures(model, outOfFold, foldModels, userFolds, userColumnName);
    }

    static IDataView Rows(IDataView train, UserFolds folds, Func<byte, bool> fold)
    {
        var rowFolds = folds.RowFolds;
        return new RowSubsetDataView(train, position => fold(rowFolds[position]));
    }
}
