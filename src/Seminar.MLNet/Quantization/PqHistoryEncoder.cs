using Seminar.MLNet.Featurization;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Quantization;

/// <summary>
/// Lays a history's codes out for the scan, one thread at a time: the real (non-padding) behaviours in order, each with
/// its item's catalog codes and, when it has a query, its pair's query codes (looked up among the known pairs, else
/// encoded now). Remembers each laid-out behaviour's position in the input. Buffers grow and are reused.
/// </summary>
sealed class PqHistoryEncoder
{
    readonly PqAttentionModel _model;
    readonly PsuColumnOptions _columns;
    readonly PairFusion _fusion;
    readonly int _t;
    readonly float[] _part;
    readonly byte[] _pairCodes;
    int[] _positions = Array.Empty<int>();

    public PqHistoryEncoder(PqAttentionModel model, PsuColumnOptions columns, PairFusion fusion)
    {
        _model = model;
        _columns = columns;
        _fusion = fusion;
        _t = model.Psu.QueryTokens;
        _part = new float[model.Psu.Dimension];
        _pairCodes = new byte[model.QueryQuantizer.SubSpaces];
        Codes = new PqCodeBlocks(model.SubSpaces);
    }

    /// <summary>The codes of the last history encoded.</summary>
    public PqCodeBlocks Codes { get; }
    /// <summary>Input position of each laid-out behaviour of the last history.</summary>
    public ReadOnlySpan<int> Positions => _positions.AsSpan(0, Codes.Count);

    /// <summary>Encodes a history (item indices, and T query token indices per behaviour); returns its real behaviours.</summary>
    /// <exception cref="ArgumentException">An index is outside its vocabulary.</exception>
    public int Encode(ReadOnlySpan<long> items, ReadOnlySpan<long> tokens)
    {
        int real = 0;
        for (int l = 0; l < items.Length; l++)
            if (_fusion.CheckItem(items[l], _columns.HistoryItemIndicesColumnName, "history item", l) != Vocabulary.Padding) real++;
        if (_positions.Length < real) _positions = new int[Math.Max(real, 2 * _positions.Length)];
        Codes.Reset(real);
        var pairs = _model.Pairs;
        for (int l = 0, j = 0; l < items.Length; l++)
        {
            int item = (int)items[l];
            if (item == Vocabulary.Padding) continue;
            _positions[j] = l;
            Codes.Set(j, 0, _model.ItemCodesOf(item));
            var query = tokens.Slice(l * _t, _t);
            if (PairCodeTable.HasQuery(query))
            {
                var known = pairs is null ? default : pairs.Lookup(item, query);
                if (known.IsEmpty)
                {
                    PqAttentionModel.QueryPart(_model.Psu, _fusion, item, query, _columns.HistoryQueryTokensColumnName, l, _part);
                    _model.QueryQuantizer.Encode(_part, _pairCodes);
                    known = _pairCodes;
                }
                Codes.Set(j, _model.ItemSubSpaces, known);
            }
            j++;
        }
        return real;
    }
}
