using Seminar.MLNet.Evaluation.Models;
using Seminar.MLNet.Evaluation.Retrieval;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Evaluation.Protocol;

/// <summary>Options of the evaluation protocol (docs/architecture.md, "Evaluation protocol").</summary>
public sealed class EvaluationOptions
{
    /// <summary>
    /// Events at or before this quantile of all event timestamps train; later events test. With an ordinal clock
    /// (<see cref="EventLog.Clock"/>) each user's last <c>ceil((1 - q) n)</c> events (at least one) test instead. Default 0.8.
    /// </summary>
    public double SplitQuantile { get; set; } = 0.8;

    /// <summary>
    /// Training samples are taken only from events at or after this quantile of timestamps (histories
    /// still reach back to the start). Default 0: every training-period event is a sample. A later start
    /// models the usual lifelong set-up, where old behaviour is only ever seen as history. With an ordinal clock the quantile
    /// is taken of each user's own events.
    /// </summary>
    public double TrainFromQuantile { get; set; }

    /// <summary>Most recent positive events kept per history. Default 10,000.</summary>
    public int MaxHistory { get; set; } = 10_000;

    /// <summary>Sampled negatives per positive when the dataset has no label-0 events. Default 4.</summary>
    public int Negatives { get; set; } = 4;

    /// <summary>How sampled negatives are drawn. Default <see cref="Protocol.NegativeSampling.Popularity"/>.</summary>
    public NegativeSampling NegativeSampling { get; set; } = NegativeSampling.Popularity;

    /// <summary>
    /// Share of the training period, the latest by time (global clock) or each user's latest training events (ordinal clock),
    /// whose samples are marked <c>IsValidation</c> for early stopping and choices made on validation. Default 0.1; 0 marks none.
    /// </summary>
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>Seed for negative sampling and model training. Default 1.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>
    /// Trainings per model, with seeds <see cref="Seed"/> .. <see cref="Seed"/> + N - 1 on the one split sampled with
    /// <see cref="Seed"/>; the report gives each metric's mean and standard deviation and paired intervals. Default 1.
    /// </summary>
    public int Seeds { get; set; } = 1;

    /// <summary>Resamples of the test users behind the report's bootstrap intervals (seeded with <see cref="Seed"/>); 0 = none. Default 1,000.</summary>
    public int BootstrapReplicates { get; set; } = 1_000;

    /// <summary>Names of the models to run (see <c>Evaluator.ModelNames</c>); null = all of them.</summary>
    public IReadOnlyList<string>? Models { get; set; }

    /// <summary>
    /// PSU options of the SEMINAR models; null = defaults. The evaluation works on a copy, setting the label column, and the seed
    /// when this leaves it unset (<see cref="Seed"/>).
    /// </summary>
    public PsuEmbeddingOptions? Psu { get; set; }

    /// <summary>
    /// Which PSU outputs <c>fasttree_seminar</c>'s trees train on. Default <see cref="SeminarStacking.Auto"/>: chosen on
    /// validation. <c>fasttree_seminar_pq</c> makes the same choice; cross-fitted, its trees learn the out-of-fold exact score and
    /// serve on the fine-tuned PSU's approximate one.
    /// </summary>
    public SeminarStacking Stacking { get; set; } = SeminarStacking.Auto;

    /// <summary>Folds of cross-fitting when <see cref="Stacking"/> is not in-sample: folds + 1 PSU trainings. Default 3.</summary>
    public int CrossFitFolds { get; set; } = 3;

    /// <summary>
    /// Whether the SEMINAR models' PSU head reads the baseline's count features as side features (the paper's ranking tower), so
    /// <c>seminar_neural</c>, its ablations and the predecessors see what FastTree sees. Default true; false = history and target only.
    /// </summary>
    public bool SideFeatures { get; set; } = true;

    /// <summary>Product quantization options of <c>fasttree_seminar_pq</c>; null = defaults (the evaluation works on a copy and sets the seed when this leaves it unset).</summary>
    public PqAttentionOptions? Pq { get; set; }

    /// <summary>Test requests the <c>pq</c> report section measures retrieval on (recall and speed against exact). Default 2,000.</summary>
    public int PqRequests { get; set; } = 2_000;

    /// <summary>History lengths and K values of the report's <c>curves</c> section (measured with <c>fasttree_seminar_pq</c>); null = defaults.</summary>
    public RetrievalCurvesOptions? Curves { get; set; }

    /// <summary>
    /// Where the <c>roundtrip</c> report section's zip (<c>fasttree_seminar_pq</c> saved and loaded back) is written; null = a
    /// temporary file, deleted afterwards.
    /// </summary>
    public string? RoundTripZip { get; set; }

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        if (!(SplitQuantile > 0 && SplitQuantile < 1)) throw new ArgumentOutOfRangeException(nameof(SplitQuantile), SplitQuantile, "Split quantile must be in (0, 1).");
        if (!(TrainFromQuantile >= 0 && TrainFromQuantile < SplitQuantile))
            throw new ArgumentOutOfRangeException(nameof(TrainFromQuantile), TrainFromQuantile, $"Train-from quantile must be in [0, {SplitQuantile}).");
        if (!(ValidationFraction >= 0 && ValidationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "Validation fraction must be in [0, 1).");
        if (!Enum.IsDefined(NegativeSampling))
            throw new ArgumentOutOfRangeException(nameof(NegativeSampling), NegativeSampling, "Unknown negative sampling.");
        if (MaxHistory < 1) throw new ArgumentOutOfRangeException(nameof(MaxHistory), MaxHistory, "Max history must be at least 1.");
        if (Negatives < 1) throw new ArgumentOutOfRangeException(nameof(Negatives), Negatives, "Negatives must be at least 1.");
        if (CrossFitFolds is < 2 or > 255) throw new ArgumentOutOfRangeException(nameof(CrossFitFolds), CrossFitFolds, "Cross-fit folds must be between 2 and 255.");
        if (Seeds < 1) throw new ArgumentOutOfRangeException(nameof(Seeds), Seeds, "Seeds must be at least 1.");
        if (BootstrapReplicates < 0) throw new ArgumentOutOfRangeException(nameof(BootstrapReplicates), BootstrapReplicates, "Bootstrap replicates must be at least 0.");
        if (PqRequests < 1) throw new ArgumentOutOfRangeException(nameof(PqRequests), PqRequests, "PQ requests must be at least 1.");
        Curves?.Validate();
        // An empty list would run nothing and still succeed; null is the way to ask for every model.
        if (Models is { Count: 0 })
            throw new ArgumentException($"Models names no model; name at least one of {string.Join(", ", Evaluator.ModelNames)}, or leave it null for all.", nameof(Models));
    }

    /// <summary>
    /// Throws when sampled negatives are asked for beyond the <paramref name="items"/> items they are drawn from less the positive
    /// itself: some would have to repeat. The evaluation checks it once it knows it samples, before any training;
    /// <see cref="SampleBuilder"/> alone draws with replacement and allows it (a sampler test may ask for many draws).
    /// </summary>
    internal void ValidateNegatives(int items)
    {
        if (Negatives > items - 1)
            throw new ArgumentOutOfRangeException(nameof(Negatives), Negatives,
                $"Negatives ({Negatives}) must be at most the catalog size minus one ({items} items - 1 = {items - 1}); more would repeat negatives of the same positive.");
    }
}
