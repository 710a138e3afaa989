using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>Reads retrieval requests from a featurized view (the sequence featurizer's index columns).</summary>
public static class RetrievalRequests
{
    /// <summary>The first <paramref name="limit"/> rows of <paramref name="featurized"/> as requests.</summary>
    public static IReadOnlyList<RetrievalRequest> Read(IDataView featurized, int limit, PsuColumnOptions? columns = null)
    {
        columns ??= new PsuColumnOptions();
        var names = new[] { columns.HistoryItemIndicesColumnName, columns.HistoryQueryTokensColumnName, columns.TargetItemIndexColumnName, columns.QueryTokensColumnName };
        var cols = names.Select(n => featurized.Schema[n]).ToArray();
        var requests = new List<RetrievalRequest>();
        using var cursor = featurized.GetRowCursor(cols);
        var getters = cols.Select(c => cursor.GetGetter<VBuffer<long>>(c)).ToArray();
        var values = new VBuffer<long>[4];
        while (requests.Count < limit && cursor.MoveNext())
        {
            for (int i = 0; i < 4; i++) getters[i](ref values[i]);
            requests.Add(new RetrievalRequest(values[0].DenseValues().ToArray(), values[1].DenseValues().ToArray(), values[2].DenseValues().First(), values[3].DenseValues().ToArray()));
        }
        return requests;
    }
}
