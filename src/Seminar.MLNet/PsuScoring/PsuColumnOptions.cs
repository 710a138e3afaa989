using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet;

/// <summary>
/// Columns the PSU reads (the sequence featurizer's outputs, with its default names) and writes.
/// </summary>
public class PsuColumnOptions
{
    /// <summary>Input: item index per behaviour (vector of Int64).</summary>
    public string HistoryItemIndicesColumnName { get; set; } = "SeminarHistoryItems";
    /// <summary>Input: query token indices per behaviour, flattened (vector of Int64, MaxQueryTokens per behaviour).</summary>
    public string HistoryQueryTokensColumnName { get; set; } = "SeminarHistoryQueryTokens";
    /// <summary>Input: target item index (vector of Int64 of size 1).</summary>
    public string TargetItemIndexColumnName { get; set; } = "SeminarTargetItem";
    /// <summary>Input: target query token indices (vector of Int64 of size MaxQueryTokens).</summary>
    public string QueryTokensColumnName { get; set; } = "SeminarQueryTokens";
    /// <summary>
    /// Input: optional side features for the head (known-size vector of Single: context, user, item and user–item counts), read
    /// after <c>[o; t; o ⊙ t]</c> as the paper's ranking tower does. Null (the default) = none. Its size is fixed when the PSU is
    /// fitted and checked at scoring; NaN or infinite values are errors naming the column and row. See <see cref="SideFeatureScaling"/>.
    /// </summary>
    public string? SideFeaturesColumnName { get; set; }

    /// <summary>Output: the fused target pair t (vector of Single, D).</summary>
    public string OutputTargetColumnName { get; set; } = "SeminarTarget";
    /// <summary>Output: the ESU interest vector o (vector of Single, D).</summary>
    public string OutputInterestColumnName { get; set; } = "SeminarInterest";
    /// <summary>Output: the head's logit (vector of Single of size 1).</summary>
    public string OutputScoreColumnName { get; set; } = "SeminarScore";
}
