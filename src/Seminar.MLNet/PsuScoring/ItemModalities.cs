using System.Collections.Concurrent;
using System.Numerics.Tensors;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.PsuScoring;

/// <summary>
/// Each item's modality contributions <c>g_m G_m e_m</c> (gate renormalised over the item's present modalities),
/// straight from the weights and the catalog content. The fused item table is their sum; the product
/// quantizer needs them one modality at a time.
/// </summary>
sealed class ItemModalities
{
    readonly PsuWeights _w;
    readonly ItemContentTables _content;
    readonly int _d;
    readonly double[] _gate; // exp(logit - max logit): renormalising over a subset only needs ratios

    public ItemModalities(PsuWeights weights, ItemContentTables content)
    {
        _w = weights;
        _content = content;
        _d = weights.Dimension;
        double max = weights.GateLogits.Max();
        _gate = weights.GateLogits.Select(g => Math.Exp(g - max)).ToArray();
    }

    public int Count => _w.ItemModalities;
    public int Items => _content.ItemCount;

    /// <summary>Whether the item has modality <paramref name="m"/>: padding has none, every other index has its id.</summary>
    public bool Present(int item, int m) => item != Vocabulary.Padding && m switch
    {
        0 => true,
        1 => AnyNonZero(_content.Title(item)),
        2 => AnyNonZero(_content.AttributesOf(item)),
        _ => _content.Modalities[m - 3].HasVector[item],
    };

    /// <summary>The fused item table <c>[items, D]</c>: row i = Σ_m g_m G_m e_m; row 0 zeros.</summary>
    public float[] Fused() => Build(modality: null);

    /// <summary>One modality's contributions <c>[items, D]</c>, zero rows where the item lacks it.</summary>
    public float[] Table(int modality)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(modality);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(modality, Count);
        return Build(modality);
    }

    float[] Build(int? modality)
    {
        var table = new float[(long)Items * _d];
        if (Items <= 1) return table;
        // Catalogs reach 10^5..10^6 items at D² work each: split them over the cores.
        Parallel.ForEach(Partitioner.Create(1, Items, 4096), range =>
        {
            var raw = new float[Math.Max(_d, 1)];
            var projected = new float[_d];
            var present = new bool[Count];
            for (int item = range.Item1; item < range.Item2; item++)
            {
                double sum = 0;
                for (int m = 0; m < Count; m++)
                    if (present[m] = Present(item, m)) sum += _gate[m];
                var row = table.AsSpan(item * _d, _d);
                for (int m = 0; m < Count; m++)
                {
                    if (!present[m] || (modality is int only && only != m)) continue;
                    Raw(item, m, raw);
                    DenseMath.MatVec(_w.ModalityTransforms.AsSpan(m * _d * _d, _d * _d), raw, projected);
                    TensorPrimitives.MultiplyAdd(projected, (float)(_gate[m] / sum), row, row);
                }
            }
        });
        return table;
    }

    /// <summary>The modality embedding <c>e_m</c> before its projection G_m (only called when present).</summary>
    void Raw(int item, int m, Span<float> e)
    {
        switch (m)
        {
            case 0:
                _w.ItemIds.AsSpan(item * _d, _d).CopyTo(e);
                break;
            case 1:
                Mean(_w.Tokens, _content.Title(item), e);
                break;
            case 2:
                Mean(_w.Attributes, _content.AttributesOf(item), e);
                break;
            default:
                DenseMath.Dense(_w.Projections[m - 3], _content.Modalities[m - 3].Of(item), e, relu: false);
                break;
        }
    }

    void Mean(float[] table, ReadOnlySpan<int> indices, Span<float> e)
    {
        e.Clear();
        int n = 0;
        foreach (int i in indices)
        {
            if (i == Vocabulary.Padding) continue;
            TensorPrimitives.Add(e, table.AsSpan(i * _d, _d), e);
            n++;
        }
        TensorPrimitives.Divide(e, n, e);
    }

    static bool AnyNonZero(ReadOnlySpan<int> indices)
    {
        foreach (int i in indices)
            if (i != Vocabulary.Padding) return true;
        return false;
    }
}
