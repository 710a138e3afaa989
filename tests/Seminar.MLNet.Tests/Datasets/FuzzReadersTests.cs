using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Datasets;

/// <summary>
/// The canonical readers and every converter fed truncated, line-shuffled and random-byte versions of small valid
/// inputs (issue 17): each run either succeeds, with skipped rows counted, or throws <see cref="DatasetFormatException"/>
/// naming the file. Any other exception (NullReference, IndexOutOfRange, KeyNotFound, InvalidCast, Overflow...) is a
/// crash. Seeds are fixed, so a failure names the case and the damage that replays it.
/// </summary>
public class FuzzReadersTests
{
    // SEMINAR_FUZZ_CASES runs more cases for a deeper search by hand; CI runs the fixed 200.
    static readonly int Cases = int.TryParse(Environment.GetEnvironmentVariable("SEMINAR_FUZZ_CASES"), out int n) ? n : 200;

    public static TheoryData<string> Targets() => new(FuzzInputs.All().Select(t => t.Name));

    [Theory]
    [MemberData(nameof(Targets))]
    public void Damaged_inputs_give_counted_skips_or_a_format_error_never_a_crash(string target)
    {
        var fuzz = FuzzInputs.Get(target);
        using var tmp = new TempFolder();
        var clean = Run(fuzz, fuzz.Files, tmp.File("clean"));
        Assert.Null(clean.Error);
        Assert.Equal(0, clean.Outcome.Skipped);

        var crashes = new List<string>();
        int formatErrors = 0, skipped = 0;
        for (int c = 0; c < Cases; c++)
        {
            var (files, what) = FuzzMutations.Apply(fuzz.Files, 1000 * target.Length + c);
            var result = Run(fuzz, files, tmp.File("case" + c));
            if (result.Error is DatasetFormatException f)
            {
                formatErrors++;
                if (!f.Message.StartsWith(f.File, StringComparison.Ordinal) || !Path.IsPathRooted(f.File))
                    crashes.Add($"case {c} ({what}): the error does not start with the file's path: {f.Message}");
            }
            else if (result.Error != null) crashes.Add($"case {c} ({what}): {result.Error.GetType().Name}: {result.Error.Message}\n{result.Error.StackTrace}");
            else if (result.Outcome.Skipped > 0) skipped++;
        }
        Assert.True(crashes.Count == 0, $"{crashes.Count} of {Cases} damaged inputs crashed {target}:\n" + string.Join("\n", crashes.Take(8)));
        // The damage must reach both outcomes, or the test proves nothing.
        Assert.InRange(formatErrors, 1, Cases - 1);
        Assert.InRange(skipped, 1, Cases - 1);
    }

    [Fact]
    public void A_byte_that_is_not_utf8_in_an_s3rec_attribute_name_is_a_format_error_naming_line_and_byte()
    {
        // The fuzz found this one (case 64: one byte inserted into a name): JsonDocument accepted the file and
        // reading the name threw InvalidOperationException.
        using var tmp = new TempFolder();
        var files = FuzzInputs.Get("s3rec").Files.ToDictionary(kv => kv.Key, kv => kv.Value);
        files["toy_item2attributes.json"] = "{\n\"1\": [1],\n\"2"u8.ToArray().Append((byte)0xC3).Concat("\": [2]\n}"u8.ToArray()).ToArray();
        var e = Assert.IsType<DatasetFormatException>(Run(FuzzInputs.Get("s3rec"), files, tmp.File("bad")).Error);
        Assert.Equal(3, e.Line);
        Assert.EndsWith("toy_item2attributes.json:3: byte 14 (0xC3) is not UTF-8 text", e.Message);

        // A byte order mark is not an error, and offsets count it.
        files["toy_item2attributes.json"] = "\uFEFF{\"1\": [1], \"2\": [2], \"3\": [], \"4\": []}"u8.ToArray();
        var ok = Run(FuzzInputs.Get("s3rec"), files, tmp.File("bom"));
        Assert.Null(ok.Error);
        Assert.Equal(new FuzzOutcome(4 + 10, 0), ok.Outcome);
        files["toy_item2attributes.json"] = "\uFEFF{\"1"u8.ToArray().Append((byte)0xFF).Concat("\": []}"u8.ToArray()).ToArray();
        e = Assert.IsType<DatasetFormatException>(Run(FuzzInputs.Get("s3rec"), files, tmp.File("bom2")).Error);
        Assert.EndsWith("toy_item2attributes.json:1: byte 6 (0xFF) is not UTF-8 text", e.Message);
    }

    [Fact]
    public void A_non_finite_unisrec_vector_is_refused_at_conversion_naming_file_row_and_item()
    {
        using var tmp = new TempFolder();
        var files = FuzzInputs.Get("unisrec").Files.ToDictionary(kv => kv.Key, kv => kv.Value);
        files["toy.feat3CLS"] = new[] { 0.5f, float.NaN, 2f }.SelectMany(BitConverter.GetBytes).ToArray();
        var e = Assert.IsType<DatasetFormatException>(Run(FuzzInputs.Get("unisrec"), files, tmp.File("nan")).Error);
        Assert.EndsWith("toy.feat3CLS", e.File);
        Assert.EndsWith("toy.feat3CLS: row 1 (item 'B') has a non-finite value at index 0", e.Message);
    }

    [Fact]
    public void A_null_manifest_name_reads_as_empty()
    {
        using var tmp = new TempFolder();
        DatasetFixtures.WriteRaw(tmp.Path, DatasetFixtures.ItemsHeader, DatasetFixtures.EventsHeader, "{\"name\": null}");
        Assert.Equal("", CanonicalDataset.Open(tmp.Path).Manifest.Name);
    }

    static (FuzzOutcome Outcome, Exception? Error) Run(FuzzTarget target, IReadOnlyDictionary<string, byte[]> files, string folder)
    {
        string input = Path.Combine(folder, "in");
        foreach (var (name, bytes) in files)
        {
            string p = Path.Combine(input, name);
            Directory.CreateDirectory(Path.GetDirectoryName(p)!);
            File.WriteAllBytes(p, bytes);
        }
        try
        {
            return (target.Run(input, Path.Combine(folder, "out"), new DataIssues()), null);
        }
        catch (Exception e)
        {
            return (default, e);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
