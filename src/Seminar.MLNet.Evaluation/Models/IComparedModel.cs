using Microsoft.ML;

namespace Seminar.MLNet.Evaluation.Models;

/// <summary>A model <c>evaluate</c> compares: an ML.NET pipeline that turns samples into a probability.</summary>
public interface IComparedModel
{
    /// <summary>The model's name in the report (a contract: see DESIGN.md).</summary>
    string Name { get; }

    /// <summary>Name of the output column holding the probability of a positive.</summary>
    string ProbabilityColumn { get; }

    /// <summary>Builds the unfitted pipeline.</summary>
    IEstimator<ITransformer> BuildPipeline(MLContext ml);
}
