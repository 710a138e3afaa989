using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Retrieval.Strategies;

namespace Seminar.MLNet;

/// <summary>
/// Options of the PSU estimator (<c>mlContext.Seminar().PsuEmbedding(options)</c>): network sizes, the three
/// pretraining objectives, fine-tuning and the training loop. Column names are inherited from
/// <see cref="PsuColumnOptions"/> (the featurizer's outputs by default).
/// </summary>
public sealed class PsuEmbeddingOptions : PsuColumnOptions
{
    /// <summary>Label column (Boolean or Single, 1 = positive) for fine-tuning; null = pretraining only. Default "Label".</summary>
    public string? LabelColumnName { get; set; } = SeminarColumns.Label;

    /// <summary>Embedding dimension D. Default 64.</summary>
    public int Dimension { get; set; } = 64;
    /// <summary>Attention heads H. Default 4.</summary>
    public int Heads { get; set; } = 4;
    /// <summary>Behaviours the GSU keeps per head (K). Default 50.</summary>
    public int TopK { get; set; } = 50;
    /// <summary>Hidden layer sizes of the MLP head. Default 128, 64.</summary>
    public int[] HeadLayers { get; set; } = { 128, 64 };

    /// <summary>
    /// How the network chooses the behaviours it attends to: SEMINAR's exact GSU, the only strategy the product trains. The evaluation
    /// harness sets a predecessor's strategy object here (DIN, SIM, ETA, SDIM, with their parameters) to train the same network with
    /// another search stage; a user never does, so it is not public.
    /// </summary>
    internal PsuRetrieval Retrieval { get; set; } = ExactRetrieval.Instance;

    /// <summary>Most recent behaviours of a row used while training (scoring always uses every behaviour the featurizer kept). Default 1,000.</summary>
    public int TrainingMaxHistory { get; set; } = 1_000;
    /// <summary>
    /// Rows per mini-batch (pretraining: stretches of user sequences). Default 256. Batches group rows of similar history
    /// length, so padding stays small. Chosen on Amazon Toys' validation loss after the first epoch (0.499 against 0.566
    /// with 64, one seed): with fewer steps per epoch the id embeddings memorise less; an epoch also ran several times faster.
    /// </summary>
    public int BatchSize { get; set; } = 256;
    /// <summary>Rows held by the streaming shuffle (memory is bounded by this many truncated rows). Default 4,096.</summary>
    public int ShufflePoolRows { get; set; } = 4_096;
    /// <summary>
    /// libtorch intra-op threads; 0 = one per core. Default 0. libtorch's threads spin while they wait for each other, so
    /// where other work shares the cores set 1: on 2 cores with one other busy process, fitting the synthetic demo's
    /// <c>seminar_neural</c> took 63 to 70 s with 1 thread and 148 to 207 s with 2 (see the README's "Training on a busy machine").
    /// </summary>
    public int Threads { get; set; }
    /// <summary>Seed of initialisation, sampling and shuffling; null = drawn from the MLContext's seed.</summary>
    public int? Seed { get; set; }

    /// <summary>Whether to pretrain on the histories before fine-tuning. Default true.</summary>
    public bool Pretrain { get; set; } = true;
    /// <summary>Passes over the rows while pretraining. Default 1.</summary>
    public int PretrainingMaxEpoch { get; set; } = 1;
    /// <summary>Adam learning rate while pretraining. Default 0.002.</summary>
    public double PretrainingLearningRate { get; set; } = 0.002;
    /// <summary>Objective 1 (next query–item pair prediction) on/off. Default on.</summary>
    public bool UseNextPair { get; set; } = true;
    /// <summary>Weight of objective 1. Default 1.</summary>
    public float NextPairWeight { get; set; } = 1f;
    /// <summary>Cut points per sequence for objective 1 (each predicts the behaviour at the cut from those before it). Default 4.</summary>
    public int CutPointsPerSequence { get; set; } = 4;
    /// <summary>Sampled negative items per cut point, paired with the cut's query. Default 4.</summary>
    public int Negatives { get; set; } = 4;
    /// <summary>Objective 2 (multi-modal alignment, CLIP-style) on/off. Default on.</summary>
    public bool UseAlignment { get; set; } = true;
    /// <summary>Weight of objective 2. Default 0.1.</summary>
    public float AlignmentWeight { get; set; } = 0.1f;
    /// <summary>Objective 3 (query–item relevance, InfoNCE) on/off. Default on.</summary>
    public bool UseRelevance { get; set; } = true;
    /// <summary>Weight of objective 3. Default 1.</summary>
    public float RelevanceWeight { get; set; } = 1f;
    /// <summary>Temperature of the contrastive objectives. Default 0.05.</summary>
    public float Temperature { get; set; } = 0.05f;
    /// <summary>Most items (alignment) and query–item pairs (relevance) per contrastive batch. Default 512.</summary>
    public int ContrastiveBatch { get; set; } = 512;

