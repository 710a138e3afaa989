using System.Text.Json.Serialization;
using Seminar.MLNet.Quantization;

namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>
/// How much of a ranking request's history a coarse partition would have to visit for its recall: the history's
/// behaviours grouped into cells by their item's catalog cell (k-means over the catalog, as an inverted file's coarse
/// quantizer), each cell represented by the mean of its behaviours' pair vectors, cells visited best first by their
/// dot with the request vector. For each count of visited cells: the share of the exact top-K inside them and the share
/// of behaviours they hold. A retrieval that skips unvisited cells scores at least that share of the behaviours, so
/// the share at recall 0.95 bounds what skipping can save; no timing involved.
/// </summary>
internal static class CoarsePartitionProbe
{
    /// <summary>Visited-cell shares reported on the curve.</summary>
    static readonly double[] CurveShares = { 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5 };

    /// <summary>The catalog's cells: k-means centroids trained on a sample of the items, and each item's nearest.</summary>
    public static (int Cells, int[] CellOf) CatalogCells(float[] items, int d, int cells, int sample, int seed)
    {
        int count = items.Length / d;
        var rng = new Random(seed);
        var training = new float[(long)Math.Min(sample, count) * d];
        for (int i = 0; i < training.Length / d; i++) items.AsSpan(rng.Next(count) * d, d).CopyTo(training.AsSpan(i * d, d));
        var centroids = KMeans.Train(training, d, cells, iterations: 6, KMeansInitialization.RandomSample, seed);
        return (cells, KMeans.Assign(items, d, centroids, cells));
    }

    /// <summary>Measures the curve for one history and a set of request vectors against their exact top-K.</summary>
    /// <param name="cellOf">Each catalog item's cell.</param>
    /// <param name="cells">Cells of the catalog.</param>
    /// <param name="items">The history's item per behaviour (grouped order).</param>
    /// <param name="rows">The history's pair vectors, row-major <c>[n, D]</c>, same order.</param>
    /// <param name="d">Dimension D.</param>
    /// <param name="u">Request vectors, row-major.</param>
    /// <param name="vectors">Request vectors.</param>
    /// <param name="exactTop">Each request vector's exact top-K behaviours, K per vector.</param>
    /// <param name="k">K.</param>
    public static CoarsePartitionEntry Measure(int[] cellOf, int cells, ReadOnlySpan<int> items, float[] rows, int d, float[] u, int vectors, int[] exactTop, int k)
    {
        int n = items.Length;
        var local = new int[cells];
        Array.Fill(local, -1);
        var cellOfBehaviour = new int[n];
        int used = 0;
        for (int j = 0; j < n; j++)
        {
            int c = cellOf[items[j]];
            if (local[c] < 0) local[c] = used++;
            cellOfBehaviour[j] = local[c];
        }
        var sizes = new int[used];
        var means = new float[(long)used * d];
        for (int j = 0; j < n; j++)
        {
            int c = cellOfBehaviour[j];
            sizes[c]++;
            System.Numerics.Tensors.TensorPrimitives.Add(means.AsSpan(c * d, d), rows.AsSpan(j * d, d), means.AsSpan(c * d, d));
        }
        for (int c = 0; c < used; c++) System.Numerics.Tensors.TensorPrimitives.Divide(means.AsSpan(c * d, d), sizes[c], means.AsSpan(c * d, d));

        // recall[p] and scanned[p]: summed over request vectors, with the best p + 1 cells visited.
        var recall = new double[used];
        var scanned = new double[used];
        var scores = new float[used];
        var order = new int[used];
        var position = new int[used];
        var hits = new int[used];
        for (int v = 0; v < vectors; v++)
        {
            var uv = u.AsSpan(v * d, d);
            for (int c = 0; c < used; c++)
            {
                scores[c] = -System.Numerics.Tensors.TensorPrimitives.Dot(uv, means.AsSpan(c * d, d));
                order[c] = c;
            }
            Array.Sort(scores, order);
            for (int p = 0; p < used; p++) position[order[p]] = p;
            Array.Clear(hits);
            foreach (int j in exactTop.AsSpan(v * k, k)) hits[position[cellOfBehaviour[j]]]++;
            long found = 0, held = 0;
            for (int p = 0; p < used; p++)
            {
                found += hits[p];
                held += sizes[order[p]];
                recall[p] += (double)found / k;
                scanned[p] += (double)held / n;
            }
        }
        var entry = new CoarsePartitionEntry { CatalogCells = cells, Cells = used };
        foreach (double share in CurveShares)
        {
            int p = Math.Clamp((int)Math.Round(share * used) - 1, 0, used - 1);
            entry.Curve.Add(new CoarsePartitionPoint { CellsVisited = p + 1, ScannedShare = Math.Round(scanned[p] / vectors, 4), Recall = Math.Round(recall[p] / vectors, 4) });
        }
        int at = Array.FindIndex(recall, r => r / vectors >= 0.95);
        if (at >= 0)
        {
            entry.CellsAtRecall95 = at + 1;
            entry.ScannedShareAtRecall95 = Math.Round(scanned[at] / vectors, 4);
        }
        return entry;
    }
}

/// <summary>
/// Ranking setting: how much of the history a coarse partition (<c>CoarsePartitionProbe</c>) visits for a given recall.
/// </summary>
public sealed class CoarsePartitionEntry
{
    /// <summary>Cells of the catalog's k-means.</summary>
    [JsonPropertyName("catalog_cells")] public int CatalogCells { get; set; }
    /// <summary>Cells the history's behaviours fall in.</summary>
    [JsonPropertyName("cells")] public int Cells { get; set; }
    /// <summary>Recall and share of behaviours scanned by count of cells visited, averaged over the request vectors.</summary>
    [JsonPropertyName("curve")] public List<CoarsePartitionPoint> Curve { get; set; } = new();
    /// <summary>Fewest cells visited for a mean recall@K of at least 0.95 (null if none short of all).</summary>
    [JsonPropertyName("cells_at_recall_0_95")] public int? CellsAtRecall95 { get; set; }
    /// <summary>Mean share of the history those cells hold: a retrieval that skips the rest still scores this share.</summary>
    [JsonPropertyName("scanned_share_at_recall_0_95")] public double? ScannedShareAtRecall95 { get; set; }
}

/// <summary>One point of <see cref="CoarsePartitionEntry.Curve"/>.</summary>
public sealed class CoarsePartitionPoint
{
    /// <summary>Cells visited, best first.</summary>
    [JsonPropertyName("cells_visited")] public int CellsVisited { get; set; }
    /// <summary>Mean share of the history's behaviours in them.</summary>
    [JsonPropertyName("scanned_share")] public double ScannedShare { get; set; }
    /// <summary>Mean share of the exact top-K in them.</summary>
    [JsonPropertyName("recall@k")] public double Recall { get; set; }
}
