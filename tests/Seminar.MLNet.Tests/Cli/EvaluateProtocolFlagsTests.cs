using System.Text;
using System.Text.Json;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Cli;

[Collection(CliCollection.Name)]
public class EvaluateProtocolFlagsTests
{
    [Fact]
    public void Negative_sampling_validation_fraction_and_thread_flags_reach_the_report()
    {
        using var tmp = new TempFolder();
        var events = new StringBuilder(DatasetFixtures.EventsHeader);
        foreach (string user in new[] { "a", "b", "c", "d", "e", "f" })
            for (int t = 1; t <= 12; t++) events.Append($"{user}\t{t}\t{"xyzwv"[(t * user[0]) % 5]}\t\t1\n");
        string data = tmp.File("data");
        DatasetFixtures.WriteRaw(data, DatasetFixtures.ItemsHeader + "x\t\t\ny\t\t\nz\t\t\nw\t\t\nv\t\t\n", events.ToString());
        string report = tmp.File("report.json");
        var (code, output) = CliRunner.Run("evaluate", "--data", data, "--report", report, "--models", "fasttree_baseline",
            "--negative-sampling", "uniform", "--validation-fraction", "0.25");
        Assert.True(code == 0, output);
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        var protocol = doc.RootElement.GetProperty("protocol");
        Assert.Equal("uniform", protocol.GetProperty("negative_sampling").GetString());
        Assert.Equal("time", protocol.GetProperty("clock").GetString());
        Assert.Equal(6, protocol.GetProperty("dropped_events_train").GetInt32()); // each user's first event
        // Training times 1..10 (nearest rank of 0.8 of 72 times is 10); the latest 25%: after the 45th of 60, t = 8.
        // t = 9 and 10: 2 positives and 8 negatives per user.
        Assert.Equal(6 * 2 * 5, protocol.GetProperty("validation_samples").GetInt32());
        Assert.Equal(0, doc.RootElement.GetProperty("torch_threads").GetInt32());   // the default: one per core

        (code, output) = CliRunner.Run("evaluate", "--data", data, "--report", report, "--models", "fasttree_baseline", "--threads", "1");
        Assert.True(code == 0, output);
        using (var again = JsonDocument.Parse(File.ReadAllText(report))) Assert.Equal(1, again.RootElement.GetProperty("torch_threads").GetInt32());
        (code, output) = CliRunner.Run("evaluate", "--data", data, "--models", "fasttree_baseline", "--threads", "-1");
        Assert.Equal(1, code);
        Assert.Contains("--threads is -1; use 0 (one per core) or a positive count.", output);

        (code, output) = CliRunner.Run("evaluate", "--data", data, "--models", "fasttree_baseline", "--negative-sampling", "often");
        Assert.Equal(1, code);
        Assert.Contains("--negative-sampling <popularity|uniform>", output);
    }
}
