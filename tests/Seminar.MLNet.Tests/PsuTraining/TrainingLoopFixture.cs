using Microsoft.ML;
using Microsoft.ML.Runtime;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.Tests.PsuScoring;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Tests.PsuTraining;

/// <summary>A training row with the columns the training loop reads beside the featurizer's.</summary>
public sealed class LoopRow
{
    public string[] HistoryItems { get; set; } = Array.Empty<string>();
    public string[] HistoryQueries { get; set; } = Array.Empty<string>();
    public string TargetItem { get; set; } = "";
    public string Query { get; set; } = "";
    public bool Label { get; set; }
    public bool IsValidation { get; set; }
    public string UserId { get; set; } = "";
}

/// <summary>
/// Users with lifelong sequences over the fixture catalog (items c0..c9: c10 and c11 never appear), one row per prefix
/// (target = the next item, label true, or a random item, label false), rows shuffled so no user's rows come in order.
/// </summary>
sealed class TrainingLoopFixture
{
    public TrainingLoopFixture(int users = 6, int seed = 3, Func<LoopRow, int, bool>? flag = null)
    {
        var rng = new Random(seed);
        var rows = new List<LoopRow>();
        for (int u = 0; u < users; u++)
        {
            var sequence = Enumerable.Range(0, 8 + rng.Next(20)).Select(_ => "c" + rng.Next(10)).ToArray();
            Sequences["u" + u] = sequence;
            for (int k = 1; k < sequence.Length; k++)
            {
                bool positive = rng.Next(2) == 0;
                rows.Add(new LoopRow
                {
                    HistoryItems = sequence[..k], HistoryQueries = sequence[..k].Select(i => i == "c3" ? "red shoe" : "").ToArray(),
                    TargetItem = positive ? sequence[k] : "c" + rng.Next(10), Query = "", Label = positive, UserId = "u" + u,
                });
            }
        }
        Rows = rows.OrderBy(_ => rng.Next()).ToArray();
        for (int i = 0; i < Rows.Length; i++) Rows[i].IsValidation = flag?.Invoke(Rows[i], i) ?? false;
        Ml = new MLContext(1);
        var data = Ml.Data.LoadFromEnumerable(Rows);
        Featurizer = Ml.Seminar().FeaturizeSequences(PsuFixtures.Catalog(Ml), PsuFixtures.FeaturizerOptions()).Fit(data);
        Featurized = Featurizer.Transform(data);
    }

    public MLContext Ml { get; }
    public Dictionary<string, string[]> Sequences { get; } = new();
    public LoopRow[] Rows { get; }
    public SequenceFeaturizerTransformer Featurizer { get; }
    public SequenceVocabularies Vocabularies => Featurizer.Vocabularies;
    public IDataView Featurized { get; }

    /// <summary>Small, fast network settings.</summary>
    public static PsuEmbeddingOptions Options() => new()
    {
        Dimension = 8, Heads = 2, TopK = 4, HeadLayers = new[] { 8 }, BatchSize = 16, Threads = 1,
        PretrainingMaxEpoch = 1, MaxEpoch = 2, CutPointsPerSequence = 2, Negatives = 2,
    };

    /// <summary>Trains on <paramref name="data"/> (default: the featurized rows), recording every step and progress report.</summary>
    public Run Train(PsuEmbeddingOptions o, IDataView? data = null)
    {
        var run = new Run();
        o.Progress = new SynchronousProgress<PsuTrainingProgress>(run.Progress.Add);
        var reader = PsuTrainer.Reader(data ?? Featurized, o, Vocabularies.MaxQueryTokens);
        using var channel = ((IHostEnvironment)Ml).Start("test");
        var trainer = new PsuTrainer(reader, PsuTrainer.DataSummary.Read(reader, o.LabelColumnName != null), Vocabularies, o, seed: 7, channel)
        {
            Stepped = (stage, epoch, rows, stretches) => run.Steps.Add((stage, epoch, rows.ToArray(), stretches?.ToArray())),
        };
        using var content = new ItemContentTensors(Vocabularies.Content);
        using var network = trainer.Train(content, out var pretrained);
        run.Final = PsuWeightsExport.From(network);
        run.Initial = pretrained;
        run.BestEpoch = trainer.BestEpoch;
        run.Split = trainer.Split;
        if (trainer.Split.Enabled) run.FinalValidationLoss = ValidationLoss(network, run.Steps.Where(s => s.Stage == "validation").SelectMany(s => s.Rows).DistinctBy(r => r.Position).ToList());
        return run;
    }

    double ValidationLoss(PsuNetwork network, List<PsuRow> rows)
    {
        network.eval();
        using var _ = TorchSharp.torch.no_grad();
        using var scope = TorchSharp.torch.NewDisposeScope();
        var batch = new PsuBatch(rows, Vocabularies.MaxQueryTokens);
        var (_, _, logit) = network.Score(batch);
        return TorchSharp.torch.nn.functional.binary_cross_entropy_with_logits(logit, batch.Labels).item<float>();
    }

    /// <summary>What one training run did.</summary>
    public sealed class Run
    {
        public List<(string Stage, int Epoch, PsuRow[] Rows, PretrainingSequence[]? Stretches)> Steps { get; } = new();
        public List<PsuTrainingProgress> Progress { get; } = new();
        public Seminar.MLNet.PsuWeights Final { get; set; } = null!;
        public Seminar.MLNet.PsuWeights? Initial { get; set; }
        public int BestEpoch { get; set; }
        public ValidationSplit Split { get; set; } = null!;
        public double FinalValidationLoss { get; set; } = double.NaN;

        /// <summary>Positions of the rows a stage used in an epoch, in the order used.</summary>
        public long[] Positions(string stage, int epoch) => Steps.Where(s => s.Stage == stage && s.Epoch == epoch).SelectMany(s => s.Rows).Select(r => r.Position).ToArray();
    }
}
