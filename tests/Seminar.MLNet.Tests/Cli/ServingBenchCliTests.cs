using System.Text.Json;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Cli;

/// <summary>
/// Issue 15, serving benchmark: <c>bench --serving</c> at tiny sizes writes the contract's JSON, a fitted, a fast-loaded
/// and a stock-loaded row for every (length, candidates, retrieval), and the PSU stage's row and batch paths. No time is asserted.
/// </summary>
public sealed class ServingBenchCliTests
{
    [Fact]
    public void Bench_serving_writes_fitted_fast_loaded_and_stock_loaded_rows_for_every_setting()
    {
        using var tmp = new TempFolder();
        string report = tmp.File("serving.json");
        var (code, output) = CliRunner.Run("bench", "--serving", "--serving-lengths", "7,40", "--candidates", "1,3", "--serving-catalog", "300",
            "--warmup-seconds", "0", "--measure-seconds", "0", "--min-requests", "3", "--report", report);
        Assert.True(code == 0, output);
        Assert.Contains("fast-loaded (Seminar().LoadModel)", output);

        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var root = json.RootElement;
        Assert.Contains("Seminar().LoadModel", root.GetProperty("note").GetString());
        var rows = root.GetProperty("requests").EnumerateArray().ToArray();
        Assert.Equal(2 * 2 * 2 * 3, rows.Length);
        foreach (var row in rows)
        {
            foreach (var field in new[] { "setting", "chain", "retrieval" }) Assert.False(string.IsNullOrEmpty(row.GetProperty(field).GetString()), field);
            Assert.Equal(row.GetProperty("history_length").GetInt32(), row.GetProperty("length").GetInt32());
            Assert.True(row.GetProperty("p50_us").GetDouble() > 0, "p50_us");
            Assert.True(row.GetProperty("p99_us").GetDouble() >= row.GetProperty("p50_us").GetDouble(), "p99_us >= p50_us");
            Assert.True(row.GetProperty("allocated_bytes").GetInt64() >= 0, "allocated_bytes");
            Assert.True(row.GetProperty("requests").GetInt32() >= 3, "requests");
        }
        var settings = rows.Select(r => (L: r.GetProperty("history_length").GetInt32(), C: r.GetProperty("candidates").GetInt32(),
            Chain: r.GetProperty("chain").GetString(), Retrieval: r.GetProperty("retrieval").GetString())).ToHashSet();
        foreach (int l in new[] { 7, 40 })
            foreach (int c in new[] { 1, 3 })
                foreach (string retrieval in new[] { "exact", "pq" })
                    foreach (string chain in new[] { "fitted", "fast_loaded", "stock_loaded" })
                        Assert.Contains((l, c, chain, retrieval), settings);
        // The C# chains batch the exact PSU or PQ attention over a request's candidates; ONNX Runtime goes candidate by candidate.
        foreach (var row in rows)
        {
            bool batched = row.GetProperty("chain").GetString() != "stock_loaded";
            Assert.Equal(batched ? "batch" : "row", row.GetProperty("path").GetString());
        }

        var stage = root.GetProperty("psu_stage").EnumerateArray().ToArray();
        Assert.Equal(2 * 2 * 2, stage.Length);
        Assert.Equal(new[] { "batch", "row" }, stage.Select(r => r.GetProperty("path").GetString()).Distinct().Order());
        Assert.All(stage, r => Assert.True(r.GetProperty("p50_us").GetDouble() > 0));
        Assert.True(root.GetProperty("dimension").GetInt32() > 0 && root.GetProperty("heads").GetInt32() > 0);
        Assert.Equal(300, root.GetProperty("catalog_items").GetInt32());
    }

    [Fact]
    public void Bench_serving_load_serves_every_request_with_the_single_threaded_scores()
    {
        using var tmp = new TempFolder();
        string report = tmp.File("load.json");
        var (code, output) = CliRunner.Run("bench", "--serving", "--serving-lengths", "7", "--candidates", "1",
            "--warmup-seconds", "0", "--measure-seconds", "0", "--min-requests", "1",
            "--load", "--load-clients", "2", "--load-seconds", "2", "--load-requests", "5", "--load-length", "30", "--load-candidates", "4", "--report", report);
        Assert.True(code == 0, output);
        Assert.Contains("load: 2 clients", output);

        using var json = JsonDocument.Parse(File.ReadAllText(report));
        var load = json.RootElement.GetProperty("load");
        Assert.False(load.TryGetProperty("first_error", out var error), $"first_error: {error}");
        Assert.Equal(0, load.GetProperty("errors").GetInt32());
        Assert.Equal(0, load.GetProperty("mismatches").GetInt32());
        Assert.Equal(2, load.GetProperty("clients").GetInt32());
        int requests = load.GetProperty("requests").GetInt32();
        Assert.True(requests > 0, "requests");
        double seconds = load.GetProperty("seconds").GetDouble();
        Assert.True(seconds > 0, "seconds");
        // Seconds are written rounded to 0.01.
        Assert.InRange(load.GetProperty("requests_per_second").GetDouble(), requests / (seconds + 0.01) - 0.1, requests / (seconds - 0.01) + 0.1);
        Assert.True(load.GetProperty("p50_ms").GetDouble() > 0, "p50_ms");
        Assert.True(load.GetProperty("p99_ms").GetDouble() >= load.GetProperty("p50_ms").GetDouble(), "p99_ms >= p50_ms");
        Assert.Equal(5, load.GetProperty("distinct_requests").GetInt32());
        Assert.Equal(30, load.GetProperty("history_length").GetInt32());
        Assert.Equal(4, load.GetProperty("candidates").GetInt32());
        Assert.Equal("exact", load.GetProperty("retrieval").GetString());
        // The serving bench's own rows are still there.
        Assert.Equal(2 * 3, json.RootElement.GetProperty("requests").GetArrayLength());
    }

    [Fact]
    public void Bench_load_without_serving_is_refused()
    {
        var (code, output) = CliRunner.Run("bench", "--load");
        Assert.Equal(1, code);
        Assert.Contains("--load runs after the serving bench: give --serving too.", output);
    }

    [Fact]
    public void Bench_serving_refuses_a_count_that_is_not_positive()
    {
        var (code, output) = CliRunner.Run("bench", "--serving", "--candidates", "1,0");
        Assert.Equal(1, code);
        Assert.Contains("--candidates: '0' is not a positive whole number.", output);
    }
}
