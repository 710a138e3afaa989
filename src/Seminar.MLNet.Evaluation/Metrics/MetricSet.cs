namespace Seminar.MLNet.Evaluation.Metrics;

/// <summary>The test metrics reported for one model.</summary>
/// <param name="Auc">ROC AUC over all samples (<see cref="BinaryMetrics.Auc"/>).</param>
/// <param name="Gauc">Per-user AUC weighted by the user's sample count (<see cref="GroupedMetrics.Gauc"/>).</param>
/// <param name="LogLoss">Mean binary cross-entropy in nats (<see cref="BinaryMetrics.LogLoss"/>).</param>
/// <param name="HitAt10">Share of positives ranked in the top 10 against their group's negatives.</param>
/// <param name="NdcgAt10">Mean NDCG@10 of each positive against its group's negatives.</param>
/// <param name="Mrr">Mean reciprocal rank of each positive against its group's negatives.</param>
public sealed record MetricSet(double Auc, double Gauc, double LogLoss, double HitAt10, double NdcgAt10, double Mrr)
{
    /// <summary>Computes all six metrics, using the probabilities as the scores for AUC, GAUC and ranking.</summary>
    /// <param name="probabilities">Predicted probability of the positive class per sample, each in [0, 1].</param>
    /// <param name="labels">One label per sample; <see langword="true"/> is positive.</param>
    /// <param name="users">The user of each sample, the groups of GAUC.</param>
    /// <param name="rankingGroups">The group each sample is ranked in: a positive with its sampled or observed negatives.</param>
    /// <returns>The metrics; each is NaN where it is undefined (see the individual functions).</returns>
    /// <exception cref="ArgumentException">The lengths differ, or a probability is NaN or outside [0, 1].</exception>
    public static MetricSet Compute(ReadOnlySpan<float> probabilities, ReadOnlySpan<bool> labels, ReadOnlySpan<int> users, ReadOnlySpan<int> rankingGroups)
    {
        MetricGuards.SameLength(probabilities.Length, nameof(probabilities), labels.Length, nameof(labels));
        MetricGuards.SameLength(probabilities.Length, nameof(probabilities), users.Length, nameof(users));
        MetricGuards.SameLength(probabilities.Length, nameof(probabilities), rankingGroups.Length, nameof(rankingGroups));
        double logLoss = BinaryMetrics.LogLoss(probabilities, labels); // also rejects NaN and out-of-range values
        var ranking = RankingMetrics.Evaluate(probabilities, labels, rankingGroups, k: 10);
        return new MetricSet(
            BinaryMetrics.Auc(probabilities, labels),
            GroupedMetrics.Gauc(probabilities, labels, users),
            logLoss,
            ranking.HitAtK,
            ranking.NdcgAtK,
            ranking.Mrr);
    }
}
