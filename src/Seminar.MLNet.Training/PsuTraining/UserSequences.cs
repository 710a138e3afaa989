namespace Seminar.MLNet.Training.PsuTraining;

/// <summary>A stretch <c>[From, To)</c> of one user's sequence: a pretraining step draws its cut points inside it.</summary>
readonly record struct PretrainingSequence(PsuRow Row, int From, int To);

/// <summary>
/// Each user's lifelong sequence, read once: among a user's rows the one with the longest history (histories are
/// prefixes of the user's sequence, so it holds all the others), truncated like every training row. Pretraining on
/// these instead of on sample rows sees each prefix once per epoch rather than once per sample. Memory: one truncated
/// sequence per user.
/// </summary>
sealed class UserSequences
{
    readonly List<PsuRow> _sequences;
    readonly int _cuts, _stride, _maxCuts;

    UserSequences(List<PsuRow> sequences, PsuEmbeddingOptions options)
    {
        _sequences = sequences;
        _cuts = options.CutPointsPerSequence;
        _stride = options.CutPointStride;
        _maxCuts = Math.Max(_cuts, options.MaxCutPointsPerSequence);
        Segments = sequences.Sum(s => (long)SegmentCount(s.Length));
    }

    /// <summary>The sequences, one per user with a non-empty history, in the order users first appear.</summary>
    public IReadOnlyList<PsuRow> Sequences => _sequences;
    /// <summary>Stretches per epoch (each a pretraining row of <see cref="PsuEmbeddingOptions.CutPointsPerSequence"/> cuts).</summary>
    public long Segments { get; }

    /// <summary>Keeps per user the row with the longest history (the first such row on a tie); rows without a user or history are skipped.</summary>
    public static UserSequences Read(IEnumerable<PsuRow> rows, PsuEmbeddingOptions options)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var sequences = new List<PsuRow>();
        foreach (var row in rows)
        {
            if (row.User == null || row.Length == 0) continue;
            if (!index.TryGetValue(row.User, out int at))
            {
                index[row.User] = sequences.Count;
                sequences.Add(row);
            }
            else if (row.HistoryLength > sequences[at].HistoryLength) sequences[at] = row;
        }
        return new UserSequences(sequences, options);
    }

    /// <summary>
    /// Cut points scale with the sequence: <c>max(CutPointsPerSequence, length / CutPointStride)</c>, at most
    /// <c>MaxCutPointsPerSequence</c>, in stretches of <c>CutPointsPerSequence</c> (rounded up, one position at least each).
    /// </summary>
    public int SegmentCount(int length)
    {
        int cuts = Math.Clamp(length / _stride, _cuts, _maxCuts);
        return Math.Max(1, Math.Min(length, (cuts + _cuts - 1) / _cuts));
    }

    /// <summary>Every stretch of every sequence once, in a random order (the sequences themselves are shared, not copied).</summary>
    public List<PretrainingSequence> Epoch(Random random)
    {
        var all = new List<PretrainingSequence>((int)Math.Min(int.MaxValue, Segments));
        foreach (var row in _sequences)
        {
            int k = SegmentCount(row.Length);
            for (int s = 0; s < k; s++) all.Add(new PretrainingSequence(row, (int)((long)s * row.Length / k), (int)((long)(s + 1) * row.Length / k)));
        }
        for (int n = all.Count - 1; n > 0; n--)
        {
            int i = random.Next(n + 1);
            (all[i], all[n]) = (all[n], all[i]);
        }
        return all;
    }
}
