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

    /// <summary>The nearest-rank percentile of sorted values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
}
