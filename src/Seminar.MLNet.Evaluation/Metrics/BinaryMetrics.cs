namespace Seminar.MLNet.Evaluation.Metrics;

/// <summary>Metrics of a binary classifier over a whole test set.</summary>
public static class BinaryMetrics
{
    /// <summary>
    /// ROC AUC by the rank statistic: the probability that a random positive scores higher than a
    /// random negative, a tie counting 1/2 (mid-ranks). O(n log n).
    /// </summary>
    /// <param name="scores">One score per item; higher means more likely positive. NaN is rejected.</param>
    /// <param name="labels">One label per item; <see langword="true"/> is positive.</param>
    /// <returns>The AUC in [0, 1], or <see cref="double.NaN"/> when either class is absent.</returns>
    /// <exception cref="ArgumentException">The lengths differ or a score is NaN.</exception>
    public static double Auc(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        MetricGuards.SameLength(scores.Length, nameof(scores), labels.Length, nameof(labels));
        MetricGuards.NoNaN(scores, nameof(scores));
        if (scores.IsEmpty) return double.NaN;
        SortKeys.RentSorted(scores, labels, default, out var keys, out var sorted);
        try
        {
            return SortKeys.SegmentAuc(keys.AsSpan(0, scores.Length), sorted.AsSpan(0, scores.Length), out _, out _);
        }
        finally
        {
            SortKeys.Return(keys, sorted);
        }
    }

    /// <summary>
    /// Mean binary cross-entropy in nats, each probability clipped to
    /// [<paramref name="epsilon"/>, 1 - <paramref name="epsilon"/>] first.
    /// </summary>
    /// <param name="probabilities">Predicted probability of the positive class per item, each in [0, 1].</param>
    /// <param name="labels">One label per item; <see langword="true"/> is positive.</param>
    /// <param name="epsilon">Clipping bound, in [0, 0.5).</param>
    /// <returns>The mean loss, or <see cref="double.NaN"/> for empty input.</returns>
    /// <exception cref="ArgumentException">The lengths differ, or a probability is NaN or outside [0, 1] (the message names its index and value).</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is not in [0, 0.5).</exception>
    public static double LogLoss(ReadOnlySpan<float> probabilities, ReadOnlySpan<bool> labels, double epsilon = 1e-15)
    {
        MetricGuards.SameLength(probabilities.Length, nameof(probabilities), labels.Length, nameof(labels));
        if (!(epsilon >= 0 && epsilon < 0.5))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be in [0, 0.5).");
        if (probabilities.IsEmpty) return double.NaN;
        double sum = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            float p = probabilities[i];
            if (!(p >= 0f && p <= 1f))
                throw new ArgumentException(
                    $"probabilities[{i}] is {MetricGuards.Show(p)}; probabilities must be in [0, 1].", nameof(probabilities));
            double q = Math.Clamp((double)p, epsilon, 1 - epsilon);
            sum -= labels[i] ? Math.Log(q) : Math.Log(1 - q);
        }
        return sum / probabilities.Length;
    }
}
