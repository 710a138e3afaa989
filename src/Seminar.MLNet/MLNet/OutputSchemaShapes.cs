using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet.MLNet;

/// <summary>
/// Builds output <see cref="SchemaShape"/>s from public API only: <c>SchemaShape.Column</c>'s constructor is
/// internal, so a <c>CustomMappingEstimator</c> with a run-time schema definition describes the added
/// columns and ML.NET derives the shape. Never fitted or run; it only answers GetOutputSchema.
/// </summary>
static class OutputSchemaShapes
{
    /// <summary>Up to eight added columns; unused slots are dropped from the definition.</summary>
    sealed class Slots
    {
        public long[] C0 { get; set; } = Array.Empty<long>();
        public long[] C1 { get; set; } = Array.Empty<long>();
        public long[] C2 { get; set; } = Array.Empty<long>();
        public long[] C3 { get; set; } = Array.Empty<long>();
        public long[] C4 { get; set; } = Array.Empty<long>();
        public long[] C5 { get; set; } = Array.Empty<long>();
        public long[] C6 { get; set; } = Array.Empty<long>();
        public long[] C7 { get; set; } = Array.Empty<long>();
    }

    sealed class NoInput { }

    /// <summary>The input shape with the given columns added (each a vector of Int64 here; the type is given per column).</summary>
    public static SchemaShape Append(MLContext ml, SchemaShape input, IReadOnlyList<(string Name, DataViewType Type)> columns)
    {
        if (columns.Count > 8) throw new ArgumentOutOfRangeException(nameof(columns), columns.Count, "At most 8 columns.");
        var definition = SchemaDefinition.Create(typeof(Slots));
        for (int i = definition.Count - 1; i >= columns.Count; i--) definition.RemoveAt(i);
        for (int i = 0; i < columns.Count; i++)
        {
            definition[i].ColumnName = columns[i].Name;
            definition[i].ColumnType = columns[i].Type;
        }
        var mapping = ml.Transforms.CustomMapping<NoInput, Slots>((_, _) => { }, contractName: null, outputSchemaDefinition: definition);
        return mapping.GetOutputSchema(input);
    }
}
