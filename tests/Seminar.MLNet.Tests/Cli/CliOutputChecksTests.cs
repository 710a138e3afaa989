using System.Text;
using Seminar.MLNet.Evaluation;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Cli;

/// <summary>
/// Issue 17, case 3: what the CLI writes and the options it takes are checked before any work, and failures are one line on
/// standard error with exit code 1.
/// </summary>
[Collection(CliCollection.Name)]
public class CliOutputChecksTests
{
    // 5 catalog items, only positives: every period samples negatives.
    static string SampledData(TempFolder tmp)
    {
        var events = new StringBuilder(DatasetFixtures.EventsHeader);
        foreach (string user in new[] { "a", "b", "c", "d", "e", "f" })
            for (int t = 1; t <= 12; t++) events.Append($"{user}\t{t}\t{"xyzwv"[(t * user[0]) % 5]}\t\t1\n");
        string data = tmp.File("data");
        DatasetFixtures.WriteRaw(data, DatasetFixtures.ItemsHeader + "x\t\t\ny\t\t\nz\t\t\nw\t\t\nv\t\t\n", events.ToString());
        return data;
    }

    /// <summary>Exit code 1 and exactly one line, "error: " and <paramref name="message"/>: no stack trace, no stage began.</summary>
    static void AssertRefused((int Code, string Output) run, string message)
    {
        var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(run.Code == 1, run.Output);
        Assert.Equal(new[] { "error: " + message }, lines);
    }

    [Fact]
    public void Report_and_output_under_a_regular_file_are_refused_before_reading_the_data()
    {
        using var tmp = new TempFolder();
        string data = SampledData(tmp), file = tmp.Write("somefile.txt", "not a folder");
        AssertRefused(CliRunner.Run("evaluate", "--data", data, "--report", Path.Combine(file, "report.json"), "--models", "fasttree_baseline"),
            $"--report: '{file}' is a file, not a folder.");
        AssertRefused(CliRunner.Run("evaluate", "--data", data, "--output", Path.Combine(file, "models", "zips"), "--models", "fasttree_baseline"),
            $"--output: '{Path.Combine(file, "models", "zips")}' cannot be created: '{file}' is a file, not a folder.");
        AssertRefused(CliRunner.Run("evaluate", "--data", data, "--output", file, "--models", "fasttree_baseline"), $"--output: '{file}' is a file, not a folder.");
        // A report path that is a folder would fail at the very end.
        AssertRefused(CliRunner.Run("evaluate", "--data", data, "--report", data, "--models", "fasttree_baseline"), $"--report: '{data}' is a folder, not a file.");
        Assert.Equal("not a folder", File.ReadAllText(file));
        Assert.Equal(new[] { "somefile.txt", "data" }.Order(), Directory.EnumerateFileSystemEntries(tmp.Path).Select(Path.GetFileName).Order());
    }

