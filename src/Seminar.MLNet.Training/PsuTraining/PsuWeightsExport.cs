using Seminar.MLNet.PsuScoring;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Seminar.MLNet.Training.PsuTraining;

/// <summary>Copies a trained <see cref="PsuNetwork"/> out of libtorch into <see cref="PsuWeights"/> for the scoring library.</summary>
static class PsuWeightsExport
{
    public static PsuWeights From(PsuNetwork network)
    {
        var p = network.Layers;
        var weights = new PsuWeights
        {
            Dimension = network.Dimension,
            Heads = network.Heads,
            TopK = network.TopK,
            ItemIds = Values(p.ItemIds.weight!),
            Tokens = Values(p.Tokens.weight!),
            Attributes = Values(p.Attributes.weight!),
            Projections = p.Projections.Select(Dense).ToArray(),
            GateLogits = Values(p.GateLogits),
            ModalityTransforms = Values(p.ModalityTransforms),
            QueryWeightLogit = Values(p.QueryWeightLogit)[0],
            AttentionQuery = Values(p.AttentionQuery),
            AttentionKey = Values(p.AttentionKey),
            AttentionValue = Values(p.AttentionValue),
            AttentionOutput = Dense(p.AttentionOutput),
            EmptyInterest = Values(p.EmptyInterest),
            Head = p.Head.Select(Dense).ToArray(),
            Retrieval = network.RetrievalStage.Export(),
            SideMean = network.SideScaling?.Mean,
            SideScale = network.SideScaling?.Scale,
        };
        weights.Validate();
        return weights;
    }

    static DenseLayer Dense(Linear layer) => new(Values(layer.weight!), Values(layer.bias!));

    /// <summary>A tensor's values, row-major, copied out of libtorch.</summary>
    internal static float[] Values(Tensor t)
    {
        using var _ = no_grad();
        using var contiguous = t.detach().contiguous();
        return contiguous.data<float>().ToArray();
    }
}
