using static TorchSharp.torch;

namespace Seminar.MLNet.Training.PsuTraining;

/// <summary>A mini-batch of rows as tensors, histories right-padded with item 0 to the longest in the batch.</summary>
sealed class PsuBatch
{
    /// <param name="rows">The rows.</param>
    /// <param name="queryTokens">Query tokens per behaviour.</param>
    /// <param name="prefixes">
    /// Per row, how many of its first behaviours the step reads (pretraining on a stretch of a sequence never looks past
    /// the stretch's end); null reads whole histories.
    /// </param>
    public PsuBatch(IReadOnlyList<PsuRow> rows, int queryTokens, IReadOnlyList<int>? prefixes = null)
    {
        Rows = rows;
        int b = rows.Count, t = queryTokens;
        int Used(int i) => prefixes == null ? rows[i].Length : Math.Min(rows[i].Length, prefixes[i]);
        // At least one position, so tensors are never zero-sized; an all-empty batch is fully masked.
        int l = 1;
        for (int i = 0; i < b; i++) l = Math.Max(l, Used(i));
        var items = new long[b * l];
        var tokens = new long[b * l * t];
        var lengths = new long[b];
        var targets = new long[b];
        var targetTokens = new long[b * t];
        var labels = new float[b];
        for (int i = 0; i < b; i++)
        {
            var r = rows[i];
            int used = Used(i);
            Array.Copy(r.Items, 0, items, i * l, used);
            Array.Copy(r.QueryTokens, 0, tokens, (long)i * l * t, (long)used * t);
            lengths[i] = used;
            targets[i] = r.Target;
            for (int j = 0; j < t; j++) targetTokens[i * t + j] = r.TargetQuery[j];
            labels[i] = r.Label;
        }
        MaxLength = l;
        Items = tensor(items, new long[] { b, l });
        QueryTokens = tensor(tokens, new long[] { b, l, t });
        Lengths = tensor(lengths, new long[] { b });
        Targets = tensor(targets, new long[] { b });
        TargetQueries = tensor(targetTokens, new long[] { b, t });
        Labels = tensor(labels, new long[] { b });
        int s = rows[0].Side?.Length ?? 0;
        if (s > 0)
        {
            var side = new float[b * s];
            for (int i = 0; i < b; i++) rows[i].Side!.CopyTo(side, i * s);
            Side = tensor(side, new long[] { b, s });
        }
    }

    public IReadOnlyList<PsuRow> Rows { get; }
    public int MaxLength { get; }
    public Tensor Items { get; }
    public Tensor QueryTokens { get; }
    public Tensor Lengths { get; }
    public Tensor Targets { get; }
    public Tensor TargetQueries { get; }
    public Tensor Labels { get; }
    /// <summary>Standardised side features <c>[B, S]</c>; null when the rows carry none.</summary>
    public Tensor? Side { get; }

    /// <summary>Which history positions each row's target sees: <c>[B, 1, L]</c>, every real behaviour (item index 0 pads, as in the spec).</summary>
    public Tensor Visible() => arange(MaxLength, dtype: ScalarType.Int64).view(1, 1, -1).lt(Lengths.view(-1, 1, 1)).logical_and(Items.ne(0).unsqueeze(1));
}
