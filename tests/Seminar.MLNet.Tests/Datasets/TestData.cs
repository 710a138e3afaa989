using Seminar.MLNet.Datasets.Canonical;

namespace Seminar.MLNet.Tests.Datasets;

/// <summary>Locates the shared real data (outside the repository) and provides scratch folders.</summary>
internal static class TestData
{
    static readonly Lazy<string> Root = new(() =>
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "SEMINAR.MLNet.sln"))) return d.FullName;
        throw new InvalidOperationException($"SEMINAR.MLNet.sln not found above {AppContext.BaseDirectory}");
    });

    /// <summary>The repository root.</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>A folder of the shared real data, e.g. <c>ml-100k</c>.</summary>
    public static string Shared(string dataset)
    {
        string p = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "data", dataset));
        Assert.True(Directory.Exists(p), $"shared data folder {p} is missing");
        return p;
    }

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

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "seminar-conv-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public string Write(string name, string content)
    {
        string p = Sub(name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        File.WriteAllText(p, content);
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
