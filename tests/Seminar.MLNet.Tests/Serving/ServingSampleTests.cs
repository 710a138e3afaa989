using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML;
using Seminar.MLNet.Tests.Support;
using static Seminar.MLNet.Tests.Serving.SeminarRankerTests;

namespace Seminar.MLNet.Tests.Serving;

/// <summary>
/// Issue 15, the serving sample: <c>samples/Seminar.Serving</c> started on loopback (Kestrel, 127.0.0.1, a free port) over a
/// saved chain (featurizer, PSU, PQ, FastTree over a per-candidate price) answers <c>/rank</c> with the scores
/// <see cref="SeminarRanker"/> gives over the same zip, to the bit, from concurrent clients too; every bad request gets
/// its status and a message naming the problem, never a 500; a missing or unreadable zip stops start-up.
/// </summary>
public sealed class ServingSampleTests : IClassFixture<ServingSampleTests.ServedModel>
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    readonly ServedModel _served;

    public ServingSampleTests(ServedModel served) => _served = served;

    /// <summary>A chain fitted as <see cref="SeminarRankerTests"/> fits it, saved to a temp zip, and the sample serving it.</summary>
    public sealed class ServedModel : IDisposable
    {
        public const int MaxRequestBytes = 32 * 1024, MaxCandidates = 50;
        readonly TempFolder _folder = new();
        readonly ITransformer _loaded;

        public ServedModel()
        {
            var (ml, model, schema) = Fit(3);
            ml.Model.Save(model, schema, ModelPath);
            (model as IDisposable)?.Dispose();
            _loaded = new MLContext(1).Seminar().LoadModel(ModelPath, out var loadedSchema);
            Ranker = new SeminarRanker(_loaded, loadedSchema);
            Rows = SeminarRankerTests.Rows(60, 44);
            Host = new ServingHost(new()
            {
                ["Seminar:ModelPath"] = ModelPath,
                ["Seminar:MaxRequestBytes"] = MaxRequestBytes.ToString(),
                ["Seminar:MaxCandidates"] = MaxCandidates.ToString(),
            });
            Client = Host.StartOnLoopback();
        }

        public string ModelPath => _folder.File("model.zip");
        /// <summary>The single-threaded reference: stock-loaded from the same zip, in this process.</summary>
        public SeminarRanker Ranker { get; }
        public PricedRow[] Rows { get; }
        public ServingHost Host { get; }
        public HttpClient Client { get; }

        public void Dispose()
        {
            Client.Dispose();
            Host.Dispose();
            Ranker.Dispose();
            (_loaded as IDisposable)?.Dispose();
            _folder.Dispose();
        }
    }

    /// <summary>The sample hosted on Kestrel on 127.0.0.1 with the given configuration.</summary>
    public sealed class ServingHost : WebApplicationFactory<Program>
    {
        readonly Dictionary<string, string?> _settings;

        public ServingHost(Dictionary<string, string?> settings)
        {
            _settings = settings;
            UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
            foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        }

        /// <summary>Starts the server and returns a real HTTP client for the address Kestrel bound.</summary>
        public HttpClient StartOnLoopback()
        {
            StartServer();
            string address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            var uri = new Uri(address);
            Assert.True(IPAddress.IsLoopback(IPAddress.Parse(uri.Host)), $"the sample listens on {address}, not loopback");
            return new HttpClient { BaseAddress = uri };
        }
    }

    RankingRequest Request(int user, int firstCandidate, int candidates) =>
        SeminarRankerTests.Request(_served.Rows.OrderByDescending(r => r.HistoryItems.Length).ElementAt(user % _served.Rows.Length),
            _served.Rows.Skip(firstCandidate).Take(candidates).ToArray());

    async Task<float[]> RankAsync(HttpClient client, RankingRequest request)
    {
        using var response = await client.PostAsJsonAsync("/rank", request, Json);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("scores").EnumerateArray().Select(e => e.GetSingle()).ToArray();
    }

    static void AssertBitwiseEqual(float[] expected, float[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} scores for {expected.Length} candidates");
        for (int c = 0; c < expected.Length; c++)
            Assert.True(BitConverter.SingleToInt32Bits(expected[c]) == BitConverter.SingleToInt32Bits(actual[c]), $"{what}, candidate {c}: served {actual[c]:R}, ranker {expected[c]:R}");
    }

    [Fact]
    public async Task Health_reports_the_loaded_model_file()
    {
        using var response = await _served.Client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"status":"ok","model":"model.zip"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Rank_returns_the_rankers_scores_to_the_bit_in_candidate_order()
    {
        var request = Request(0, 0, 30);
        Assert.True(request.HistoryItems.Count > 3, "a history longer than the PSU's K, so retrieval chooses");
        var expected = _served.Ranker.Rank(request);
        Assert.True(expected.Distinct().Count() > 5, "candidates must score differently, else order and values show little");

        AssertBitwiseEqual(expected, await RankAsync(_served.Client, request), "30 candidates");
        // Reversed candidates come back reversed: scores follow the request's order.
        var reversed = Request(0, 0, 30);
        reversed.Candidates = reversed.Candidates.Reverse().ToArray();
        AssertBitwiseEqual(expected.Reverse().ToArray(), await RankAsync(_served.Client, reversed), "reversed");
        // No history queries (all browsing) and a request-level price serve as in the library.
        var browsing = Request(1, 5, 10);
        browsing.HistoryQueries = null;
        browsing.Features = new Dictionary<string, float> { ["Price"] = 12.5f };
        browsing.Candidates = browsing.Candidates.Select(c => new RankingCandidate { Item = c.Item, Query = c.Query }).ToArray();
        AssertBitwiseEqual(_served.Ranker.Rank(browsing), await RankAsync(_served.Client, browsing), "browsing");
    }

    [Fact]
    public async Task Concurrent_clients_get_the_single_threaded_scores()
    {
        const int Clients = 8, RequestsPerClient = 20;
        var requests = Enumerable.Range(0, Clients).Select(k => Enumerable.Range(0, RequestsPerClient).Select(i => Request(k * RequestsPerClient + i, (k + i) % 20, 30)).ToArray()).ToArray();
        var expected = requests.Select(rs => rs.Select(_served.Ranker.Rank).ToArray()).ToArray();

        var served = await Task.WhenAll(requests.Select(rs => Task.Run(async () =>
        {
            using var client = new HttpClient { BaseAddress = _served.Client.BaseAddress };
            var scores = new List<float[]>();
            foreach (var request in rs) scores.Add(await RankAsync(client, request));
            return scores;
        })));

        for (int k = 0; k < Clients; k++)
            for (int i = 0; i < RequestsPerClient; i++)
                AssertBitwiseEqual(expected[k][i], served[k][i], $"client {k}, request {i}");
        Assert.True(expected.SelectMany(e => e).Select(s => string.Join(",", s)).Distinct().Count() > 20, "requests must differ, else a mix-up between clients would not show");
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"historyItems": ["c1"], "candidates": [""", "The body is not a valid ranking request: " },
        { """{"historyItems": "c1", "candidates": []}""", "Path: $.historyItems" },
        { """{"historyItems": ["c1"], "candidates": [{"item": "c2", "features": {"Price": "cheap"}}]}""", "Path: $.candidates[0].features.Price" },
        { "", "The body is not a valid ranking request: " },
        { "null", "The body is JSON null; send a ranking request object." },
        { """{"candidates": []}""", "The request has no 'historyItems' (send [] for an empty history)." },
        { """{"historyItems": []}""", "The request has no 'candidates' (send [] to rank none)." },
        { """{"historyItems": [], "candidates": null}""", "The request has no 'candidates' (send [] to rank none)." },
        { """{"historyItems": [], "candidates": [{"item": "c1", "features": {"Price": 1}}, null]}""", "candidates[1] is null; each candidate is an object with at least an 'item'." },
        { """{"historyItems": [], "candidates": [{"query": "red", "features": {"Price": 1}}]}""", "candidates[0] has no 'item'." },
        { """{"historyItems": ["c1", "c2"], "historyQueries": [""], "candidates": [{"item": "c3", "features": {"Price": 1}}]}""",
            "The request has 2 history items but 1 history queries; give one query (empty = browsing) per item, or none." },
        { """{"historyItems": ["c1"], "candidates": [{"item": "c3", "features": {"Price": 1}}, {"item": "c4"}]}""",
            "The model reads the numeric column 'Price'; neither candidate 1's Features nor the request's Features has it." },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_request_gets_400_with_a_message_naming_the_problem(string body, string message)
    {
        using var response = await _served.Client.PostAsync("/rank", new StringContent(body, Encoding.UTF8, "application/json"));
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, message);
    }

    [Fact]
    public async Task More_candidates_than_the_configured_limit_get_400()
    {
        var request = Request(0, 0, 1);
        request.Candidates = Enumerable.Repeat(request.Candidates[0], ServedModel.MaxCandidates + 1).ToArray();
        using var response = await _served.Client.PostAsJsonAsync("/rank", request, Json);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, $"The request has {ServedModel.MaxCandidates + 1} candidates; this service ranks at most {ServedModel.MaxCandidates} per request (Seminar:MaxCandidates).");
        request.Candidates = request.Candidates.Take(ServedModel.MaxCandidates).ToArray();
        Assert.Equal(ServedModel.MaxCandidates, (await RankAsync(_served.Client, request)).Length);
    }

    [Fact]
    public async Task A_body_over_the_configured_size_gets_413_whether_its_length_is_declared_or_not()
    {
        var request = Request(0, 0, 1);
        request.HistoryItems = Enumerable.Repeat("c1", ServedModel.MaxRequestBytes / 4).ToArray();
        request.HistoryQueries = null;
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(request, Json);
        Assert.True(body.Length > ServedModel.MaxRequestBytes);

        using var declared = await _served.Client.PostAsync("/rank", new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } });
        await AssertErrorAsync(declared, HttpStatusCode.RequestEntityTooLarge, $"The body is larger than this service accepts: {body.Length} bytes or more against a limit of {ServedModel.MaxRequestBytes} (Seminar:MaxRequestBytes).");

        // Chunked: no Content-Length, so only counting the bytes read catches it.
        var chunked = new StreamContent(new MemoryStream(body)) { Headers = { ContentType = new("application/json") } };
        using var message = new HttpRequestMessage(HttpMethod.Post, "/rank") { Content = chunked };
        message.Headers.TransferEncodingChunked = true;
        using var streamed = await _served.Client.SendAsync(message);
        await AssertErrorAsync(streamed, HttpStatusCode.RequestEntityTooLarge, $"against a limit of {ServedModel.MaxRequestBytes} (Seminar:MaxRequestBytes).");

        // Just under the limit is served.
        request.HistoryItems = request.HistoryItems.Take(ServedModel.MaxRequestBytes / 6).ToArray();
        Assert.Single(await RankAsync(_served.Client, request));
    }

    [Fact]
    public async Task The_default_limits_are_one_MiB_and_ten_thousand_candidates()
    {
        using var host = new ServingHost(new() { ["Seminar:ModelPath"] = _served.ModelPath });
        using var client = host.StartOnLoopback();
        var request = Request(0, 0, 1);
        request.Candidates = Enumerable.Repeat(request.Candidates[0], 10_001).ToArray();
        using var many = await client.PostAsJsonAsync("/rank", request, Json);
        await AssertErrorAsync(many, HttpStatusCode.BadRequest, "The request has 10001 candidates; this service ranks at most 10000 per request (Seminar:MaxCandidates).");

        using var large = await client.PostAsync("/rank", new ByteArrayContent(new byte[(1 << 20) + 1]));
        await AssertErrorAsync(large, HttpStatusCode.RequestEntityTooLarge, $"The body is larger than this service accepts: {(1 << 20) + 1} bytes or more against a limit of {1 << 20} (Seminar:MaxRequestBytes).");
    }

    [Fact]
    public void A_missing_unreadable_or_unset_model_stops_start_up_with_a_message_naming_it()
    {
        using var folder = new TempFolder();
        string missing = folder.File("missing.zip");
        AssertStartUpFails(folder, $"Seminar:ModelPath names '{missing}', which does not exist.", "--Seminar:ModelPath=" + missing);

        string corrupt = folder.Write("corrupt.zip", "not a zip");
        AssertStartUpFails(folder, $"Seminar:ModelPath: '{corrupt}' could not be loaded as an ML.NET model zip: ", "--Seminar:ModelPath=" + corrupt);

        AssertStartUpFails(folder, "Seminar:ModelPath is not set; give the model zip to serve, e.g. --Seminar:ModelPath=model.zip.");
        AssertStartUpFails(folder, "Seminar:MaxCandidates is 'many'; it must be a positive whole number.", "--Seminar:ModelPath=" + _served.ModelPath, "--Seminar:MaxCandidates=many");
    }

    /// <summary>
    /// Runs the sample as its own process, as a user would: a start-up failure must end it with exit code 1 and the message on
    /// its failure line. (In-process hosting races its own disposal against a failed start, so it cannot show this reliably.)
    /// </summary>
    static void AssertStartUpFails(TempFolder folder, string message, params string[] args)
    {
        string sample = Path.Combine(AppContext.BaseDirectory, "Seminar.Serving.dll");
        var (exitCode, output) = DotnetCli.RunProgram("dotnet", folder.Path, TimeSpan.FromMinutes(2), [sample, "--urls=http://127.0.0.1:0", .. args]);
        Assert.True(exitCode == 1, $"exit code {exitCode}:\n{output}");
        // Output merges stdout and stderr, whose lines may interleave in any order on a busy machine: find the failure line.
        string? line = output.Split('\n').Select(l => l.TrimEnd()).LastOrDefault(l => l.StartsWith("Seminar.Serving did not start: ", StringComparison.Ordinal));
        Assert.True(line != null, $"no 'Seminar.Serving did not start: ' line in:\n{output}");
        Assert.Contains(message, line);
    }

    static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string message)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        string error = json.RootElement.GetProperty("error").GetString()!;
        Assert.Contains(message, error);
        Assert.DoesNotContain("(Parameter '", error);
    }
}
