using Microsoft.ML;
using Seminar.MLNet.Training.CrossFitting;

namespace Seminar.MLNet;

/// <summary>
/// What <see cref="PsuCrossFitting.CrossFit(Seminar.MLNet.SeminarCatalog, Func{int, IEstimator{ITransformer}}, IDataView, string, int, ITransformer?)"/>
/// returns: the model fitted on every training row, for new data, and the training rows with out-of-fold outputs, for a
/// downstream trainer (stacking).
/// </summary>
public sealed class CrossFittedFeatures
{
    readonly UserFolds _folds;

    internal CrossFittedFeatures(ITransformer model, IDataView outOfFoldTrain, IReadOnlyList<ITransformer> foldModels, UserFolds folds, string userColumnName)
    {
        Model = model;
        OutOfFoldTrain = outOfFoldTrain;
        FoldModels = foldModels;
        _folds = folds;
        UserColumnName = userColumnName;
    }

    /// <summary>The model fitted on all training rows: score test and serving data with it.</summary>
    public ITransformer Model { get; }

    /// <summary>
    /// Every training row exactly once, in the training view's order, with the model's output columns computed by the fold
    /// model that never saw the row's user. Train the downstream trainer on this view, not on <c>Model.Transform(train)</c>.
    /// </summary>
    /// <remarks>
    /// Only outputs whose meaning does not depend on which network produced them — a score, a probability — line up across
    /// folds and with <see cref="Model"/>. Vector outputs such as SeminarInterest come from separately trained networks whose
    /// coordinates differ, so a downstream trainer should not read them from this view.
    /// </remarks>
    public IDataView OutOfFoldTrain { get; }

    /// <summary>Per fold, the model fitted on the rows of every other fold's users; it scores its own fold's rows.</summary>
    public IReadOnlyList<ITransformer> FoldModels { get; }

    /// <summary>The user column the folds were drawn on.</summary>
    public string UserColumnName { get; }

    /// <summary>Number of folds.</summary>
    public int Folds => _folds.Count;

    /// <summary>Per fold, its users (ordinal order): <see cref="FoldModels"/>[f] was fitted on every training row of no user listed here.</summary>
    public IReadOnlyList<IReadOnlyList<string>> FoldUsers => _folds.Users;

    /// <summary>Per fold, how many training rows belong to it.</summary>
    public IReadOnlyList<long> FoldRows => _folds.RowCounts;

    /// <summary>The fold of each training row, in the training view's order.</summary>
    public IReadOnlyList<byte> RowFolds => _folds.RowFolds;

    /// <summary>The fold of a user, or -1 for a user with no training row.</summary>
    public int FoldOf(ReadOnlySpan<char> user) => _folds.FoldOf(user);

    /// <summary>
    /// The rows of <paramref name="rows"/> — the training view, <see cref="OutOfFoldTrain"/> or a one-to-one transform of
    /// either, read in training order — whose position and fold pass <paramref name="keep"/>: e.g. one fold's rows, or the
    /// rows of the other folds before a validation cut.
    /// </summary>
    public IDataView SelectRows(IDataView rows, Func<long, int, bool> keep)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(keep);
        var rowFolds = _folds.RowFolds;
        return new RowSubsetDataView(rows, position =>
            position < rowFolds.Length
                ? keep(position, rowFolds[position])
                : throw new InvalidOperationException($"The view has more rows than the {rowFolds.Length:N0} training rows the folds were drawn on."));
    }
}