    [ReadOnlyFolderFact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Output_in_a_read_only_folder_is_refused_before_reading_the_data()
    {
        using var tmp = new TempFolder();
        string data = SampledData(tmp), locked = tmp.File("locked");
        Directory.CreateDirectory(locked);
        File.SetUnixFileMode(locked, ReadOnlyFolderFact.ReadOnly);
        try
        {
            var (code, output) = CliRunner.Run("evaluate", "--data", data, "--output", Path.Combine(locked, "models"), "--models", "fasttree_baseline");
            Assert.Equal(1, code);
            Assert.StartsWith($"error: --output: cannot write to '{locked}' (to create '{Path.Combine(locked, "models")}'): ", Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
            Assert.Contains("denied", output);
            (code, output) = CliRunner.Run("evaluate", "--data", data, "--report", Path.Combine(locked, "report.json"), "--models", "fasttree_baseline");
            Assert.Equal(1, code);
            Assert.StartsWith($"error: --report: cannot write to '{locked}': ", output);
            Assert.Empty(Directory.EnumerateFileSystemEntries(locked));
        }
        finally
        {
            File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public void Models_naming_no_model_or_an_unknown_one_are_refused_with_the_valid_names_before_the_data_is_opened()
    {
        using var tmp = new TempFolder();
        string valid = string.Join(", ", Evaluator.ModelNames);
        Assert.Contains("fasttree_seminar_pq", valid);
        // The data folder does not exist: the models are checked first.
        AssertRefused(CliRunner.Run("evaluate", "--data", tmp.File("missing"), "--models", ""), $"--models names no model; choose from {valid}.");
        AssertRefused(CliRunner.Run("evaluate", "--data", tmp.File("missing"), "--models", " , "), $"--models names no model; choose from {valid}.");
        AssertRefused(CliRunner.Run("evaluate", "--data", tmp.File("missing"), "--models", "fasttree_baseline,fastree"),
            $"--models: unknown model(s) fastree; choose from {valid}.");
        // demo checks before generating its data.
        AssertRefused(CliRunner.Run("demo", "--output", tmp.File("demo"), "--models", ""), $"--models names no model; choose from {valid}.");
        Assert.False(Directory.Exists(tmp.File("demo")));
        // The library refuses an empty list too (null asks for every model).
        var error = Assert.Throws<ArgumentException>(() => new EvaluationOptions { Models = Array.Empty<string>() }.Validate());
        Assert.Equal($"Models names no model; name at least one of {valid}, or leave it null for all. (Parameter 'Models')", error.Message);
    }

    [Fact]
    public void Negatives_beyond_the_catalog_size_minus_one_are_refused_before_training_and_the_limit_itself_runs()
    {
        using var tmp = new TempFolder();
        string data = SampledData(tmp);
        var (code, output) = CliRunner.Run("evaluate", "--data", data, "--models", "fasttree_baseline", "--negatives", "5", "--bootstrap", "0");
        Assert.Equal(1, code);
        Assert.Contains("error: Negatives (5) must be at most the catalog size minus one (5 items - 1 = 4); more would repeat negatives of the same positive.", output);
        Assert.DoesNotContain("   at ", output);
        Assert.DoesNotContain("fasttree_baseline", output); // no model began training
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal));

        string report = tmp.File("report.json");
        (code, output) = CliRunner.Run("evaluate", "--data", data, "--report", report, "--models", "fasttree_baseline", "--negatives", "4", "--bootstrap", "0");
        Assert.True(code == 0, output);
        Assert.Contains("4 sampled negatives per positive", output);
    }

    [Fact]
    public void Negatives_are_not_checked_against_the_catalog_when_the_data_has_its_own()
    {
        using var tmp = new TempFolder();
        var events = new StringBuilder(DatasetFixtures.EventsHeader);
        foreach (string user in new[] { "a", "b", "c", "d", "e", "f" })
            for (int t = 1; t <= 12; t++) events.Append($"{user}\t{t}\t{"xyz"[(t * user[0]) % 3]}\t\t{(t + user[0]) % 2}\n");
        string data = tmp.File("data");
        DatasetFixtures.WriteRaw(data, DatasetFixtures.ItemsHeader + "x\t\t\ny\t\t\nz\t\t\n", events.ToString());
        var (code, output) = CliRunner.Run("evaluate", "--data", data, "--models", "fasttree_baseline", "--negatives", "50", "--bootstrap", "0");
        Assert.True(code == 0, output);
        Assert.DoesNotContain("sampled negatives", output);
    }

    [Fact]
    public void Every_command_turns_output_failures_into_one_error_line()
    {
        using var tmp = new TempFolder();
        string file = tmp.Write("somefile.txt", "x"), under = Path.Combine(file, "out");
        string cannot = $"--output: '{under}' cannot be created: '{file}' is a file, not a folder.";
        AssertRefused(CliRunner.Run("generate", "--output", under, "--users", "5"), cannot);
        AssertRefused(CliRunner.Run("demo", "--output", under), cannot);
        AssertRefused(CliRunner.Run("convert", "--from", "recbole", "--input", tmp.Path, "--output", under), cannot);
        AssertRefused(CliRunner.Run("bench", "--report", Path.Combine(under, "bench.json")), $"--report: '{under}' cannot be created: '{file}' is a file, not a folder.");

        // A failure during the work, past the checks: items.tsv is a folder, which the generator cannot open for writing.
        string blocked = tmp.File("blocked");
        Directory.CreateDirectory(Path.Combine(blocked, "items.tsv"));
        var (code, output) = CliRunner.Run("generate", "--output", blocked, "--users", "5", "--items", "20", "--history", "5");
        Assert.Equal(1, code);
        var error = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.Contains(Path.Combine(blocked, "items.tsv"), error);
        Assert.DoesNotContain("   at ", output);

        // Reading: a missing input folder of convert.
        (code, output) = CliRunner.Run("convert", "--from", "recbole", "--input", tmp.File("nowhere"), "--output", tmp.File("converted"));
        Assert.Equal(1, code);
        Assert.Contains(tmp.File("nowhere"), Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error:", StringComparison.Ordinal)));
        Assert.DoesNotContain("   at ", output);
    }
}

/// <summary>
/// A fact that needs a folder this process cannot write in. As root a mode-555 folder is still writable (and Windows has no
/// mode bits), so there the test is skipped with that reason; the refusal of a path under a regular file, which fails for
/// root too, is tested separately.
/// </summary>
public sealed class ReadOnlyFolderFactAttribute : FactAttribute
{
    public ReadOnlyFolderFactAttribute()
    {
        if (!ReadOnlyFolderFact.Possible()) Skip = "A mode-555 folder is writable for this process (root, or no Unix modes): no read-only folder to test with.";
    }
}

static class ReadOnlyFolderFact
{
    public const UnixFileMode ReadOnly = UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>Whether a folder made read-only refuses a new file here: the same probe the CLI makes.</summary>
    public static bool Possible()
    {
        if (OperatingSystem.IsWindows()) return false;
        using var tmp = new TempFolder();
        File.SetUnixFileMode(tmp.Path, ReadOnly);
        try
        {
            File.WriteAllText(Path.Combine(tmp.Path, "probe"), "");
            File.Delete(Path.Combine(tmp.Path, "probe"));
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
        finally
        {
            File.SetUnixFileMode(tmp.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
