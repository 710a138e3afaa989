namespace Seminar.MLNet.Evaluation.Metrics;

/// <summary>Ranking quality of each positive against the negatives of its own group, averaged over positives.</summary>
/// <param name="HitAtK">Share of positives ranked within the top k.</param>
/// <param name="NdcgAtK">Mean NDCG@k with one relevant item: 1/log2(rank + 1) when rank &lt;= k, else 0.</param>
/// <param name="Mrr">Mean reciprocal rank, 1/rank.</param>
/// <param name="Positives">Positives averaged over (those with at least one negative in their group).</param>
/// <param name="PositivesSkipped">Positives left out because their group has no negative.</param>
public sealed record RankingResult(double HitAtK, double NdcgAtK, double Mrr, int Positives, int PositivesSkipped);
