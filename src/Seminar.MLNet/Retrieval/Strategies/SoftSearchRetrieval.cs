using System.Numerics.Tensors;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.Onnx;
using Seminar.MLNet.PsuScoring;

namespace Seminar.MLNet.Retrieval.Strategies;

/// <summary>
/// SIM soft search: top-K behaviours by the inner product of separately learned retrieval item embeddings (one set shared by the
/// heads), then the normal ESU over them. Training adds SIM's auxiliary retrieval loss, which is what trains those embeddings.
/// </summary>
internal sealed class SoftSearchRetrieval : PsuRetrieval
{
    /// <summary>SIM with an auxiliary loss weight and, once trained, its retrieval item embeddings.</summary>
    /// <param name="retrievalAuxWeight">Weight of the auxiliary retrieval loss while training.</param>
    /// <param name="retrievalItems">Retrieval item embeddings, [items, D]; null before training.</param>
    /// <exception cref="ArgumentOutOfRangeException">The weight is negative, NaN or infinite.</exception>
    public SoftSearchRetrieval(float retrievalAuxWeight, float[]? retrievalItems = null)
    {
        if (!(retrievalAuxWeight >= 0) || float.IsInfinity(retrievalAuxWeight))
            throw new ArgumentOutOfRangeException(nameof(retrievalAuxWeight), retrievalAuxWeight, "RetrievalAuxWeight must be finite and non-negative.");
        AuxWeight = retrievalAuxWeight;
        RetrievalItems = retrievalItems;
    }

    /// <summary>Weight of SIM's auxiliary retrieval loss while training.</summary>
    public float AuxWeight { get; }
    /// <summary>Retrieval item embeddings, [items, D]; null until trained.</summary>
    public float[]? RetrievalItems { get; }

    /// <inheritdoc/>
    public override string Name => "SoftSearch";

    /// <summary>The same strategy with its trained embeddings.</summary>
    public SoftSearchRetrieval Trained(float[] retrievalItems) => new(AuxWeight, retrievalItems ?? throw new ArgumentNullException(nameof(retrievalItems)));

    /// <inheritdoc/>
    public override void Validate(int dimension, int itemRows)
    {
        if (RetrievalItems == null) throw new ArgumentException("The SoftSearch strategy needs RetrievalItems.", nameof(RetrievalItems));
        PsuWeights.Exact(RetrievalItems, itemRows, nameof(RetrievalItems));
    }

    /// <inheritdoc/>
    public override RetrievalStep CreateStep(PsuScoringModel model) => new Step(RetrievalItems!, model.Dimension, model.TopK);

    /// <inheritdoc/>
    public override string EmitAttention(StrategyGraph g)
    {
        var b = g.B;
        var (offsets, count) = g.Padding();
        var table = b.AddInitializer("psu_retrieval_items", RetrievalItems!, g.Model.ItemCount, g.Model.Dimension);
        var query = b.Transpose(b.Gather(table, g.TargetItem), new[] { 1L, 0L });                      // [D, 1]
        var scores = b.Reshape(b.MatMul(b.Gather(table, g.Items), query), new[] { -1L });               // [L]
        return g.Shared(b.TopK(b.Add(scores, offsets), g.TopK(count)).Indices, count);
    }

    /// <summary>The top-K real behaviours by retrieval-embedding inner product with the target item (ties to the earlier), in history order.</summary>
    sealed class Step(float[] table, int d, int k) : RetrievalStep
    {
        readonly TopKSelector _selector = new(k);
        readonly int[] _kept = new int[k];
        float[] _scores = Array.Empty<float>();

        public override void Reserve(int capacity) => _scores = new float[capacity];

        public override bool Attend(PsuRowScorer scorer, ReadOnlySpan<long> items, ReadOnlySpan<long> tokens, int targetItem, ReadOnlySpan<float> target)
        {
            scorer.CheckItems(items);
            var all = scorer.Positions;
            var query = table.AsSpan(targetItem * d, d);
            int n = 0;
            for (int l = 0; l < items.Length; l++)
            {
                if (items[l] == Vocabulary.Padding) continue;
                _scores[n] = TensorPrimitives.Dot(query, table.AsSpan((int)items[l] * d, d));
                all[n++] = l;
            }
            // Real behaviours are in history order, so the selector's lower-index tie rule is the earlier-behaviour rule.
            var kept = _kept.AsSpan(0, _selector.Select(_scores.AsSpan(0, n), _kept));
            for (int i = 0; i < kept.Length; i++) kept[i] = all[kept[i]];
            var positions = all[..kept.Length];
            kept.CopyTo(positions);
            positions.Sort();
            return scorer.AttendPerHead(scorer.FuseAt(items, tokens, positions));
        }
    }
}
