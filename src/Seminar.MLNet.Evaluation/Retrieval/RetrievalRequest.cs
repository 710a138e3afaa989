namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>One request in the PSU's index space (the featurizer's outputs): a history and a target pair.</summary>
/// <param name="HistoryItems">Item index per behaviour; 0 is padding.</param>
/// <param name="HistoryQueryTokens">Query token indices per behaviour, T each, flattened.</param>
/// <param name="TargetItem">Target item index.</param>
/// <param name="QueryTokens">Target query token indices (T).</param>
public sealed record RetrievalRequest(long[] HistoryItems, long[] HistoryQueryTokens, long TargetItem, long[] QueryTokens);
