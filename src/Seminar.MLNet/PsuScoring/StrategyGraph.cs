using Onnx;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Retrieval.Strategies;
using Seminar.MLNet.Onnx;

namespace Seminar.MLNet.PsuScoring;

/// <summary>
/// What a strategy's ONNX emitter (<see cref="PsuRetrieval.EmitAttention"/>) works on inside <see cref="PsuGraph"/>: the builder, the
/// model, the fused behaviours, the request vectors and the inputs, with the GSU and ESU pieces every strategy shares. Positions index
/// the history as given (padding included); masked positions carry a −inf offset so TopK never keeps them, and TopK's ties go to the
/// lower index, as the C# kernels' do.
/// </summary>
/// <param name="B">The graph being built.</param>
/// <param name="Model">The scoring model.</param>
/// <param name="X">Fused behaviours [L, D].</param>
/// <param name="U">Per-head request vectors <c>u_h = A_h t</c> as columns, [D, H].</param>
/// <param name="Items">History items [L], guarded against negative indices.</param>
/// <param name="TargetItem">Target item [1].</param>
/// <param name="Target">Fused target pair [1, D].</param>
internal sealed record StrategyGraph(OnnxGraphBuilder B, PsuScoringModel Model, string X, string U, string Items, string TargetItem, string Target)
{
    /// <summary>ONNX's float element type, for casts.</summary>
    public const TensorProto.Types.DataType Float = TensorProto.Types.DataType.Float;

    /// <summary>1 for a behaviour, 0 for padding ([L] int64).</summary>
    public string Real() => PsuGraph.Real(B, Items);

    /// <summary>The score offsets that mask padding and the count of real behaviours.</summary>
    public (string Offsets, string Count) Padding() => PsuGraph.Padding(B, Items);

    /// <summary>The score offsets (−inf where <paramref name="keep"/> is 0) and how many are kept, of a 0/1 mask [L].</summary>
    public (string Offsets, string Count) Mask(string keep) => PsuGraph.Mask(B, keep);

    /// <summary>k = min(K, <paramref name="count"/>).</summary>
    public string TopK(string count) => PsuGraph.TopK(B, Model.TopK, count);

    /// <summary>The exact GSU over the unmasked positions: per-head top-K, then the ESU; returns the interest [1, D].</summary>
    public string PerHead(string offsets, string count) => PsuGraph.PerHead(B, Model, X, U, offsets, count);

    /// <summary>The ESU over one set of retrieved positions [k] shared by the heads, each head with its own scores; returns [1, D].</summary>
    public string Shared(string positions, string count) => PsuGraph.Shared(B, Model, X, U, positions, count);

    /// <summary>W_V and W_O over behaviours already mixed ([1, D] shared by the heads); the empty interest where <paramref name="attended"/> is false.</summary>
    public string ValueOutput(string mixed, string attended) => PsuGraph.ValueOutput(B, Model, mixed, attended);
}
