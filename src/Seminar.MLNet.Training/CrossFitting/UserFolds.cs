using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet.Training.CrossFitting;

/// <summary>
/// Assigns each user of a training view to one of k folds and remembers each row's fold. Users are ordered by a seeded
/// 64-bit hash of their id and dealt round-robin, so every fold gets users (when there are at least k) and the same id,
/// seed and user set always give the same folds, whatever the row order.
/// </summary>
sealed class UserFolds
{
    readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    UserFolds(int count, Dictionary<string, int> foldOfUser, byte[] rowFolds)
    {
        Count = count;
        _lookup = foldOfUser.GetAlternateLookup<ReadOnlySpan<char>>();
        RowFolds = rowFolds;
        var users = new List<string>[count];
        for (int f = 0; f < count; f++) users[f] = new List<string>();
        foreach (var (user, fold) in foldOfUser) users[fold].Add(user);
        Users = users.Select(u => (IReadOnlyList<string>)u.Order(StringComparer.Ordinal).ToArray()).ToArray();
        RowCounts = Enumerable.Range(0, count).Select(f => (long)rowFolds.Count(r => r == f)).ToArray();
    }

    /// <summary>Number of folds.</summary>
    public int Count { get; }
    /// <summary>The fold of each row, in the view's row order.</summary>
    public byte[] RowFolds { get; }
    /// <summary>Per fold, its users (ordinal order).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Users { get; }
    /// <summary>Per fold, its rows.</summary>
    public IReadOnlyList<long> RowCounts { get; }

    /// <summary>The fold of <paramref name="user"/>, or -1 when the training view has no row of that user.</summary>
    public int FoldOf(ReadOnlySpan<char> user) => _lookup.TryGetValue(user, out int fold) ? fold : -1;

    /// <summary>Reads <paramref name="userColumn"/> (text) of every row once and deals the users into <paramref name="count"/> folds.</summary>
    public static UserFolds Build(IDataView data, string userColumn, int count, int seed)
    {
        if (count is < 2 or > byte.MaxValue) throw new ArgumentOutOfRangeException(nameof(count), count, $"Cross-fitting needs between 2 and {byte.MaxValue} folds.");
        var column = data.Schema.GetColumnOrNull(userColumn)
            ?? throw new ArgumentException($"The training data has no user column '{userColumn}' (columns: {string.Join(", ", data.Schema.Select(c => c.Name))}).", nameof(userColumn));
        if (column.Type is not TextDataViewType)
            throw new ArgumentException($"User column '{userColumn}' is {column.Type}; cross-fitting reads user ids as text.", nameof(userColumn));

        var rowUsers = new List<int>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var lookup = index.GetAlternateLookup<ReadOnlySpan<char>>();
        var names = new List<string>();
        using (var cursor = data.GetRowCursor(new[] { column }))
        {
            var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> user = default;
            while (cursor.MoveNext())
            {
                getter(ref user);
                if (!lookup.TryGetValue(user.Span, out int u))
                {
                    u = names.Count;
                    string name = user.ToString();
                    names.Add(name);
                    index.Add(name, u);
                }
                rowUsers.Add(u);
            }
        }
        if (names.Count < count)
            throw new InvalidOperationException($"Cross-fitting with {count} folds needs at least {count} distinct users in column '{userColumn}'; the training data has {names.Count}.");

        // Dealing users in hash order, not hashing straight to a fold, keeps fold sizes within one user of each other.
        var order = Enumerable.Range(0, names.Count).OrderBy(u => Hash(names[u], seed)).ThenBy(u => names[u], StringComparer.Ordinal).ToArray();
        var foldOfUser = new Dictionary<string, int>(names.Count, StringComparer.Ordinal);
        for (int rank = 0; rank < order.Length; rank++) foldOfUser[names[order[rank]]] = rank % count;
        var userFold = names.Select(n => (byte)foldOfUser[n]).ToArray();
        var rowFolds = new byte[rowUsers.Count];
        for (int r = 0; r < rowFolds.Length; r++) rowFolds[r] = userFold[rowUsers[r]];
        return new UserFolds(count, foldOfUser, rowFolds);
    }

    /// <summary>FNV-1a over the UTF-16 code units, then a SplitMix64 finaliser mixed with the seed: stable across processes, unlike string.GetHashCode.</summary>
    internal static ulong Hash(string user, int seed)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in user)
        {
            h ^= c;
            h *= 1099511628211UL;
        }
        h ^= (ulong)(uint)seed * 0x9E3779B97F4A7C15UL;
        h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
        h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
        return h ^ (h >> 31);
    }
}
