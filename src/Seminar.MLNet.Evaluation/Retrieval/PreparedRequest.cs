using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>
/// A request as each side of the retrieval comparison stores it per user: the per-head request vectors, every real
/// behaviour's fused pair vector in the exact scan's blocked layout (<c>4·D</c> bytes each) and its codes for the
/// approximate scan. Built before timing: stored data, not per-request work.
/// </summary>
/// <param name="U">Per-head request vectors <c>[H, D]</c>.</param>
/// <param name="Vectors">The real behaviours' fused pair vectors, in history order.</param>
/// <param name="Codes">The real behaviours' codes, in the same order.</param>
internal sealed record PreparedRequest(float[] U, BlockedVectors Vectors, PqCodeBlocks Codes)
{
    /// <summary>Real (non-padding) behaviours.</summary>
    public int Length => Vectors.Count;

    /// <summary>Fuses the target and every real behaviour of <paramref name="request"/> and encodes its history.</summary>
    public static PreparedRequest Prepare(PqAttentionModel model, RetrievalRequest request)
    {
        var psu = model.Psu;
        int d = psu.Dimension, t = psu.QueryTokens;
        var columns = new PsuColumnOptions();
        var fusion = new PairFusion(psu);
        var u = new float[psu.Heads * d];
        fusion.FuseTarget(request.TargetItem, request.QueryTokens, columns, new float[d], u);

        // One encoder per request: its code layout is this request's stored codes.
        var encoder = new PqHistoryEncoder(model, columns, fusion);
        int n = encoder.Encode(request.HistoryItems, request.HistoryQueryTokens);
        var rows = new float[(long)n * d];
        var positions = encoder.Positions;
        for (int j = 0; j < n; j++)
        {
            int l = positions[j];
            fusion.Fuse((int)request.HistoryItems[l], request.HistoryQueryTokens.AsSpan(l * t, t), columns.HistoryQueryTokensColumnName, "history query token", l, rows.AsSpan(j * d, d));
        }
        var vectors = new BlockedVectors(d, Math.Max(n, 1));
        vectors.Load(rows, n);
        return new PreparedRequest(u, vectors, encoder.Codes);
    }
}
