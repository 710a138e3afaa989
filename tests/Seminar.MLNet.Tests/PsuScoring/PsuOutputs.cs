using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet.Tests.PsuScoring;

/// <summary>Reads float vector output columns of every row (the PSU's three by default) and compares two readings.</summary>
public static class PsuOutputs
{
    public static readonly string[] Columns = { "SeminarTarget", "SeminarInterest", "SeminarScore" };

    public static List<float[][]> Read(IDataView data, params string[] columns)
    {
        var cols = (columns.Length == 0 ? Columns : columns).Select(c => data.Schema[c]).ToArray();
        var rows = new List<float[][]>();
        using var cursor = data.GetRowCursor(cols);
        var getters = cols.Select(c => cursor.GetGetter<VBuffer<float>>(c)).ToArray();
        var buffer = default(VBuffer<float>);
        while (cursor.MoveNext())
            rows.Add(getters.Select(g => { g(ref buffer); return buffer.DenseValues().ToArray(); }).ToArray());
        return rows;
    }

    /// <summary>Same row count and sizes; every value finite and within <paramref name="tolerance"/> (relative above 1).</summary>
    public static void AssertClose(List<float[][]> expected, List<float[][]> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int r = 0; r < expected.Count; r++)
            for (int c = 0; c < expected[r].Length; c++)
            {
                Assert.Equal(expected[r][c].Length, actual[r][c].Length);
                for (int j = 0; j < expected[r][c].Length; j++)
                {
                    float e = expected[r][c][j], a = actual[r][c][j];
                    Assert.True(float.IsFinite(e) && float.IsFinite(a) && Math.Abs(e - a) <= tolerance * Math.Max(1, Math.Abs(e)),
                        $"{what}: row {r} output {c}[{j}]: {e} vs {a}");
                }
            }
    }
}
