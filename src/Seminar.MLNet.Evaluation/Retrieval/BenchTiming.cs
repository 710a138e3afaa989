namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>What the benches share about the runtime they time and the statistics they report.</summary>
internal static class BenchTiming
{
    /// <summary>
    /// Whether tiered compilation is on: then a hot method runs unoptimised until re-jitted, which a warm-up must outlast.
    /// The runtimeconfig's knob reaches AppContext as the text "false"; the environment variable overrides it.
    /// </summary>
    public static bool TieredCompilation =>
        !string.Equals(AppContext.GetData("System.Runtime.TieredCompilation")?.ToString(), "false", StringComparison.OrdinalIgnoreCase)
        && Environment.GetEnvironmentVariable("DOTNET_TieredCompilation") != "0";

    /// <summary>
    /// Whether the framework's precompiled ReadyToRun code runs: with tiered compilation off it is never replaced by fully
    /// optimised code (the PQ serving chain at L = 10,000 with 100 candidates measured 17.1 to 27.3 ms over three runs
    /// with it, 16.5 and 16.8 ms without), so the
    /// README's tables are measured with <c>DOTNET_ReadyToRun=0</c>, which only the environment can set.
    /// </summary>
    public static bool ReadyToRun =>
        Environment.GetEnvironmentVariable("DOTNET_ReadyToRun") != "0" && Environment.GetEnvironmentVariable("COMPlus_ReadyToRun") != "0";

    /// <summary>The nearest-rank percentile of sorted values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
