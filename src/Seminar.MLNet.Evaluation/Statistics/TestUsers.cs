namespace Seminar.MLNet.Evaluation.Statistics;

/// <summary>
/// The test samples grouped by user, the unit the bootstrap resamples: a dense index per distinct user and the sample
/// positions of each user, contiguous, so per-user metrics read slices.
/// </summary>
internal sealed class TestUsers
{
    /// <summary>Groups the samples of a test set by user.</summary>
    /// <param name="labels">Label per sample.</param>
    /// <param name="users">User per sample (any ints).</param>
    /// <param name="rankGroups">Ranking group per sample; a group must not span users (it is one user's positive and negatives, or one search).</param>
    public TestUsers(bool[] labels, int[] users, int[] rankGroups)
    {
        if (labels.Length != users.Length || labels.Length != rankGroups.Length)
            throw new ArgumentException($"Labels ({labels.Length}), users ({users.Length}) and ranking groups ({rankGroups.Length}) must have one entry per sample.");
        Labels = labels;
        var dense = new Dictionary<int, int>();
        DenseUser = new int[users.Length];
        for (int s = 0; s < users.Length; s++)
        {
            if (!dense.TryGetValue(users[s], out int u)) dense[users[s]] = u = dense.Count;
            DenseUser[s] = u;
        }
        Count = dense.Count;
        // Counting sort by user keeps each user's samples in their original order.
        Start = new int[Count + 1];
        foreach (int u in DenseUser) Start[u + 1]++;
        for (int u = 0; u < Count; u++) Start[u + 1] += Start[u];
        Order = new int[users.Length];
        var next = Start[..Count];
        for (int s = 0; s < users.Length; s++) Order[next[DenseUser[s]]++] = s;
        SortedLabels = Order.Select(s => labels[s]).ToArray();
        SortedGroups = Order.Select(s => rankGroups[s]).ToArray();
        var groupUser = new Dictionary<int, int>();
        for (int s = 0; s < users.Length; s++)
            if (groupUser.TryGetValue(rankGroups[s], out int owner) && owner != DenseUser[s])
                throw new ArgumentException($"Ranking group {rankGroups[s]} spans users {users[Order[Start[owner]]]} and {users[s]}; the user bootstrap needs groups within one user.", nameof(rankGroups));
            else groupUser[rankGroups[s]] = DenseUser[s];
    }

    /// <summary>Distinct users.</summary>
    public int Count { get; }
    /// <summary>Label per sample, in sample order.</summary>
    public bool[] Labels { get; }
    /// <summary>Dense user index (0..<see cref="Count"/>-1) per sample, in sample order.</summary>
    public int[] DenseUser { get; }
    /// <summary>Sample positions grouped by user: user u's are <c>Order[Start[u]..Start[u + 1]]</c>.</summary>
    public int[] Order { get; }
    /// <summary>Where each user's samples begin in <see cref="Order"/>; one more entry than users.</summary>
    public int[] Start { get; }
    /// <summary>Labels in <see cref="Order"/>.</summary>
    public bool[] SortedLabels { get; }
    /// <summary>Ranking groups in <see cref="Order"/>.</summary>
    public int[] SortedGroups { get; }
}
