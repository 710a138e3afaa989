using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet.Serving;

/// <summary>The PSU's outputs for a request's candidates, from one batch, and the candidate the next row read is for.</summary>
sealed class PsuBatchOutputs
{
    /// <summary>Each candidate's fused target, <c>[C, D]</c> (at least).</summary>
    public float[] Targets { get; set; } = Array.Empty<float>();
    /// <summary>Each candidate's interest vector, <c>[C, D]</c> (at least).</summary>
    public float[] Interests { get; set; } = Array.Empty<float>();
    /// <summary>Each candidate's logit (at least C).</summary>
    public float[] Logits { get; set; } = Array.Empty<float>();
    /// <summary>Width D of a target or interest vector.</summary>
    public int Dimension { get; set; }
    /// <summary>The candidate being mapped.</summary>
    public int Candidate { get; set; }
}

/// <summary>
/// The PSU stage's output row when its outputs come from a batch: the columns before the PSU from the row mapped over the
/// request row, the PSU's target, interest and score from <see cref="PsuBatchOutputs"/> at the current candidate. Its
/// position is the request row's, so the stages after it compute once per candidate.
/// </summary>
sealed class PsuBatchRow : DataViewRow
{
    readonly PsuBatchPlan _plan;
    readonly DataViewRow _head;
    readonly PsuBatchOutputs _outputs;

    public PsuBatchRow(PsuBatchPlan plan, DataViewRow head, PsuBatchOutputs outputs)
    {
        _plan = plan;
        _head = head;
        _outputs = outputs;
    }

    public override DataViewSchema Schema => _plan.PsuSchema;
    public override long Position => _head.Position;
    public override long Batch => _head.Batch;
    public override ValueGetter<DataViewRowId> GetIdGetter() => _head.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) =>
        column.Index >= _plan.HeadSchema.Count || _head.IsColumnActive(_plan.HeadSchema[column.Index]);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (column.Index < _plan.HeadSchema.Count) return _head.GetGetter<TValue>(_plan.HeadSchema[column.Index]);
        ValueGetter<VBuffer<float>> getter =
            column.Index == _plan.Target ? (ref VBuffer<float> v) => Copy(_outputs.Targets.AsSpan(_outputs.Candidate * _outputs.Dimension, _outputs.Dimension), ref v)
            : column.Index == _plan.Interest ? (ref VBuffer<float> v) => Copy(_outputs.Interests.AsSpan(_outputs.Candidate * _outputs.Dimension, _outputs.Dimension), ref v)
            : column.Index == _plan.Logit ? (ref VBuffer<float> v) => Copy(_outputs.Logits.AsSpan(_outputs.Candidate, 1), ref v)
            : throw new InvalidOperationException($"Column '{column.Name}' is not in the PSU's output schema.");
        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}, not {typeof(TValue).Name}.");
    }

    static void Copy(ReadOnlySpan<float> values, ref VBuffer<float> buffer)
    {
        var editor = VBufferEditor.Create(ref buffer, values.Length);
        values.CopyTo(editor.Values);
        buffer = editor.Commit();
    }

    protected override void Dispose(bool disposing)
    {
        // As ML.NET's mapped rows do: a row owns its input.
        if (disposing) _head.Dispose();
        base.Dispose(disposing);
    }
}
