using Microsoft.ML;

namespace Seminar.MLNet.Evaluation.Models;

/// <summary>A model <c>evaluate</c> compares: an ML.NET pipeline that turns samples into a probability.</summary>
public interface IComparedModel
{
    /// <summary>The model's name in the report (a contract: see docs/architecture.md, "Report JSON").</summary>
    string Name { get; }

    /// <summary>Name of the output column holding the probability of a positive.</summary>
    string ProbabilityColumn { get; }

    /// <summary>Builds the unfitted pipeline (for models that share a fitted stage: the part after it).</summary>
    IEstimator<ITransformer> BuildPipeline(MLContext ml);

    /// <summary>Fits the whole model and says how long that took, shared stages included.</summary>
    FittedModel Fit(MLContext ml, IDataView train)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var model = BuildPipeline(ml).Fit(train);
        return new FittedModel(model, clock.Elapsed.TotalSeconds);
    }
}

/// <summary>A fitted compared model and its training time.</summary>
/// <param name="Model">The fitted pipeline, from the contract columns to the probability.</param>
/// <param name="TrainSeconds">Seconds fitting took, including any stage shared with other models.</param>
public sealed record FittedModel(ITransformer Model, double TrainSeconds);
