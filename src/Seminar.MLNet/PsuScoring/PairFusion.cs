using System.Numerics.Tensors;
using Seminar.MLNet.Featurization;

namespace Seminar.MLNet.PsuScoring;

/// <summary>
/// Query–item pair fusion of the PSU for one thread: <c>x = a e_q + (1 − a) e_item</c>, or <c>e_item</c> when the query
/// has no token, with every index checked against its vocabulary. Shared by the exact and the approximate scorers so
/// both embed behaviours and targets identically.
/// </summary>
sealed class PairFusion
{
    readonly PsuScoringModel _model;
    readonly int _d;
    readonly float _a;
    readonly float[] _query;

    public PairFusion(PsuScoringModel model)
    {
        _model = model;
        _d = model.Dimension;
        _a = model.QueryWeight;
        _query = new float[_d];
    }

    /// <summary>Writes the pair embedding of <paramref name="item"/> and its query <paramref name="tokens"/> (0 pads) into x; returns the query's token count.</summary>
    /// <param name="item">A checked item index.</param>
    /// <param name="tokens">Query token indices.</param>
    /// <param name="column">Column quoted when a token is out of range.</param>
    /// <param name="what">What the tokens are, for the message.</param>
    /// <param name="position">Behaviour position for the message, or −1.</param>
    /// <param name="x">Receives D values.</param>
    public int Fuse(int item, ReadOnlySpan<long> tokens, string column, string what, int position, Span<float> x)
    {
        CheckTokens(tokens, column, what, position);
        var itemRow = _model.ItemData.AsSpan(item * _d, _d);
        int count = 0;
        var table = _model.QueryTokenData;
        foreach (long token in tokens)
        {
            if (token == Vocabulary.Padding) continue;
            var row = table.AsSpan((int)token * _d, _d);
            if (count++ == 0) row.CopyTo(_query);
            else TensorPrimitives.Add(_query, row, _query);
        }
        if (count == 0)
        {
            itemRow.CopyTo(x);
            return 0;
        }
        TensorPrimitives.Multiply(itemRow, 1f - _a, x);
        TensorPrimitives.MultiplyAdd(_query, _a / count, x, x);
        return count;
    }

    /// <summary>
    /// The target pair t of a request, with its item and query tokens checked against the vocabularies (errors name the
    /// target columns of <paramref name="columns"/>), and the per-head request vectors <c>u_h = A_h t</c> the GSU scores with.
    /// </summary>
    /// <param name="targetItem">Target item index.</param>
    /// <param name="queryTokens">Target query token indices (0 pads).</param>
    /// <param name="columns">Column names for error messages.</param>
    /// <param name="target">Receives t (D).</param>
    /// <param name="u">Receives u (H·D).</param>
    public void FuseTarget(long targetItem, ReadOnlySpan<long> queryTokens, PsuColumnOptions columns, Span<float> target, Span<float> u)
    {
        Fuse(CheckItem(targetItem, columns.TargetItemIndexColumnName, "target item", -1), queryTokens, columns.QueryTokensColumnName, "query token", -1, target);
        DenseMath.MatVec(_model.FoldedAttentionData, target, u);
    }

    /// <summary>Checks an item index against the item vocabulary.</summary>
    public int CheckItem(long item, string column, string what, int position)
    {
        if ((ulong)item >= (ulong)_model.ItemCount) throw OutOfRange(item, _model.ItemCount, column, what, position, "item");
        return (int)item;
    }

    /// <summary>Checks query token indices (0 pads) against the token vocabulary (<see cref="Fuse"/> checks its tokens with it).</summary>
    public void CheckTokens(ReadOnlySpan<long> tokens, string column, string what, int position)
    {
        foreach (long token in tokens)
            if (token != Vocabulary.Padding && (ulong)token >= (ulong)_model.TokenCount) throw OutOfRange(token, _model.TokenCount, column, what, position, "token");
    }

    static ArgumentException OutOfRange(long value, int size, string column, string what, int position, string vocabulary) => new(
        $"Column '{column}'{(position >= 0 ? $" at behaviour {position}" : "")}: {what} index {value} is outside the {vocabulary} vocabulary (valid indices 0 to {size - 1}).");
}
