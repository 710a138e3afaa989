using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet.Tests.Featurization;

public sealed class InputRow
{
    public string[] HistoryItems { get; set; } = Array.Empty<string>();
    public string[] HistoryQueries { get; set; } = Array.Empty<string>();
    public string TargetItem { get; set; } = "";
    public string Query { get; set; } = "";
    public float Price { get; set; }
    public bool Label { get; set; }
}

public sealed class CatalogRow
{
    public string ItemId { get; set; } = "";
    public string Title { get; set; } = "";
    public string Attributes { get; set; } = "";
    [VectorType(2)] public float[] Image { get; set; } = new float[2];
}

/// <summary>Reads the five featurizer outputs of every row of a data view.</summary>
public static class FeaturizerOutputs
{
    public static readonly string[] Columns = { "SeminarHistoryItems", "SeminarHistoryQueryTokens", "SeminarHistoryLength", "SeminarTargetItem", "SeminarQueryTokens" };

    public static List<long[][]> Read(IDataView data)
    {
        var cols = Columns.Select(c => data.Schema[c]).ToArray();
        var rows = new List<long[][]>();
        using var cursor = data.GetRowCursor(cols);
        var getters = cols.Select(c => cursor.GetGetter<VBuffer<long>>(c)).ToArray();
        var buffer = default(VBuffer<long>);
        while (cursor.MoveNext())
            rows.Add(getters.Select(g => { g(ref buffer); return buffer.DenseValues().ToArray(); }).ToArray());
        return rows;
    }

    public static void AssertIdentical(List<long[][]> expected, List<long[][]> actual, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int r = 0; r < expected.Count; r++)
            for (int c = 0; c < Columns.Length; c++)
                Assert.True(expected[r][c].SequenceEqual(actual[r][c]),
                    $"{what}: row {r} column {Columns[c]}: [{string.Join(",", expected[r][c])}] vs [{string.Join(",", actual[r][c])}]");
    }
}
