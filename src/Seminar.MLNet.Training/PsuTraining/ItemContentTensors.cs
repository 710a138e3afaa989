using Seminar.MLNet.Featurization;
using static TorchSharp.torch;

namespace Seminar.MLNet.Training.PsuTraining;

/// <summary>
/// The catalog's content per item index as tensors (title tokens, attributes, modality vectors and their
/// presence), gathered by the network for whichever items a batch holds. Not parameters: they come from
/// the featurizer's vocabularies and are never trained.
/// </summary>
sealed class ItemContentTensors : IDisposable
{
    public ItemContentTensors(ItemContentTables content)
    {
        TitleTokens = tensor(content.TitleTokens.Select(i => (long)i).ToArray(), new long[] { content.ItemCount, content.TitleWidth });
        Attributes = tensor(content.Attributes.Select(i => (long)i).ToArray(), new long[] { content.ItemCount, content.AttributeWidth });
        Vectors = content.Modalities.Select(m => tensor(m.Values, new long[] { content.ItemCount, m.Dimension })).ToArray();
        HasVector = content.Modalities.Select(m => tensor(m.HasVector, new long[] { content.ItemCount })).ToArray();
        ItemCount = content.ItemCount;
    }

    public int ItemCount { get; }
    public Tensor TitleTokens { get; }
    public Tensor Attributes { get; }
    public Tensor[] Vectors { get; }
    public Tensor[] HasVector { get; }

    public void Dispose()
    {
        TitleTokens.Dispose();
        Attributes.Dispose();
        foreach (var t in Vectors.Concat(HasVector)) t.Dispose();
    }
}
