using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet;

/// <summary>
/// Builds output <see cref="SchemaShape"/>s from public API only: <c>SchemaShape.Column</c>'s constructor is
/// internal, so a <c>CustomMappingEstimator</c> with a run-time schema definition describes the added
/// columns and ML.NET derives the shape. Never fitted or run; it only answers GetOutputSchema.
/// </summary>
static class OutputSchemaShapes
{
    const int SlotsPerType = 8;

    /// <summary>Up to eight added columns per item type; a column takes the next free slot of its raw type, unused slots are dropped.</summary>
    sealed class Slots
    {
        public long[] L0 { get; set; } = Array.Empty<long>();
        public long[] L1 { get; set; } = Array.Empty<long>();
        public long[] L2 { get; set; } = Array.Empty<long>();
        public long[] L3 { get; set; } = Array.Empty<long>();
        public long[] L4 { get; set; } = Array.Empty<long>();
        public long[] L5 { get; set; } = Array.Empty<long>();
        public long[] L6 { get; set; } = Array.Empty<long>();
        public long[] L7 { get; set; } = Array.Empty<long>();
        public float[] F0 { get; set; } = Array.Empty<float>();
        public float[] F1 { get; set; } = Array.Empty<float>();
        public float[] F2 { get; set; } = Array.Empty<float>();
        public float[] F3 { get; set; } = Array.Empty<float>();
        public float[] F4 { get; set; } = Array.Empty<float>();
        public float[] F5 { get; set; } = Array.Empty<float>();
        public float[] F6 { get; set; } = Array.Empty<float>();
        public float[] F7 { get; set; } = Array.Empty<float>();
    }

    sealed class NoInput { }

    /// <summary>The input shape with the given columns added: vectors of Int64 or Single (at most eight of each).</summary>
    public static SchemaShape Append(MLContext ml, SchemaShape input, IReadOnlyList<(string Name, DataViewType Type)> columns)
    {
        var definition = SchemaDefinition.Create(typeof(Slots));
        var used = new List<SchemaDefinition.Column>();
        var next = new Dictionary<char, int> { ['L'] = 0, ['F'] = 0 };
        foreach (var (name, type) in columns)
        {
            char prefix = type is VectorDataViewType { ItemType: var item } && item == NumberDataViewType.Int64 ? 'L'
                : type is VectorDataViewType { ItemType: var f } && f == NumberDataViewType.Single ? 'F'
                : throw new ArgumentException($"Column '{name}': only vectors of Int64 or Single are supported; got {type}.", nameof(columns));
            if (next[prefix] == SlotsPerType) throw new ArgumentOutOfRangeException(nameof(columns), columns.Count, $"At most {SlotsPerType} columns of one item type.");
            string member = $"{prefix}{next[prefix]++}";
            var slot = definition.Single(c => c.MemberName == member);
            slot.ColumnName = name;
            slot.ColumnType = type;
            used.Add(slot);
        }
        definition.Clear();
        definition.AddRange(used);
        var mapping = ml.Transforms.CustomMapping<NoInput, Slots>((_, _) => { }, contractName: null, outputSchemaDefinition: definition);
        return mapping.GetOutputSchema(input);
    }
}
