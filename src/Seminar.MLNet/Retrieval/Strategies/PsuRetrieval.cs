using Seminar.MLNet.Onnx;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Retrieval.Strategies;

/// <summary>
/// How the PSU chooses the behaviours its ESU attends to: SEMINAR's exact GSU (<see cref="ExactRetrieval"/>) or a predecessor's
/// search. Every strategy shares the embeddings, pair fusion, value and output projections and head; only the search stage differs,
/// so one network trains as SEMINAR's GSU or as each predecessor. A strategy object holds its parameters and trained data, runs its
/// C# step (<see cref="CreateStep"/>) and emits its ONNX nodes (<see cref="EmitAttention"/>); the training library finds the
/// TorchSharp side from it. Immutable, so weights, scorers and graphs share one.
/// </summary>
internal abstract class PsuRetrieval
{
    /// <summary>The strategy's name in messages: Exact, Recent, SoftSearch, SimHash or HashCollision.</summary>
    public abstract string Name { get; }

    /// <summary>Throws when the strategy's trained data does not fit D or the item vocabulary (<paramref name="itemRows"/> = ItemIds' length).</summary>
    public virtual void Validate(int dimension, int itemRows) { }

    /// <summary>A scorer's own step: the strategy's scratch buffers, grown to the longest history that scorer sees.</summary>
    public abstract RetrievalStep CreateStep(PsuScoringModel model);

    /// <summary>The strategy's search and the ESU as ONNX nodes (see <see cref="PsuWeights"/>); returns the interest [1, D].</summary>
    public abstract string EmitAttention(StrategyGraph g);

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>One scorer's run of a strategy over a row: chooses the behaviours and attends with the scorer's shared GSU and ESU.</summary>
internal abstract class RetrievalStep
{
    /// <summary>Words of scratch the step keeps per behaviour (signatures), which bounds how long a history a scorer can hold.</summary>
    public virtual int WordsPerBehaviour => 0;

    /// <summary>Grows the step's per-behaviour scratch to <paramref name="capacity"/> behaviours.</summary>
    public virtual void Reserve(int capacity) { }

    /// <summary>Attends over the row's history into the scorer's readout; false when nothing is attended (the empty interest).</summary>
    /// <param name="scorer">The scorer whose fusion, buffers and readout the step uses.</param>
    /// <param name="items">Item index per behaviour; 0 is padding.</param>
    /// <param name="tokens">Query token indices per behaviour, flattened.</param>
    /// <param name="targetItem">Target item index (already checked).</param>
    /// <param name="target">The fused target pair t.</param>
    public abstract bool Attend(PsuRowScorer scorer, ReadOnlySpan<long> items, ReadOnlySpan<long> tokens, int targetItem, ReadOnlySpan<float> target);
}
