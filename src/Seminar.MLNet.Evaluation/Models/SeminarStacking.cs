namespace Seminar.MLNet.Evaluation.Models;

/// <summary>Which PSU outputs <c>fasttree_seminar</c>'s trees train on (<c>EvaluationOptions.Stacking</c>).</summary>
public enum SeminarStacking
{
    /// <summary>
    /// Choose on validation: both feature sets' trees are fitted on earlier training rows and compared by AUC on the
    /// validation rows, each scored by a PSU that never saw their users; the better is refitted on all training rows.
    /// </summary>
    Auto,
    /// <summary>
    /// The pretrained PSU's SeminarInterest and SeminarScore, computed by the PSU trained on the same rows: in-sample, since
    /// pretraining predicts each history's next pair, i.e. later training positives.
    /// </summary>
    InSamplePretrained,
    /// <summary>
    /// The fine-tuned SeminarScore out of fold: each training row scored by a PSU trained without its user
    /// (<see cref="PsuCrossFitting"/>), test rows by the PSU trained on all rows. Costs folds + 1 PSU trainings.
    /// </summary>
    CrossFitted,
}