    /// <summary>Most passes over the labelled rows while fine-tuning (early stopping may end sooner). Default 5.</summary>
    public int MaxEpoch { get; set; } = 5;
    /// <summary>Adam learning rate while fine-tuning. Default 0.001.</summary>
    public double FineTuningLearningRate { get; set; } = 0.001;
    /// <summary>
    /// Share of labelled rows held out to choose the epoch to keep when the input has no <see cref="ValidationSetColumnName"/>: the
    /// last rows in data order (the latest period when rows come in time order). 0 turns validation off (flags included):
    /// every epoch runs and the last is kept. Default 0.1.
    /// </summary>
    public double ValidationFraction { get; set; } = 0.1;
    /// <summary>Epochs without a better validation loss before fine-tuning stops. Default 1.</summary>
    public int Patience { get; set; } = 1;
    /// <summary>
    /// Dropout between the head's hidden layers while fine-tuning (pretraining and scoring run without it), in [0, 1); 0 disables.
    /// Default 0.1: the head sees every id-derived vector and, with side features, the row's counts, and memorises quickly.
    /// </summary>
    public double HeadDropout { get; set; } = 0.1;
    /// <summary>Whether fine-tuning starts from the pretrained attention and head too (embeddings are always restored). Default true.</summary>
    public bool RestoreAttention { get; set; } = true;

    /// <summary>
    /// Boolean column whose true rows are held out from training (pretraining and fine-tuning) and score each fine-tuning
    /// epoch for early stopping; used when the input has it, else the last <see cref="ValidationFraction"/> share of rows
    /// is held out. Default <see cref="SeminarColumns.IsValidation"/>.
    /// </summary>
    public string? ValidationSetColumnName { get; set; } = SeminarColumns.IsValidation;
    /// <summary>
    /// Decoupled weight decay of fine-tuning (AdamW): every step shrinks every parameter by <c>lr × WeightDecay</c>
    /// of itself, so id embeddings of items that rarely appear decay towards 0 instead of keeping what a few rows taught
    /// them. 0 = plain Adam. Default 0.1 (on ml-100k, 0 / 0.1 / 0.5 gave AUC 0.689 / 0.694 / 0.692 and LogLoss
    /// 0.641 / 0.632 / 0.634 for <c>seminar_neural</c>, one seed; 0.1 also narrowed the training/validation loss gap).
    /// </summary>
    public double WeightDecay { get; set; } = 0.1;
    /// <summary>
    /// Text or key column naming each row's user. Null (the default) = pretraining iterates over rows, so a user's history
    /// prefixes are pretrained once per row. Set, pretraining reads each user's lifelong sequence once per epoch (the
    /// longest history among the user's rows, truncated to <see cref="TrainingMaxHistory"/>), with cut points spread
    /// over it (<see cref="CutPointStride"/>).
    /// </summary>
    public string? PretrainingUserColumnName { get; set; }
    /// <summary>
    /// With <see cref="PretrainingUserColumnName"/>: one cut point per this many behaviours of a sequence, at least
    /// <see cref="CutPointsPerSequence"/> and at most <see cref="MaxCutPointsPerSequence"/>, spread evenly. Default 1: each
    /// prefix of a sequence up to 256 behaviours predicts its next pair once per epoch, as row-wise pretraining does once per row.
    /// </summary>
    public int CutPointStride { get; set; } = 1;
    /// <summary>
    /// With <see cref="PretrainingUserColumnName"/>: most cut points per sequence and epoch, which bounds the work a very long
    /// sequence costs (every cut attends over the whole truncated history). Default 256.
    /// </summary>
    public int MaxCutPointsPerSequence { get; set; } = 256;

    /// <summary>
    /// The featurizer's vocabularies. Null (the default) = found on the history items column, which the featurizer's fast path
    /// annotates; set it when the input comes from elsewhere (e.g. a loaded model's featurizer: <c>SequenceFeaturizerTransformer.Vocabularies</c>).
    /// </summary>
    public SequenceVocabularies? Vocabularies { get; set; }

