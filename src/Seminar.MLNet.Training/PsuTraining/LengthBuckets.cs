namespace Seminar.MLNet.Training.PsuTraining;

/// <summary>
/// Mini-batches of rows with similar history lengths. A batch is padded to its longest history, and lifelong
/// histories are long-tailed (on Amazon Toys the mean is 9 behaviours and the longest 550), so random batches
/// almost always carry one long row and pay for its length on every row. Bucketing within a window of already
/// shuffled rows keeps the randomness of the stream while most batches pad to a length close to their rows'.
/// </summary>
static class LengthBuckets
{
    /// <summary>Batches per window: wide enough to find rows of similar length, narrow enough to stay streamed.</summary>
    public const int WindowBatches = 64;

    /// <summary>
    /// Cuts <paramref name="rows"/> into batches of <paramref name="batchSize"/> (one batch of the stream's last window may be smaller):
    /// each window of <see cref="WindowBatches"/> batches is sorted by <paramref name="length"/> (stably, so the
    /// result is a function of the stream and <paramref name="random"/>), cut, and its batches emitted in a random order.
    /// Every row is emitted exactly once.
    /// </summary>
    public static IEnumerable<List<T>> Batches<T>(IEnumerable<T> rows, Func<T, int> length, int batchSize, Random random)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "A batch holds at least one row.");
        int window = batchSize * WindowBatches;
        var pool = new List<T>(window);
        foreach (var row in rows)
        {
            pool.Add(row);
            if (pool.Count < window) continue;
            foreach (var batch in Cut(pool, length, batchSize, random)) yield return batch;
            pool.Clear();
        }
        foreach (var batch in Cut(pool, length, batchSize, random)) yield return batch;
    }

    static List<List<T>> Cut<T>(List<T> pool, Func<T, int> length, int batchSize, Random random)
    {
        var sorted = pool.OrderBy(length).ToList();
        var batches = new List<List<T>>((sorted.Count + batchSize - 1) / batchSize);
        for (int at = 0; at < sorted.Count; at += batchSize)
            batches.Add(sorted.GetRange(at, Math.Min(batchSize, sorted.Count - at)));
        for (int n = batches.Count - 1; n > 0; n--)
        {
            int i = random.Next(n + 1);
            (batches[i], batches[n]) = (batches[n], batches[i]);
        }
        return batches;
    }
}
