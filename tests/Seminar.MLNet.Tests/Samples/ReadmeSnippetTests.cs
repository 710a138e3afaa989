using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Samples;

/// <summary>
/// The README's headline pipeline is the API sample's, word for word: the sample compiles with the build, so the
/// snippet compiles as written (in the sample's context, which its comment lines describe).
/// </summary>
public class ReadmeSnippetTests
{
    static readonly string Readme = Path.Combine(RepositoryPaths.Root, "README.md");
    static readonly string Sample = Path.Combine(RepositoryPaths.Root, "samples", "Seminar.ApiSample", "Program.cs");

    [Fact]
    public void Readme_pipeline_is_the_api_samples_region_word_for_word()
    {
        var block = FirstCSharpBlock(File.ReadAllLines(Readme));
        var usings = block.TakeWhile(l => l.StartsWith("using ", StringComparison.Ordinal)).ToList();
        var code = block.Skip(usings.Count).SkipWhile(string.IsNullOrWhiteSpace).ToList();
        var sample = File.ReadAllLines(Sample);

        Assert.Contains("using Seminar.MLNet;", usings);
        Assert.DoesNotContain(usings, u => !sample.Contains(u));
        var region = Region(sample, "README pipeline");
        Assert.Contains(region, l => l.Contains("ml.Seminar().FeaturizeSequences(", StringComparison.Ordinal));
        Assert.Equal(string.Join("\n", region), string.Join("\n", code));
    }

    /// <summary>The lines of the README's first C# block (between ```csharp and the closing fence).</summary>
    static List<string> FirstCSharpBlock(string[] lines)
    {
        int start = Array.FindIndex(lines, l => l.Trim() == "```csharp");
        Assert.True(start >= 0, "README.md has no ```csharp block.");
        int end = Array.FindIndex(lines, start + 1, l => l.Trim() == "```");
        Assert.True(end > start, "README.md's first ```csharp block is not closed.");
        return lines[(start + 1)..end].Select(l => l.TrimEnd()).ToList();
    }

    /// <summary>The lines inside <c>#region name</c> .. <c>#endregion</c>, dedented by their common indent.</summary>
    static List<string> Region(string[] lines, string name)
    {
        int start = Array.FindIndex(lines, l => l.Trim() == "#region " + name);
        Assert.True(start >= 0, $"No '#region {name}' in the API sample.");
        int end = Array.FindIndex(lines, start + 1, l => l.Trim() == "#endregion");
        Assert.True(end > start, $"'#region {name}' is not closed.");
        var body = lines[(start + 1)..end];
        int indent = body.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return body.Select(l => (l.Length >= indent ? l[indent..] : l.TrimStart()).TrimEnd()).ToList();
    }
}
