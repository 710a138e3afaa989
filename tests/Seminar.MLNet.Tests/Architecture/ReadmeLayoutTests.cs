using System.Text.RegularExpressions;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Architecture;

/// <summary>The README's layout section is the map a maintainer navigates by: every path it names exists, and every source folder is on it.</summary>
public class ReadmeLayoutTests
{
    [Fact]
    public void Every_path_the_README_layout_names_exists_and_every_source_folder_is_named()
    {
        var listed = LayoutPaths(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "README.md")));
        Assert.Contains("src/Seminar.MLNet/PsuScoring", listed);
        Assert.Contains("src/Seminar.MLNet/Retrieval/Strategies", listed);
        foreach (var path in listed)
        {
            string full = Path.Combine(RepositoryPaths.Root, path);
            Assert.True(Directory.Exists(full) || File.Exists(full), $"README layout names '{path}', which is not in the repository.");
        }

        var folders = Directory.GetDirectories(Path.Combine(RepositoryPaths.Root, "src"), "*", SearchOption.AllDirectories)
            .Select(d => Path.GetRelativePath(RepositoryPaths.Root, d).Replace('\\', '/'))
            .Where(d => !Regex.IsMatch(d, @"/(bin|obj)(/|$)"));
        var missing = folders.Where(d => !listed.Contains(d)).ToArray();
        Assert.True(missing.Length == 0, "Source folders missing from the README layout: " + string.Join(", ", missing));
    }

    [Fact]
    public void Layout_paths_nest_by_indentation_and_skip_description_lines()
    {
        const string readme = "## Layout\n\n```\nsrc/A              lib\n  B/               part\n                   more words/ here\n    C/             sub\n  D.cs             file\ntests/T            tests\n```\n## Next\n";
        Assert.Equal(new[] { "src/A", "src/A/B", "src/A/B/C", "src/A/D.cs", "tests/T" }, LayoutPaths(readme).OrderBy(p => p, StringComparer.Ordinal).ToArray());
    }

    /// <summary>
    /// The paths of the fenced block under "## Layout": a top-level line starts a path from the root; an indented line whose first
    /// word ends in '/' or '.cs' is a child of the nearest less-indented path; deeper-indented lines without such a word describe.
    /// </summary>
    static HashSet<string> LayoutPaths(string readme)
    {
        var heading = Regex.Match(readme, "^## Layout$", RegexOptions.Multiline);
        Assert.True(heading.Success, "README has no '## Layout' section.");
        int section = heading.Index;
        int open = readme.IndexOf("```", section, StringComparison.Ordinal);
        int close = readme.IndexOf("```", open + 3, StringComparison.Ordinal);
        var stack = new List<(int Indent, string Path)>();
        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in readme[(open + 3)..close].Split('\n'))
        {
            if (line.Trim().Length == 0) continue;
            int indent = line.Length - line.TrimStart().Length;
            string word = line.Trim().Split(' ')[0];
            if (indent > 0 && !word.EndsWith('/') && !word.EndsWith(".cs", StringComparison.Ordinal)) continue;
            while (stack.Count > 0 && stack[^1].Indent >= indent) stack.RemoveAt(stack.Count - 1);
            string path = (stack.Count == 0 ? "" : stack[^1].Path + "/") + word.TrimEnd('/');
            stack.Add((indent, path));
            paths.Add(path);
        }
        return paths;
    }
}
