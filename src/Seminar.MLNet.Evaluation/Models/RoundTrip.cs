using Microsoft.ML;
using Seminar.MLNet.Evaluation.Reporting;

namespace Seminar.MLNet.Evaluation.Models;

/// <summary>
/// Save/load parity of a fitted model: the pipeline is saved as an ordinary ML.NET zip and loaded back twice, with stock
/// <c>mlContext.Model.Load</c> (no registration: every SEMINAR stage loads as a built-in <c>OnnxTransformer</c>) and with
/// <c>mlContext.Seminar().LoadModel</c> (every SEMINAR stage rebuilt as its C# transformer from the same graphs); each
/// loaded pipeline's test probabilities are compared with the in-process ones.
/// </summary>
public static class RoundTrip
{
    /// <summary>Saves <paramref name="run"/>'s model to <paramref name="zipPath"/>, loads it and scores <paramref name="test"/>.</summary>
    /// <param name="ml">The context to save and load with.</param>
    /// <param name="run">A fitted model and its in-process test probabilities.</param>
    /// <param name="probabilityColumn">The probability column both pipelines produce.</param>
    /// <param name="inputSchema">Input schema of the fitted pipeline.</param>
    /// <param name="test">The test view <paramref name="run"/> was scored on.</param>
    /// <param name="zipPath">Where the zip is written (kept).</param>
    /// <exception cref="InvalidOperationException">The loaded model scores a different number of rows.</exception>
    public static RoundtripReport Measure(MLContext ml, ModelRun run, string probabilityColumn, DataViewSchema inputSchema, IDataView test, string zipPath)
    {
        ArgumentNullException.ThrowIfNull(run);
        ml.Model.Save(run.Model, inputSchema, zipPath);
        double stock = MaxAbsDiff(run, ml.Model.Load(zipPath, out _), probabilityColumn, test, "stock-loaded");
        double fast = MaxAbsDiff(run, ml.Seminar().LoadModel(zipPath, out _), probabilityColumn, test, "fast-loaded");
        return new RoundtripReport { Model = run.Name, Rows = run.Probabilities.Length, StockLoadMaxAbsDiff = stock, FastLoadMaxAbsDiff = fast };
    }

    /// <summary>Scores <paramref name="test"/> with <paramref name="loaded"/>, disposes it, and returns the largest difference from the fitted probabilities.</summary>
    static double MaxAbsDiff(ModelRun run, ITransformer loaded, string probabilityColumn, IDataView test, string how)
    {
        float[] reloaded;
        // The loaded chain's OnnxTransformers hold ONNX Runtime sessions and their model copies until disposed.
        try { reloaded = ModelRunner.ReadSingleColumn(loaded.Transform(test), probabilityColumn); }
        finally { (loaded as IDisposable)?.Dispose(); }
        if (reloaded.Length != run.Probabilities.Length)
            throw new InvalidOperationException($"The {how} {run.Name} scored {reloaded.Length} rows; the fitted one scored {run.Probabilities.Length}.");
        double max = 0;
        for (int i = 0; i < reloaded.Length; i++)
            max = Math.Max(max, Math.Abs((double)reloaded[i] - run.Probabilities[i]));
        return max;
    }
}
