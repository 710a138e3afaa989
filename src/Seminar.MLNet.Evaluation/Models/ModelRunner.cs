using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Evaluation.Metrics;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Evaluation.Reporting;

namespace Seminar.MLNet.Evaluation.Models;

/// <summary>What fitting and scoring one compared model produced.</summary>
/// <param name="Name">Report name.</param>
/// <param name="Model">The fitted pipeline.</param>
/// <param name="Probabilities">Test probabilities in sample order.</param>
/// <param name="Report">Metrics and costs for the report.</param>
public sealed record ModelRun(string Name, ITransformer Model, float[] Probabilities, ModelReport Report);

/// <summary>Fits a compared model on the training view, scores the test view and computes every metric.</summary>
public static class ModelRunner
{
    /// <summary>Runs one model.</summary>
    public static ModelRun Run(MLContext ml, IComparedModel model, SampleDataView train, SampleDataView test)
    {
        var (fitted, trainSeconds) = model.Fit(ml, train);

        var clock = Stopwatch.StartNew();
        var probabilities = ReadSingleColumn(fitted.Transform(test), model.ProbabilityColumn);
        double scoreMicros = clock.Elapsed.TotalMicroseconds / Math.Max(1, probabilities.Length);

        var set = test.Samples;
        var m = MetricSet.Compute(probabilities, set.Labels(), set.Users(), set.RankGroups());
        var report = new ModelReport
        {
            Auc = m.Auc, Gauc = m.Gauc, LogLoss = m.LogLoss, HitAt10 = m.HitAt10, NdcgAt10 = m.NdcgAt10, Mrr = m.Mrr,
            TrainSeconds = trainSeconds, ScoreMicrosPerRow = scoreMicros,
        };
        (model as IAnnotatesReport)?.Annotate(report);
        return new ModelRun(model.Name, fitted, probabilities, report);
    }

    /// <summary>
    /// Reads a Single column (or a Single vector of size 1) of a data view into an array, in row order; names the
    /// columns there are when it is missing.
    /// </summary>
    public static float[] ReadSingleColumn(IDataView data, string column)
    {
        var found = data.Schema.GetColumnOrNull(column)
            ?? throw new ArgumentException($"The scored data has no column '{column}' (columns: {string.Join(", ", data.Schema.Select(c => c.Name))}).", nameof(column));
        if (found.Type is VectorDataViewType { Size: 1, ItemType: var item } && item == NumberDataViewType.Single)
            return data.GetColumn<float[]>(column).Select(v => v[0]).ToArray();
        return data.GetColumn<float>(column).ToArray();
    }
}
