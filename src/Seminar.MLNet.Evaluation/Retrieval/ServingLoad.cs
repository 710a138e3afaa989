using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.ML;

namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>Options of <c>bench --serving --load</c>: the serving sample under concurrent clients on loopback.</summary>
public sealed class ServingLoadOptions
{
    /// <summary>The built serving sample, <c>Seminar.Serving.dll</c>, run with <c>dotnet</c>.</summary>
    public required string SampleDll { get; init; }
    /// <summary>Concurrent clients, each sending one request after another. Default 8.</summary>
    public int Clients { get; set; } = 8;
    /// <summary>Seconds the clients keep sending. Default 30.</summary>
    public double Seconds { get; set; } = 30;
    /// <summary>Distinct requests the clients draw from, in turn. Default 64.</summary>
    public int Requests { get; set; } = 64;
    /// <summary>History length L of every request. Default 1,000.</summary>
    public int HistoryLength { get; set; } = 1_000;
    /// <summary>Candidates per request. Default 100.</summary>
    public int Candidates { get; set; } = 100;
    /// <summary>Longest wait for the sample's <c>/health</c> after starting it. Default 120 seconds.</summary>
    public double StartSeconds { get; set; } = 120;

    /// <summary>Throws when an option is out of range or the sample is not there.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Clients, 1, nameof(Clients));
        if (!(Seconds > 0)) throw new ArgumentOutOfRangeException(nameof(Seconds), "The load run's seconds must be more than 0.");
        ArgumentOutOfRangeException.ThrowIfLessThan(Requests, 1, nameof(Requests));
        ArgumentOutOfRangeException.ThrowIfLessThan(HistoryLength, 1, nameof(HistoryLength));
        ArgumentOutOfRangeException.ThrowIfLessThan(Candidates, 1, nameof(Candidates));
        if (!(StartSeconds > 0)) throw new ArgumentOutOfRangeException(nameof(StartSeconds), "The start-up wait must be more than 0 seconds.");
        if (!File.Exists(SampleDll))
            throw new InvalidOperationException($"The serving sample '{SampleDll}' does not exist; build samples/Seminar.Serving (dotnet build samples/Seminar.Serving -c Release).");
    }
}

