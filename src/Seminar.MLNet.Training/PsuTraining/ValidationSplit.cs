namespace Seminar.MLNet.Training.PsuTraining;

/// <summary>
/// Which rows fine-tuning holds out to choose its epoch. Rows drawn from the same users, period and searches as the
/// training rows cannot show overfitting to them, so the held-out rows are the input's validation flags when it has
/// them (the evaluation harness flags the latest share of the training period) and otherwise the last rows in data
/// order, which are the latest period when rows come in time order.
/// </summary>
sealed class ValidationSplit
{
    readonly bool _byFlag;
    readonly long _firstHeldOut;

    ValidationSplit(bool byFlag, long firstHeldOut, long heldOut, long rows)
    {
        _byFlag = byFlag;
        _firstHeldOut = firstHeldOut;
        HeldOutRows = heldOut;
        TrainingRows = rows - heldOut;
    }

    /// <summary>Rows held out (0 = no validation: every epoch runs and the last is kept).</summary>
    public long HeldOutRows { get; }
    /// <summary>Rows fine-tuning trains on.</summary>
    public long TrainingRows { get; }
    /// <summary>Whether any row is held out.</summary>
    public bool Enabled => HeldOutRows > 0;

    /// <summary>
    /// The split for the options and data: none when fine-tuning is off or <see cref="PsuEmbeddingOptions.ValidationFraction"/>
    /// is 0; the flagged rows when the reader reads a validation column; else the last <c>ValidationFraction</c> share
    /// (at least one row when there are two or more).
    /// </summary>
    public static ValidationSplit For(PsuEmbeddingOptions options, PsuTrainer.DataSummary summary, bool flagged)
    {
        if (options.LabelColumnName == null || options.ValidationFraction <= 0) return new ValidationSplit(false, long.MaxValue, 0, summary.Rows);
        if (flagged)
        {
            if (summary.Flagged >= summary.Rows)
                throw new InvalidOperationException(
                    $"Validation column '{options.ValidationSetColumnName}' flags all {summary.Rows:N0} rows: fine-tuning needs rows to train on.");
            return new ValidationSplit(true, long.MaxValue, summary.Flagged, summary.Rows);
        }
        long tail = summary.Rows < 2 ? 0 : Math.Max(1, (long)Math.Round(summary.Rows * options.ValidationFraction));
        return new ValidationSplit(false, summary.Rows - tail, tail, summary.Rows);
    }

    /// <summary>Whether the row is held out: never trained on, only scored for validation.</summary>
    public bool HoldsOut(PsuRow row) => _byFlag ? row.Validation : row.Position >= _firstHeldOut;
}
