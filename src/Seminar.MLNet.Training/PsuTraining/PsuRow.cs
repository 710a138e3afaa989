namespace Seminar.MLNet.Training.PsuTraining;

/// <summary>One featurized row as training needs it: the most recent behaviours (item and query tokens), the target pair, the label and the side features.</summary>
sealed class PsuRow
{
    /// <summary>Whether the validation column flags the row (false when the reader reads no validation column).</summary>
    public bool Validation { get; init; }
    /// <summary>The user the row belongs to (null unless the reader reads a user column): pretraining on sequences groups by it.</summary>
    public string? User { get; init; }
    /// <summary>Behaviours in the row's history before truncation to the training window: the longest is the user's latest sequence.</summary>
    public int HistoryLength { get; init; }

    public required int[] Items { get; init; }
    /// <summary>Query tokens of each behaviour, <c>Items.Length × tokens</c>.</summary>
    public required int[] QueryTokens { get; init; }
    public required int Target { get; init; }
    public required int[] TargetQuery { get; init; }
    /// <summary>1 or 0; NaN when the data has no label column.</summary>
    public required float Label { get; init; }
    /// <summary>Position of the row in the data view (the validation split is a function of it).</summary>
    public required long Position { get; init; }
    /// <summary>The row's side features standardised (<see cref="PsuScoring.SideFeatureScaling"/>); null without a side feature column.</summary>
    public float[]? Side { get; init; }

    public int Length => Items.Length;
}
