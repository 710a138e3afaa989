using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet.PsuScoring;

/// <summary>
/// One cursor's float-vector outputs computed from the PSU's four input columns (the featurizer's index vectors) and its
/// side features if any: reads the inputs and runs the row computation once per row position, whichever outputs are read.
/// </summary>
sealed class PsuInputRowOutputs : IRowOutputs
{
    /// <summary>Computes one row's outputs into <paramref name="outputs"/> (one buffer per output column); <paramref name="side"/> is empty without side features.</summary>
    public delegate void ScoreRow(ReadOnlySpan<long> historyItems, ReadOnlySpan<long> historyQueryTokens, long targetItem, ReadOnlySpan<long> queryTokens,
        ReadOnlySpan<float> side, float[][] outputs);

    readonly DataViewRow _input;
    readonly ValueGetter<VBuffer<long>>[] _getters;
    readonly ValueGetter<VBuffer<float>>? _sideGetter;
    readonly VBuffer<long>[] _values = new VBuffer<long>[4], _dense = new VBuffer<long>[4];
    VBuffer<float> _side, _sideDense;
    readonly float[][] _outputs;
    readonly ScoreRow _score;
    long _scoredAt = -1;

    /// <param name="input">The cursor or the row mapper's input row.</param>
    /// <param name="inputs">The PSU's input columns.</param>
    /// <param name="outputSizes">Size of each output vector.</param>
    /// <param name="score">The row computation.</param>
    public PsuInputRowOutputs(DataViewRow input, PsuInputColumns inputs, int[] outputSizes, ScoreRow score)
    {
        _input = input;
        _getters = inputs.Indices.Select(c => input.GetGetter<VBuffer<long>>(c)).ToArray();
        _sideGetter = inputs.Side is { } side ? input.GetGetter<VBuffer<float>>(side) : null;
        _outputs = outputSizes.Select(n => new float[n]).ToArray();
        _score = score;
    }

    public Delegate Getter(int output) => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> v) =>
    {
        Ensure();
        var values = _outputs[output];
        var editor = VBufferEditor.Create(ref v, values.Length);
        values.CopyTo(editor.Values);
        v = editor.Commit();
    });

    void Ensure()
    {
        if (_scoredAt == _input.Position) return;
        for (int i = 0; i < _getters.Length; i++) _getters[i](ref _values[i]);
        _sideGetter?.Invoke(ref _side);
        try
        {
            _score(Dense(0), Dense(1), Dense(2)[0], Dense(3), Side(), _outputs);
        }
        catch (ArgumentException e)
        {
            throw RowError(_input.Position, e);
        }
        _scoredAt = _input.Position;
    }

    /// <summary>A scoring path's error for a row its scorer refused: the row's position, then the scorer's message.</summary>
    public static InvalidOperationException RowError(long position, ArgumentException e) => new($"Row {position}: {e.Message}", e);

    /// <summary>The side features as a dense span (empty without a side column).</summary>
    ReadOnlySpan<float> Side() => _sideGetter == null ? ReadOnlySpan<float>.Empty : DenseValues.Of(ref _side, ref _sideDense);

    /// <summary>The values of input i as a dense span (ML.NET may hand over sparse vectors).</summary>
    ReadOnlySpan<long> Dense(int i) => DenseValues.Of(ref _values[i], ref _dense[i]);
}
