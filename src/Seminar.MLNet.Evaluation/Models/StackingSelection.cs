using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Evaluation.Metrics;
using Seminar.MLNet.Evaluation.Protocol;

namespace Seminar.MLNet.Evaluation.Models;

/// <summary>
/// <see cref="SeminarStacking.Auto"/>: compares the two feature sets on validation rows that no PSU involved has seen. For
/// each fold f, the trees are fitted on the non-validation rows of the other folds' users and scored on the validation rows
/// of fold f's users; both candidates read fold f's PSU there, which never saw those users. The in-sample candidate's
/// trees train on fold f's pretrained PSU's outputs for its own training rows — in-sample, exactly as the full PSU's are
/// for the final trees — so the gap between its training and validation rows is the one test rows meet.
/// </summary>
static class StackingSelection
{
    /// <summary>Share of the latest training rows (by timestamp) that validate when the view has no IsValidation column.</summary>
    internal const double FallbackValidationShare = 0.1;

    /// <summary>
    /// Whether each training row validates: the IsValidation column when the view has one, else the latest
    /// <see cref="FallbackValidationShare"/> of rows by timestamp (ties by row order).
    /// </summary>
    internal static bool[] ValidationRows(IDataView train)
    {
        if (train.Schema.GetColumnOrNull(SeminarColumns.IsValidation) is { } flag)
            return train.GetColumn<bool>(flag).ToArray();
        if (train.Schema.GetColumnOrNull(SampleDataView.Timestamp) is not { } timestamp)
            throw new InvalidOperationException(
                $"Choosing the stacking on validation needs a Boolean '{SeminarColumns.IsValidation}' column or an Int64 '{SampleDataView.Timestamp}' column in the training data.");
        var time = train.GetColumn<long>(timestamp).ToArray();
        int count = (int)Math.Ceiling(time.Length * FallbackValidationShare);
        var validation = new bool[time.Length];
        foreach (int row in Enumerable.Range(0, time.Length).OrderBy(r => time[r]).ThenBy(r => r).Skip(time.Length - count))
            validation[row] = true;
        return validation;
    }

    /// <summary>
    /// Picks the candidate with the higher mean validation AUC over folds (cross-fitted on a tie, and when no fold's validation
    /// rows hold both labels).
    /// </summary>
    /// <param name="train">The training view.</param>
    /// <param name="crossFitted">The stage cross-fitted on <paramref name="train"/>.</param>
    /// <param name="foldPretrained">Per fold, the stage as pretraining left fold f's PSU.</param>
    /// <param name="trees">The trees (featurization and trainer) of a candidate.</param>
    internal static StackingOutcome Choose(IDataView train, CrossFittedFeatures crossFitted, IReadOnlyList<ITransformer> foldPretrained,
        Func<SeminarStacking, IEstimator<ITransformer>> trees)
    {
        var validation = ValidationRows(train);
        var inSample = new List<double>();
        var outOfFold = new List<double>();
        for (int f = 0; f < crossFitted.Folds; f++)
        {
            int fold = f;
            Func<long, int, bool> fit = (row, g) => g != fold && !validation[row];
            Func<long, int, bool> score = (row, g) => g == fold && validation[row];
            var labels = crossFitted.SelectRows(train, score).GetColumn<bool>(SeminarColumns.Label).ToArray();
            if (!labels.Contains(true) || !labels.Contains(false)) continue;   // AUC needs both classes

            var stage = foldPretrained[f];
            inSample.Add(Auc(trees(SeminarStacking.InSamplePretrained), stage.Transform(crossFitted.SelectRows(train, fit)),
                stage.Transform(crossFitted.SelectRows(train, score)), labels));
            outOfFold.Add(Auc(trees(SeminarStacking.CrossFitted), crossFitted.SelectRows(crossFitted.OutOfFoldTrain, fit),
                crossFitted.SelectRows(crossFitted.OutOfFoldTrain, score), labels));
        }
        // Nothing to choose on (no validation rows, or one label only): out-of-fold features are the ones that cannot be
        // in-sample, so they are kept rather than failing a long run at its end; the report shows no validation AUCs.
        if (inSample.Count == 0) return new StackingOutcome(SeminarStacking.CrossFitted, null);
        double a = inSample.Average(), b = outOfFold.Average();
        return new StackingOutcome(b >= a ? SeminarStacking.CrossFitted : SeminarStacking.InSamplePretrained, new Dictionary<string, double>
        {
            [StackingOutcome.ReportName(SeminarStacking.InSamplePretrained)] = a,
            [StackingOutcome.ReportName(SeminarStacking.CrossFitted)] = b,
        });
    }

    static double Auc(IEstimator<ITransformer> trees, IDataView fit, IDataView score, bool[] labels) =>
        BinaryMetrics.Auc(ModelRunner.ReadSingleColumn(trees.Fit(fit).Transform(score), "Probability"), labels);
}
