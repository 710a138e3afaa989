using static TorchSharp.torch;

namespace Seminar.MLNet.Training.PsuTraining;

/// <summary>A mini-batch of rows as tensors, histories right-padded with item 0 to the longest in the batch.</summary>
sealed class PsuBatch
{
    public PsuBatch(IReadOnlyList<PsuRow> rows, int queryTokens)
    {
        Rows = rows;
        int b = rows.Count, t = queryTokens;
        // At least one position, so tensors are never zero-sized; an all-empty batch is fully masked.
        int l = Math.Max(1, rows.Max(r => r.Length));
        var items = new long[b * l];
        var tokens = new long[b * l * t];
        var lengths = new long[b];
        var targets = new long[b];
        var targetTokens = new long[b * t];
        var labels = new float[b];
        for (int i = 0; i < b; i++)
        {
            var r = rows[i];
            for (int j = 0; j < r.Length; j++) items[i * l + j] = r.Items[j];
            for (int j = 0; j < r.QueryTokens.Length; j++) tokens[(long)i * l * t + j] = r.QueryTokens[j];
            lengths[i] = r.Length;
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
