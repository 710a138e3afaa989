namespace Seminar.MLNet.Tests.Support;

/// <summary>Where the repository and the shared real datasets (../shared/data beside it) are.</summary>
public static class RepositoryPaths
{
    /// <summary>The folder holding SEMINAR.MLNet.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The shared real datasets.</summary>
    public static string SharedData { get; } = Path.GetFullPath(Path.Combine(Root, "..", "shared", "data"));

    /// <summary>A dataset folder under the shared data; fails the test clearly when it is absent.</summary>
    public static string Dataset(string name)
    {
        string p = Path.Combine(SharedData, name);
        Assert.True(Directory.Exists(p), $"Shared dataset '{name}' not found at {p}; tests expect ../shared/data beside the repository.");
        return p;
    }

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "SEMINAR.MLNet.sln"))) return dir.FullName;
        throw new InvalidOperationException("SEMINAR.MLNet.sln not found above " + AppContext.BaseDirectory);
    }
}
