using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Datasets;

/// <summary>Shared real data and converted-folder loading for the converter tests.</summary>
internal static class TestData
{
    /// <summary>A folder of the shared real data, e.g. <c>ml-100k</c>.</summary>
    public static string Shared(string dataset) => RepositoryPaths.Dataset(dataset);

    /// <summary>Reads all items and events of a converted folder, asserting the reader found no issues.</summary>
    public static (CanonicalDataset Dataset, List<ItemRecord> Items, List<EventRecord> Events) Load(string folder)
    {
        var ds = CanonicalDataset.Open(folder, BadRowPolicy.Throw);
        var issues = new DataIssues();
        var items = ds.ReadItems(issues).ToList();
        var events = ds.ReadEvents(issues).ToList();
        Assert.Equal(0, issues.Count(CanonicalDataset.MalformedRow));
        Assert.Equal(0, issues.Count(CanonicalDataset.DuplicateItem));
        return (ds, items, events);
    }
}
