using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using Seminar.MLNet.Onnx;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;

namespace Seminar.MLNet.Benchmarks;

/// <summary>
/// Native memory one request adds in ONNX Runtime, for the exact PSU graph and the PQ graph, at history lengths
/// 1,000 and 10,000 (D = 64, H = 4, K = 50, K' = 400, a random 4-bit catalog codebook of 32 sub-spaces, half the
/// behaviours with a three-token query). Each measurement opens a fresh single-threaded session, runs one short request so lazy
/// initialisation is not counted, returns freed heap pages to the system (<c>malloc_trim</c>), resets the peak RSS
/// (<c>/proc/self/clear_refs</c>) and reads <c>VmHWM − VmRSS</c> around one request of length L. With the CPU arena off
/// this is the request's peak live set; with it on (ML.NET's OnnxTransformer default) it is what the arena grows by.
/// BenchmarkDotNet cannot measure a process's peak RSS per request, so this runs outside it:
/// <c>dotnet run -c Release --project tests/Seminar.MLNet.Benchmarks -- pq-memory</c>. Linux only.
/// </summary>
static class PqGraphMemoryBenchmark
{
    const int D = 64, SubSpaces = 32, Centroids = 16, QueryTokens = 8, Timed = 5;
    static readonly int[] Lengths = { 1_000, 10_000 };

    public static void Run()
    {
        if (!File.Exists("/proc/self/clear_refs")) throw new PlatformNotSupportedException("The memory benchmark reads /proc/self (Linux).");
        var rng = new Random(1);
        var vocabularies = BenchmarkCatalog.Vocabularies(new MLContext(1), rng, QueryTokens);
        var psu = new PsuScoringModel(PsuScoringBenchmarks.RandomWeights(vocabularies, rng), vocabularies);
        var pq = new PqAttentionModel(psu, new CatalogCodes(Quantizer(rng), psu.ItemData));
        var columns = new PsuColumnOptions();
        var graphs = new (string Name, byte[] Bytes)[]
        {
            ("psu", PsuGraph.Build(psu, columns)),
            ("pq", PqGraph.Build(pq, columns, "PqInterest", "PqScore")),
        };
        Console.WriteLine("graph  arena   L       peak MiB  ms/request (median of 5)");
        foreach (bool arena in new[] { false, true })
            foreach (int length in Lengths)
            {
                var request = Request(rng, vocabularies.Items.Size, vocabularies.Tokens.Size, length);
                var mib = new Dictionary<string, double>();
                foreach (var (name, bytes) in graphs)
                {
                    var (peak, ms) = Measure(bytes, PsuGraph.InputNames(columns), request, arena);
                    mib[name] = peak;
                    Console.WriteLine($"{name,-6} {(arena ? "on" : "off"),-7} {length,-7} {peak,8:F1}  {ms,8:F2}");
                }
                Console.WriteLine($"pq/psu {(arena ? "on" : "off"),-7} {length,-7} {mib["pq"] / mib["psu"],8:F2}x");
            }
    }

    /// <summary>Random codebooks with the origin as centroid 0, as trained ones have.</summary>
    static ProductQuantizer Quantizer(Random rng)
    {
        int dsub = D / SubSpaces;
        var book = new float[SubSpaces * Centroids * dsub];
        for (int i = 0; i < book.Length; i++) book[i] = (i / dsub) % Centroids == 0 ? 0 : (float)(rng.NextDouble() * 2 - 1);
        return ProductQuantizer.FromCodebook(D, SubSpaces, Centroids, book);
    }

    /// <summary>One request: history items [1, L], tokens [1, L·T], target [1, 1], query [1, T].</summary>
    static long[][] Request(Random rng, int items, int tokens, int length)
    {
        var history = Enumerable.Range(0, length).Select(_ => (long)rng.Next(2, items)).ToArray();
        var slots = new long[length * QueryTokens];
        for (int l = 0; l < length; l += 2)
            for (int t = 0; t < 3; t++) slots[l * QueryTokens + t] = rng.Next(2, tokens);
        var query = new long[QueryTokens];
        for (int t = 0; t < 3; t++) query[t] = rng.Next(2, tokens);
        return new[] { history, slots, new long[] { rng.Next(2, items) }, query };
    }

    static (double PeakMiB, double Milliseconds) Measure(byte[] graph, string[] inputs, long[][] request, bool arena)
    {
        using var options = new SessionOptions { EnableCpuMemArena = arena, IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(graph, options);
        var outputs = session.OutputMetadata.Keys.ToArray();
        Run(session, inputs, outputs, request, 1);

        GC.Collect();
        GC.WaitForPendingFinalizers();
        _ = malloc_trim(0);
        File.WriteAllText("/proc/self/clear_refs", "5");
        long before = StatusKb("VmRSS");
        Run(session, inputs, outputs, request, request[0].Length);
        double peak = (StatusKb("VmHWM") - before) / 1024.0;

        var times = new double[Timed];
        for (int i = 0; i < Timed; i++)
        {
            var watch = Stopwatch.StartNew();
            Run(session, inputs, outputs, request, request[0].Length);
            times[i] = watch.Elapsed.TotalMilliseconds;
        }
        Array.Sort(times);
        return (peak, times[Timed / 2]);
    }

    /// <summary>Runs the first <paramref name="length"/> behaviours of the request.</summary>
    static void Run(InferenceSession session, string[] inputs, string[] outputs, long[][] request, int length)
    {
        var shapes = new[] { new long[] { 1, length }, new long[] { 1, length * QueryTokens }, new long[] { 1, 1 }, new long[] { 1, QueryTokens } };
        var lengths = new[] { length, length * QueryTokens, 1, QueryTokens };
        var values = request.Select((data, i) => OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, data.AsMemory(0, lengths[i]), shapes[i])).ToArray();
        try
        {
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, inputs, values, outputs);
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    static long StatusKb(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(field.Length + 1).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
        throw new InvalidOperationException($"/proc/self/status has no {field}.");
    }

    [DllImport("libc", EntryPoint = "malloc_trim")]
    static extern int malloc_trim(nuint pad);
}
