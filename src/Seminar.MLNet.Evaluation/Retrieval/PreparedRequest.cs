using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Quantization.FastScan;
using Seminar.MLNet.Retrieval;

namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>
/// A request as each side of the retrieval comparison stores it per user: the per-head request vectors, every real
/// behaviour's fused pair vector in the exact scan's blocked layout (<c>4·D</c> bytes each), and for the approximate
/// side the grouped history (<see cref="DecomposedHistory"/>) with its items' 4-bit catalog codes gathered once. Both
/// sides index behaviours in the grouped order. Built before timing: stored data, not per-request work.
/// </summary>
/// <param name="U">Per-head request vectors <c>[H, D]</c>.</param>
/// <param name="Vectors">The real behaviours' fused pair vectors, in grouped order.</param>
/// <param name="History">The real behaviours grouped by query slot.</param>
/// <param name="Codes">Their catalog codes, in the same order.</param>
internal sealed record PreparedRequest(float[] U, BlockedVectors Vectors, DecomposedHistory History, FourBitCodes Codes)
{
    /// <summary>Real (non-padding) behaviours.</summary>
    public int Length => Vectors.Count;

    /// <summary>Fuses the target and every real behaviour of <paramref name="request"/>, groups its history and gathers its codes.</summary>
    public static PreparedRequest Prepare(PqAttentionModel model, RetrievalRequest request)
    {
        var psu = model.Psu;
        int d = psu.Dimension, t = psu.QueryTokens;
        var columns = new PsuColumnOptions();
        var fusion = new PairFusion(psu);
        var u = new float[psu.Heads * d];
        fusion.FuseTarget(request.TargetItem, request.QueryTokens, columns, new float[d], u);

        var history = DecomposedHistory.Build(request.HistoryItems, request.HistoryQueryTokens, t, psu.ItemCount, psu.TokenCount);
        var codes = new FourBitCodes(model.SubSpaces);
        model.Catalog.Gather(history.Items, codes);
        int n = history.Count;
        var rows = new float[(long)n * d];
        for (int j = 0; j < n; j++)
        {
            int l = history.Positions[j];
            fusion.Fuse((int)request.HistoryItems[l], request.HistoryQueryTokens.AsSpan(l * t, t), columns.HistoryQueryTokensColumnName, "history query token", l, rows.AsSpan(j * d, d));
        }
        var vectors = new BlockedVectors(d, Math.Max(n, 1));
        vectors.Load(rows, n);
        return new PreparedRequest(u, vectors, history, codes);
    }
}
