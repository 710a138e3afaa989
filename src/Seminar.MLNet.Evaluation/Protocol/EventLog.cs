using Seminar.MLNet.Datasets.Canonical;

namespace Seminar.MLNet.Evaluation.Protocol;

/// <summary>
/// A dataset's events held column-wise with interned ids, sorted by user then time, and each user's
/// positive events in time order. The protocol needs random access to a user's past, so this is the one
/// place the events are held in memory (about 25 bytes per event); the catalog is small beside it.
/// </summary>
public sealed class EventLog
{
    /// <summary>User ids by user index.</summary>
    public required string[] UserIds { get; init; }
    /// <summary>Item ids by item index: catalog items first (line order), then ids only seen in events.</summary>
    public required string[] ItemIds { get; init; }
    /// <summary>Number of leading <see cref="ItemIds"/> that come from the catalog.</summary>
    public required int CatalogItemCount { get; init; }
    /// <summary>Attribute token ids of each item (empty for items outside the catalog).</summary>
    public required int[][] ItemAttributes { get; init; }
    /// <summary>Distinct query strings; index 0 is the empty query.</summary>
    public required string[] Queries { get; init; }

    /// <summary>User of each event (sorted by user, then time, then file order).</summary>
    public required int[] User { get; init; }
    /// <summary>Timestamp of each event.</summary>
    public required long[] Time { get; init; }
    /// <summary>Item index of each event.</summary>
    public required int[] Item { get; init; }
    /// <summary>Query index of each event.</summary>
    public required int[] Query { get; init; }
    /// <summary>Label of each event.</summary>
    public required bool[] Label { get; init; }
    /// <summary>Events of user u are [UserStart[u], UserStart[u+1]).</summary>
    public required int[] UserStart { get; init; }
    /// <summary>Event indices of positive events, grouped by user, in time order.</summary>
    public required int[] Positives { get; init; }
    /// <summary>Positives of user u are Positives[PositiveStart[u] .. PositiveStart[u+1]).</summary>
    public required int[] PositiveStart { get; init; }

    /// <summary>Number of events.</summary>
    public int Count => User.Length;

    /// <summary>True when the dataset has at least one label-0 event.</summary>
    public bool HasNegatives { get; init; }

    /// <summary>
    /// What the timestamps mean (<c>dataset.json</c>'s clock): <see cref="DatasetManifest.TimeClock"/> (default) or
    /// <see cref="DatasetManifest.OrdinalClock"/>, where they only order each user's events and splits are made per user.
    /// </summary>
    public string Clock { get; init; } = DatasetManifest.TimeClock;

    /// <summary>True when the timestamps only order each user's events.</summary>
    public bool IsOrdinal => Clock == DatasetManifest.OrdinalClock;

    /// <summary>Issues met while reading the dataset.</summary>
    public required DataIssues Issues { get; init; }

    /// <summary>Reads a canonical dataset into an event log.</summary>
    public static EventLog Load(CanonicalDataset dataset, IProgress<double>? progress = null)
    {
        var issues = new DataIssues();
        return Load(dataset, dataset.ReadItems(issues), issues, progress);
    }

    /// <summary>
    /// Reads a canonical dataset's events into an event log over a catalog already read (so <c>items.tsv</c> is parsed once);
    /// <paramref name="issues"/> is where the catalog's were counted, and the events' are added.
    /// </summary>
    public static EventLog Load(CanonicalDataset dataset, ItemCatalog catalog, DataIssues issues, IProgress<double>? progress = null) =>
        Load(dataset, catalog.Items, issues, progress);

    static EventLog Load(CanonicalDataset dataset, IEnumerable<ItemRecord> catalog, DataIssues issues, IProgress<double>? progress)
    {
        var itemIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var itemIds = new List<string>();
        var attrs = new List<int[]>();
        var attrIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var record in catalog)
        {
            itemIndex[record.ItemId] = itemIds.Count;
            itemIds.Add(record.ItemId);
            attrs.Add(record.Attributes.Select(a => Intern(attrIndex, a)).Distinct().ToArray());
        }
        int catalogSize = itemIds.Count;
        var known = itemIndex.Keys.ToHashSet(StringComparer.Ordinal);

        var userIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var queryIndex = new Dictionary<string, int>(StringComparer.Ordinal) { [""] = 0 };
        var users = new List<int>(); var times = new List<long>(); var items = new List<int>(); var queries = new List<int>(); var labels = new List<bool>();
        long bytes = Math.Max(1, new FileInfo(dataset.EventsPath).Length), seen = 0;
        foreach (var e in dataset.ReadEvents(issues, known))
        {
            users.Add(Intern(userIndex, e.UserId));
            times.Add(e.Timestamp);
            if (!itemIndex.TryGetValue(e.ItemId, out int it))
            {
                it = itemIds.Count;
                itemIndex[e.ItemId] = it;
                itemIds.Add(e.ItemId);
                attrs.Add(Array.Empty<int>());
            }
            items.Add(it);
            queries.Add(Intern(queryIndex, e.Query));
            labels.Add(e.Label);
            seen += e.UserId.Length + e.ItemId.Length + e.Query.Length + 16;
            if ((users.Count & 0xFFFF) == 0) progress?.Report(Math.Min(0.99, (double)seen / bytes));
        }
        if (users.Count == 0) throw new DatasetFormatException(dataset.EventsPath, 0, "no usable events");

        int n = users.Count;
        var order = Enumerable.Range(0, n).ToArray();
        var u0 = users.ToArray(); var t0 = times.ToArray();
        Array.Sort(order, (a, b) =>
        {
            int c = u0[a].CompareTo(u0[b]);
            if (c != 0) return c;
            c = t0[a].CompareTo(t0[b]);
            return c != 0 ? c : a.CompareTo(b);
        });
        var user = new int[n]; var time = new long[n]; var item = new int[n]; var query = new int[n]; var label = new bool[n];
        for (int i = 0; i < n; i++)
        {
            int s = order[i];
            user[i] = u0[s]; time[i] = t0[s]; item[i] = items[s]; query[i] = queries[s]; label[i] = labels[s];
        }
        int userCount = userIndex.Count;
        var userStart = new int[userCount + 1];
        foreach (int u in user) userStart[u + 1]++;
        for (int u = 0; u < userCount; u++) userStart[u + 1] += userStart[u];
        var positiveStart = new int[userCount + 1];
        var positives = new List<int>();
        for (int u = 0; u < userCount; u++)
        {
            for (int i = userStart[u]; i < userStart[u + 1]; i++) if (label[i]) positives.Add(i);
            positiveStart[u + 1] = positives.Count;
        }
        progress?.Report(1);
        return new EventLog
        {
            UserIds = Names(userIndex), ItemIds = itemIds.ToArray(), CatalogItemCount = catalogSize, ItemAttributes = attrs.ToArray(),
            Queries = Names(queryIndex), User = user, Time = time, Item = item, Query = query, Label = label,
            UserStart = userStart, Positives = positives.ToArray(), PositiveStart = positiveStart,
            HasNegatives = Array.IndexOf(label, false) >= 0, Issues = issues, Clock = dataset.Manifest.Clock,
        };
    }

    static int Intern(Dictionary<string, int> index, string key)
    {
        if (!index.TryGetValue(key, out int i)) { i = index.Count; index[key] = i; }
        return i;
    }

    static string[] Names(Dictionary<string, int> index)
    {
        var names = new string[index.Count];
        foreach (var (k, v) in index) names[v] = k;
        return names;
    }
}