/// <summary>The <c>load</c> object of the <c>bench --serving</c> report: field names are a contract (issue 15).</summary>
public sealed class ServingLoadResult
{
    /// <summary>Concurrent clients.</summary>
    [JsonPropertyName("clients")] public int Clients { get; set; }
    /// <summary>Seconds from the first request sent to the last answer read.</summary>
    [JsonPropertyName("seconds")] public double Seconds { get; set; }
    /// <summary>Answered requests per second, all clients together.</summary>
    [JsonPropertyName("requests_per_second")] public double RequestsPerSecond { get; set; }
    /// <summary>Median time from sending a request to reading its whole answer, milliseconds.</summary>
    [JsonPropertyName("p50_ms")] public double P50Milliseconds { get; set; }
    /// <summary>99th percentile of the same, milliseconds.</summary>
    [JsonPropertyName("p99_ms")] public double P99Milliseconds { get; set; }
    /// <summary>Answers other than 200, and requests that got no answer.</summary>
    [JsonPropertyName("errors")] public int Errors { get; set; }
    /// <summary>200 answers whose scores differ from the single-threaded <see cref="SeminarRanker"/> scores of the same request in any bit.</summary>
    [JsonPropertyName("mismatches")] public int Mismatches { get; set; }
    /// <summary>Answered requests, all clients together.</summary>
    [JsonPropertyName("requests")] public int Requests { get; set; }
    /// <summary>Distinct requests the clients drew from.</summary>
    [JsonPropertyName("distinct_requests")] public int DistinctRequests { get; set; }
    /// <summary>History length L of every request.</summary>
    [JsonPropertyName("history_length")] public int HistoryLength { get; set; }
    /// <summary>Candidates per request.</summary>
    [JsonPropertyName("candidates")] public int Candidates { get; set; }
    /// <summary>The retrieval of the served chain: exact or pq.</summary>
    [JsonPropertyName("retrieval")] public string Retrieval { get; set; } = "";
    /// <summary>The first error's status and body (or exception), so a failed run says why; absent when there was none.</summary>
    [JsonPropertyName("first_error")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? FirstError { get; set; }
}

/// <summary>
/// A bounded load run: the serving sample started as its own process on 127.0.0.1 over a saved chain, clients sending
/// <c>POST /rank</c> one after another for a fixed time, every answer compared bit for bit with the single-threaded
/// <see cref="SeminarRanker"/> over the same zip in this process.
/// </summary>
static class ServingLoad
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Saves <paramref name="model"/> to a temp zip, serves it and runs the clients; the sample is stopped before returning.</summary>
    public static ServingLoadResult Run(ITransformer model, DataViewSchema schema, IReadOnlyList<RankingRequest> requests, string retrieval,
        ServingLoadOptions options, IProgress<EvaluationProgress>? progress)
    {
        options.Validate();
        string folder = Path.Combine(Path.GetTempPath(), $"seminar-load-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        try
        {
            string zip = Path.Combine(folder, "model.zip");
            var ml = new MLContext(1);
            ml.Model.Save(model, schema, zip);
            progress?.Report(new EvaluationProgress("load run: single-threaded reference scores", double.NaN));
            float[][] expected = Reference(ml, zip, requests);
            byte[][] bodies = requests.Select(r => JsonSerializer.SerializeToUtf8Bytes(r, Json)).ToArray();

            progress?.Report(new EvaluationProgress("load run: starting the serving sample", double.NaN));
            using var sample = ServedSample.Start(options, zip, bodies.Max(b => b.Length));
            progress?.Report(new EvaluationProgress($"load run: {options.Clients} clients for {options.Seconds:0.#} s", double.NaN));
            var result = LoadAsync(sample.Address, bodies, expected, options).GetAwaiter().GetResult();
            result.Retrieval = retrieval;
            return result;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The scores of every request, one at a time on this thread, from the zip loaded as the sample loads it.</summary>
    static float[][] Reference(MLContext ml, string zip, IReadOnlyList<RankingRequest> requests)
    {
        var loaded = ml.Seminar().LoadModel(zip, out var schema);
        try
        {
            using var ranker = new SeminarRanker(loaded, schema);
            return requests.Select(ranker.Rank).ToArray();
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    sealed class ClientTally
    {
        public readonly List<double> Milliseconds = new();
        public int Errors, Mismatches;
        public string? FirstError;
    }

    static async Task<ServingLoadResult> LoadAsync(Uri address, byte[][] bodies, float[][] expected, ServingLoadOptions options)
    {
        var duration = TimeSpan.FromSeconds(options.Seconds);
        var clock = Stopwatch.StartNew();
        // Client k sends requests k, k + N, k + 2N, ...: concurrent requests differ, so answers mixed up between
        // connections would show as mismatches.
        var tallies = await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(k => Task.Run(async () =>
        {
            var tally = new ClientTally();
            // One client per connection, as separate callers would be.
            using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(Math.Max(60, options.Seconds)) };
            for (int i = k; clock.Elapsed < duration; i += options.Clients)
            {
                int r = i % bodies.Length;
                long start = Stopwatch.GetTimestamp();
                try
                {
                    using var content = new ByteArrayContent(bodies[r]);
                    content.Headers.ContentType = new("application/json");
                    using var response = await http.PostAsync("/rank", content);
                    byte[] answer = await response.Content.ReadAsByteArrayAsync();
                    tally.Milliseconds.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        tally.Errors++;
                        tally.FirstError ??= $"{(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(answer.AsSpan(0, Math.Min(answer.Length, 500)))}";
                    }
                    else if (!SameScores(expected[r], answer)) tally.Mismatches++;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    tally.Errors++;
                    tally.FirstError ??= $"{e.GetType().Name}: {e.Message}";
                }
            }
            return tally;
        })));
        double seconds = clock.Elapsed.TotalSeconds;

        var times = tallies.SelectMany(t => t.Milliseconds).Order().ToList();
        return new ServingLoadResult
        {
            Clients = options.Clients, Seconds = Math.Round(seconds, 2), Requests = times.Count,
            RequestsPerSecond = Math.Round(times.Count / seconds, 1),
            P50Milliseconds = times.Count == 0 ? 0 : Math.Round(Percentile(times, 0.5), 3),
            P99Milliseconds = times.Count == 0 ? 0 : Math.Round(Percentile(times, 0.99), 3),
            Errors = tallies.Sum(t => t.Errors), Mismatches = tallies.Sum(t => t.Mismatches),
            FirstError = tallies.Select(t => t.FirstError).FirstOrDefault(e => e != null),
            DistinctRequests = bodies.Length, HistoryLength = options.HistoryLength, Candidates = options.Candidates,
        };
    }

    /// <summary>Whether the answer's <c>scores</c> are the expected floats to the bit (JSON writes floats so they read back exactly).</summary>
    static bool SameScores(float[] expected, byte[] answer)
    {
        try
        {
            using var json = JsonDocument.Parse(answer);
            var scores = json.RootElement.GetProperty("scores");
            if (scores.GetArrayLength() != expected.Length) return false;
            int c = 0;
            foreach (var score in scores.EnumerateArray())
                if (BitConverter.SingleToInt32Bits(score.GetSingle()) != BitConverter.SingleToInt32Bits(expected[c++])) return false;
            return true;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return false;
        }
    }

    static double Percentile(List<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    /// <summary>The serving sample as its own process on a free loopback port; disposing stops it.</summary>
    sealed class ServedSample : IDisposable
    {
        readonly Process _process;
        readonly Queue<string> _output = new();

        ServedSample(Process process, Uri address)
        {
            _process = process;
            Address = address;
        }

        public Uri Address { get; }

        public static ServedSample Start(ServingLoadOptions options, string zip, int largestBody)
        {
            var address = new Uri($"http://127.0.0.1:{FreePort()}");
            // The SDK names the dotnet it runs under; outside it, the one on PATH.
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                WorkingDirectory = Path.GetDirectoryName(zip)!,
            };
            // Limits raised to the largest request only when the sizes asked for exceed the defaults: refusals are not what is measured.
            foreach (string a in new[]
            {
                options.SampleDll, $"--urls={address.ToString().TrimEnd('/')}", $"--Seminar:ModelPath={zip}",
                $"--Seminar:MaxRequestBytes={Math.Max(1 << 20, largestBody)}", $"--Seminar:MaxCandidates={Math.Max(10_000, options.Candidates)}",
                "--Logging:LogLevel:Default=Warning",
            }) start.ArgumentList.Add(a);
            var process = new Process { StartInfo = start };
            var sample = new ServedSample(process, address);
            process.OutputDataReceived += (_, e) => sample.Keep(e.Data);
            process.ErrorDataReceived += (_, e) => sample.Keep(e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                sample.WaitForHealth(TimeSpan.FromSeconds(options.StartSeconds));
            }
            catch
            {
                sample.Dispose();
                throw;
            }
            return sample;
        }

        /// <summary>A port nobody listens on now; the sample binds it a moment later (a collision fails start-up with Kestrel's message).</summary>
        static int FreePort()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }

        void Keep(string? line)
        {
            if (line == null) return;
            lock (_output)
            {
                _output.Enqueue(line);
                if (_output.Count > 40) _output.Dequeue();
            }
        }

        string Output()
        {
            lock (_output) return string.Join(Environment.NewLine, _output);
        }

        void WaitForHealth(TimeSpan limit)
        {
            using var http = new HttpClient { BaseAddress = Address, Timeout = TimeSpan.FromSeconds(5) };
            var clock = Stopwatch.StartNew();
            while (true)
            {
                if (_process.HasExited)
                {
                    _process.WaitForExit();
                    throw new InvalidOperationException($"The serving sample exited with code {_process.ExitCode} before answering /health:{Environment.NewLine}{Output()}");
                }
                try
                {
                    using var response = http.GetAsync("/health").GetAwaiter().GetResult();
                    if (response.StatusCode == HttpStatusCode.OK) return;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // Not listening yet.
                }
                if (clock.Elapsed > limit)
                    throw new InvalidOperationException($"The serving sample did not answer /health at {Address} within {limit.TotalSeconds:0} s:{Environment.NewLine}{Output()}");
                Thread.Sleep(100);
            }
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited) _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
            finally
            {
                _process.Dispose();
            }
        }
    }
}
