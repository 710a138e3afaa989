namespace Seminar.MLNet.Featurization;

/// <summary>
/// What the catalog says of each item, indexed by item vocabulary index: title token indices and
/// attribute indices (fixed width, 0-padded) and precomputed modality vectors. Items outside the catalog
/// (and the reserved indices) have empty rows and no vectors; <see cref="ModalityTable.HasVector"/> tells them apart
/// from items whose vector is genuinely zero.
/// </summary>
internal sealed class ItemContentTables
{
    /// <summary>Creates empty tables for <paramref name="itemCount"/> item indices.</summary>
    public ItemContentTables(int itemCount, int titleWidth, int attributeWidth, IReadOnlyList<(string Name, int Dimension)> modalities)
    {
        ItemCount = itemCount;
        TitleWidth = titleWidth;
        AttributeWidth = attributeWidth;
        TitleTokens = new int[(long)itemCount * titleWidth];
        Attributes = new int[(long)itemCount * attributeWidth];
        Modalities = modalities.Select(m => new ModalityTable(m.Name, m.Dimension, itemCount)).ToArray();
    }

    /// <summary>Item indices covered (the item vocabulary's size).</summary>
    public int ItemCount { get; }
    /// <summary>Title tokens per item.</summary>
    public int TitleWidth { get; }
    /// <summary>Attributes per item.</summary>
    public int AttributeWidth { get; }
    /// <summary>Title token indices, <see cref="TitleWidth"/> per item, 0 = padding.</summary>
    public int[] TitleTokens { get; }
    /// <summary>Attribute indices, <see cref="AttributeWidth"/> per item, 0 = padding.</summary>
    public int[] Attributes { get; }
    /// <summary>Precomputed modality vectors.</summary>
    public IReadOnlyList<ModalityTable> Modalities { get; }

    /// <summary>Title token indices of an item.</summary>
    public ReadOnlySpan<int> Title(int item) => TitleTokens.AsSpan(item * TitleWidth, TitleWidth);
    /// <summary>Attribute indices of an item.</summary>
    public ReadOnlySpan<int> AttributesOf(int item) => Attributes.AsSpan(item * AttributeWidth, AttributeWidth);

    /// <summary>One modality's vectors.</summary>
    public sealed class ModalityTable
    {
        internal ModalityTable(string name, int dimension, int itemCount)
        {
            Name = name;
            Dimension = dimension;
            Values = new float[(long)itemCount * dimension];
            HasVector = new bool[itemCount];
        }

        /// <summary>Modality (catalog column) name.</summary>
        public string Name { get; }
        /// <summary>Vector dimension.</summary>
        public int Dimension { get; }
        /// <summary>Vectors, <see cref="Dimension"/> per item index.</summary>
        public float[] Values { get; }
        /// <summary>Whether the catalog gave the item a vector.</summary>
        public bool[] HasVector { get; }
        /// <summary>The vector of an item.</summary>
        public ReadOnlySpan<float> Of(int item) => Values.AsSpan(item * Dimension, Dimension);
    }
}