    /// <summary>Receives training progress (stage, step, losses); ML.NET's channel gets the same as log lines.</summary>
    public IProgress<PsuTrainingProgress>? Progress { get; set; }

    /// <summary>A shallow copy, for variants of one configuration (the head layer sizes, vocabularies and progress sink are shared).</summary>
    public PsuEmbeddingOptions Clone() => (PsuEmbeddingOptions)MemberwiseClone();

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        Positive(Dimension, nameof(Dimension));
        Positive(Heads, nameof(Heads));
        Positive(TopK, nameof(TopK));
        Positive(TrainingMaxHistory, nameof(TrainingMaxHistory));
        Positive(BatchSize, nameof(BatchSize));
        Positive(ShufflePoolRows, nameof(ShufflePoolRows));
        Positive(PretrainingMaxEpoch, nameof(PretrainingMaxEpoch));
        Positive(CutPointsPerSequence, nameof(CutPointsPerSequence));
        Positive(ContrastiveBatch, nameof(ContrastiveBatch));
        Positive(MaxEpoch, nameof(MaxEpoch));
        if (Negatives < 0) throw new ArgumentOutOfRangeException(nameof(Negatives), Negatives, "Negatives must be 0 or more.");
        if (Patience < 0) throw new ArgumentOutOfRangeException(nameof(Patience), Patience, "Patience must be 0 or more.");
        if (Threads < 0) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be 0 (one per core) or positive.");
        if (HeadLayers == null || HeadLayers.Any(h => h < 1)) throw new ArgumentOutOfRangeException(nameof(HeadLayers), "Head layer sizes must be positive.");
        if (!(Temperature > 0)) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Temperature must be positive.");
        if (!(HeadDropout >= 0 && HeadDropout < 1)) throw new ArgumentOutOfRangeException(nameof(HeadDropout), HeadDropout, "HeadDropout must be in [0, 1).");
        if (!(ValidationFraction >= 0 && ValidationFraction < 1)) throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "ValidationFraction must be in [0, 1).");
        if (!(PretrainingLearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(PretrainingLearningRate), PretrainingLearningRate, "Learning rates must be positive.");
        Positive(CutPointStride, nameof(CutPointStride));
        Positive(MaxCutPointsPerSequence, nameof(MaxCutPointsPerSequence));
        if (!(WeightDecay >= 0 && WeightDecay < 1))
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "WeightDecay must be in [0, 1): each step shrinks parameters by learning rate × WeightDecay.");
        if (!(FineTuningLearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(FineTuningLearningRate), FineTuningLearningRate, "Learning rates must be positive.");
        foreach (var (w, name) in new[] { (NextPairWeight, nameof(NextPairWeight)), (AlignmentWeight, nameof(AlignmentWeight)), (RelevanceWeight, nameof(RelevanceWeight)) })
            if (!(w >= 0) || float.IsInfinity(w)) throw new ArgumentOutOfRangeException(name, w, "Objective weights must be finite and non-negative.");
        // A strategy object checks its own parameters when built; only its absence is left to catch.
        if (Retrieval is null) throw new ArgumentNullException(nameof(Retrieval), "The retrieval strategy is not set.");
    }

    static void Positive(int value, string name)
    {
        if (value < 1) throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1.");
    }
}

/// <summary>Training progress of the PSU.</summary>
/// <param name="Stage">"reading sequences", "pretraining", "fine-tuning" or "validation".</param>
/// <param name="Epoch">Epoch, from 1.</param>
/// <param name="Fraction">Share of the stage done, in [0, 1].</param>
/// <param name="Losses">Recent mean loss per objective (pretraining: next_pair, alignment, relevance; fine-tuning: train_bce, validation_bce).</param>
/// <param name="Rows">Rows done in this pass (pretraining on user sequences: stretches of a sequence).</param>
/// <param name="TotalRows">Rows in this pass.</param>
/// <param name="RowsPerSecond">Rows per second so far in this pass (NaN before the first).</param>
/// <param name="SecondsLeft">Seconds until the stage ends at that rate, every epoch still to come included (early stopping may end it sooner; NaN before the first row).</param>
public sealed record PsuTrainingProgress(string Stage, int Epoch, double Fraction, IReadOnlyDictionary<string, double> Losses,
    long Rows = 0, long TotalRows = 0, double RowsPerSecond = double.NaN, double SecondsLeft = double.NaN);
