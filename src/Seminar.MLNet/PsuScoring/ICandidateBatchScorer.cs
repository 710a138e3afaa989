namespace Seminar.MLNet.PsuScoring;

/// <summary>
/// A SEMINAR stage's scorer that takes one history and a request's candidates in one call, so the history is checked,
/// prepared and shared once rather than per candidate row (the exact PSU's <see cref="PsuRowScorer"/>, approximate
/// retrieval's <see cref="Quantization.PqRowScorer"/>). Not thread-safe, as the row scorers.
/// </summary>
internal interface ICandidateBatchScorer
{
    /// <summary>Scores the candidates against the history; see <see cref="PsuRowScorer.ScoreCandidates"/> for the layouts.</summary>
    /// <param name="historyItems">Item index per behaviour (L); 0 is padding.</param>
    /// <param name="historyQueryTokens">Query token indices per behaviour, flattened (L·T).</param>
    /// <param name="targetItems">Each candidate's item index (C).</param>
    /// <param name="queryTokens">Each candidate's query token indices, flattened (C·T).</param>
    /// <param name="sideFeatures">Each candidate's side features, flattened (C·S; empty when the PSU takes none).</param>
    /// <param name="logits">Receives each candidate's logit (C).</param>
    /// <param name="targets">Receives each candidate's fused target pair (C·D), or empty.</param>
    /// <param name="interests">Receives each candidate's interest vector (C·D), or empty.</param>
    void ScoreCandidates(ReadOnlySpan<long> historyItems, ReadOnlySpan<long> historyQueryTokens, ReadOnlySpan<long> targetItems,
        ReadOnlySpan<long> queryTokens, ReadOnlySpan<float> sideFeatures, Span<float> logits, Span<float> targets, Span<float> interests);
}
