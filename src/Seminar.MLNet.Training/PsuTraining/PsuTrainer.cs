using Microsoft.ML;
using Microsoft.ML.Runtime;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Training.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace Seminar.MLNet.Training.PsuTraining;

/// <summary>
/// Trains the PSU: pretraining on the histories (three objectives), then fine-tuning on labelled rows
/// with early stopping on a held-out share of rows. Streams mini-batches from the data view each epoch.
/// </summary>
sealed class PsuTrainer
{
    readonly SequenceVocabularies _v;
    readonly PsuEmbeddingOptions _o;
    readonly PsuRowReader _reader;
    readonly IChannel _channel;
    readonly int _seed;
    readonly DataSummary _summary;
    readonly ValidationSplit _split;
    readonly StageClock _clock = new();

    public PsuTrainer(PsuRowReader reader, DataSummary summary, SequenceVocabularies vocabularies, PsuEmbeddingOptions options, int seed, IChannel channel)
    {
        if (options.Pretrain && options.PretrainingUserColumnName != null && !reader.ReadsUsers)
            throw new ArgumentException($"PretrainingUserColumnName is '{options.PretrainingUserColumnName}' but the row reader reads no user column; build it with PsuTrainer.Reader.", nameof(reader));
        _reader = reader;
        _summary = summary;
        _v = vocabularies;
        _o = options;
        _seed = seed;
        _channel = channel;
        _split = ValidationSplit.For(options, summary, reader.ReadsValidation);
    }

    /// <summary>The row reader the options ask for: the validation column when the input has it, the pretraining user column when set.</summary>
    public static PsuRowReader Reader(IDataView data, PsuEmbeddingOptions o, int queryTokens)
    {
        bool flags = o.LabelColumnName != null && o.ValidationFraction > 0 && o.ValidationSetColumnName != null && data.Schema.GetColumnOrNull(o.ValidationSetColumnName) != null;
        return new PsuRowReader(data, o, o.LabelColumnName, o.TrainingMaxHistory, queryTokens,
            flags ? o.ValidationSetColumnName : null, o.Pretrain ? o.PretrainingUserColumnName : null);
    }

    /// <summary>What a first pass over the data found (<paramref name="Flagged"/>: rows the validation column flags).</summary>
    public sealed record DataSummary(long Rows, long Positives, long Negatives, long EmptyHistories, long Flagged = 0)
    {
        /// <summary>Counts the reader's rows.</summary>
        public static DataSummary Read(PsuRowReader reader, bool withLabel)
        {
            long rows = 0, positives = 0, negatives = 0, empty = 0, flagged = 0;
            foreach (var row in reader.Rows(withLabel))
            {
                rows++;
                if (row.Length == 0) empty++;
                if (row.Validation) flagged++;
                if (row.Label == 1) positives++;
                else if (row.Label == 0) negatives++;
            }
            return new DataSummary(rows, positives, negatives, empty, flagged);
        }
    }

    /// <summary>Which rows fine-tuning holds out.</summary>
    public ValidationSplit Split => _split;

    /// <summary>
    /// Called with the stage ("pretraining", "fine-tuning", "validation"), the epoch, each batch's rows and, when pretraining on
    /// user sequences, their stretches: tests see what each step used.
    /// </summary>
    internal Action<string, int, IReadOnlyList<PsuRow>, IReadOnlyList<PretrainingSequence>?>? Stepped { get; init; }

    /// <summary>Trains and returns the network (the caller disposes it and the content tensors).</summary>
    public PsuNetwork Train(ItemContentTensors content) => Train(content, out _);

    /// <summary>
    /// Trains; <paramref name="pretrained"/> receives the weights as pretraining left them when fine-tuning follows
    /// (null otherwise: they are the final weights).
    /// </summary>
    public PsuNetwork Train(ItemContentTensors content, out PsuWeights? pretrained)
    {
        using var exclusive = TorchRuntime.Exclusive();
        TorchRuntime.Configure(_seed, _o.Threads);
        var network = new PsuNetwork(_v, content, _o.Dimension, _o.Heads, _o.TopK, _o.HeadLayers, _o.Retrieval, _seed, _reader.SideScaling, _o.HeadDropout);
        bool pretrain = _o.Pretrain && ((_o.UseNextPair && _o.NextPairWeight > 0) || (_o.UseAlignment && _o.AlignmentWeight > 0) || (_o.UseRelevance && _o.RelevanceWeight > 0));
        if (pretrain) Pretrain(network);
        pretrained = null;
        if (_o.LabelColumnName != null)
        {
            pretrained = PsuWeightsExport.From(network);
            FineTune(network);
        }
        return network;
    }

    void Pretrain(PsuNetwork network)
    {
        var random = new Random(_seed);
        var objectives = new PretrainingObjectives(network, _o, _v.MaxQueryTokens, _v.Items.Size, random);
        using var optimizer = optim.Adam(network.PretrainedParameters(), lr: _o.PretrainingLearningRate);
        // Held-out rows stay unseen: their targets are later positives that pretraining would otherwise learn as next pairs.
        var sequences = _o.PretrainingUserColumnName == null ? null : UserSequences.Read(Counted("reading sequences", _reader.Rows(false)).Where(r => !_split.HoldsOut(r)), _o);
        if (sequences != null)
            Info($"PSU pretraining on {sequences.Sequences.Count:N0} user sequences ({sequences.Segments:N0} stretches of {_o.CutPointsPerSequence} cut points per epoch).");
        long usable = sequences?.Segments ?? _summary.Rows - _summary.EmptyHistories - _split.HeldOutRows;
        network.train();
        for (int epoch = 1; epoch <= _o.PretrainingMaxEpoch; epoch++)
        {
            var meter = new LossMeter();
            long done = 0;
            _clock.Restart();
            var batches = sequences == null
                ? LengthBuckets.Batches(_reader.Shuffled(false, _o.ShufflePoolRows, random).Where(r => r.Length > 0 && !_split.HoldsOut(r)), r => r.Length, _o.BatchSize, random)
                    .Select(rows => (rows, (List<PretrainingSequence>?)null))
                : LengthBuckets.Batches(sequences.Epoch(random), s => s.To, _o.BatchSize, random)
                    .Select(stretches => (stretches.Select(s => s.Row).ToList(), (List<PretrainingSequence>?)stretches));
            foreach (var (rows, stretches) in batches)
            {
                using var scope = NewDisposeScope();
                var batch = new PsuBatch(rows, _v.MaxQueryTokens, stretches?.ConvertAll(s => s.To));
                using (var hold = CollectorHold.Enter())
                {
                    optimizer.zero_grad();
                    var (total, parts) = objectives.Losses(batch, stretches);
                    total.backward();
                    optimizer.step();
                    meter.Add(parts, rows.Count);
                }
                Stepped?.Invoke("pretraining", epoch, rows, stretches);
                done += rows.Count;
                Report("pretraining", epoch, _o.PretrainingMaxEpoch, epoch, done, usable, meter, end: false);
            }
            Report("pretraining", epoch, _o.PretrainingMaxEpoch, epoch, done, usable, meter, end: true);
        }
    }

    void FineTune(PsuNetwork network)
    {
        if (!_o.RestoreAttention) network.ResetAttentionAndHead();
        network.UnfreezeModalityTransforms();
        var random = new Random(_seed + 1);
        // Decoupled decay (AdamW) also reaches the id rows a batch does not use, which an L2 term on the batch's loss would leave alone.
        using var optimizer = _o.WeightDecay > 0
            ? optim.AdamW(network.parameters(), lr: _o.FineTuningLearningRate, weight_decay: _o.WeightDecay)
            : (optim.Optimizer)optim.Adam(network.parameters(), lr: _o.FineTuningLearningRate);
        double best = double.PositiveInfinity;
        Dictionary<string, Tensor>? bestState = null;
        int since = 0;
        long trainRows = _split.TrainingRows;
        if (_split.Enabled)
            Info($"PSU fine-tuning on {trainRows:N0} rows; {_split.HeldOutRows:N0} held out for validation" +
                 (_reader.ReadsValidation ? $" (flagged by '{_o.ValidationSetColumnName}')." : " (the last rows in data order)."));
        for (int epoch = 1; epoch <= _o.MaxEpoch; epoch++)
        {
            network.train();
            var meter = new LossMeter();
            long done = 0;
            _clock.Restart();
            foreach (var rows in LengthBuckets.Batches(_reader.Shuffled(true, _o.ShufflePoolRows, random).Where(r => !_split.HoldsOut(r)), r => r.Length, _o.BatchSize, random))
            {
                using var scope = NewDisposeScope();
                var batch = new PsuBatch(rows, _v.MaxQueryTokens);
                using (var hold = CollectorHold.Enter())
                {
                    optimizer.zero_grad();
                    var (_, _, logit) = network.Score(batch);
                    var loss = nn.functional.binary_cross_entropy_with_logits(logit, batch.Labels);
                    var parts = new Dictionary<string, double> { ["train_bce"] = loss.item<float>() };
                    // SIM: the auxiliary retrieval loss is what trains the retrieval embeddings (the hard top-K passes them no gradient).
                    if (network.RetrievalStage.AuxWeight > 0 && network.RetrievalAuxLogit(batch) is { } aux)
                    {
                        var auxLoss = nn.functional.binary_cross_entropy_with_logits(aux, batch.Labels);
                        parts["retrieval_aux_bce"] = auxLoss.item<float>();
                        loss = loss + auxLoss * network.RetrievalStage.AuxWeight;
                    }
                    loss.backward();
                    optimizer.step();
                    meter.Add(parts, rows.Count);
                }
                Stepped?.Invoke("fine-tuning", epoch, rows, null);
                done += rows.Count;
                Report("fine-tuning", epoch, _o.MaxEpoch, epoch, done, trainRows, meter, end: false);
            }
            if (!_split.Enabled)
            {
                Report("fine-tuning", epoch, _o.MaxEpoch, epoch, done, trainRows, meter, end: true);
                continue;
            }
            double validation = ValidationLoss(network, epoch);
            meter.Add(new Dictionary<string, double> { ["validation_bce"] = validation }, 1);
            Report("fine-tuning", epoch, _o.MaxEpoch, epoch, done, trainRows, meter, end: true);
            if (validation < best - 1e-6)
            {
                best = validation;
                since = 0;
                if (bestState != null) foreach (var t in bestState.Values) t.Dispose();
                bestState = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
                BestEpoch = epoch;
            }
            else if (++since > _o.Patience)
            {
                Info($"Fine-tuning stopped after epoch {epoch}: validation loss {validation:F4} has not improved on {best:F4} for {since} epochs.");
                break;
            }
        }
        if (bestState != null)
        {
            network.load_state_dict(bestState);
            foreach (var t in bestState.Values) t.Dispose();
            Info($"Fine-tuning keeps epoch {BestEpoch} (validation loss {best:F4}).");
        }
    }

    /// <summary>The fine-tuning epoch whose weights were kept (0 without validation: the last).</summary>
    internal int BestEpoch { get; private set; }

    /// <summary>Mean BCE per held-out row.</summary>
    double ValidationLoss(PsuNetwork network, int epoch)
    {
        network.eval();
        double sum = 0;
        long n = 0;
        using var _ = no_grad();
        var meter = new LossMeter();
        // Its own clock: the epoch's clock still measures the training pass it reports at its end.
        var clock = new StageClock();
        foreach (var rows in LengthBuckets.Batches(_reader.Rows(true).Where(_split.HoldsOut), r => r.Length, _o.BatchSize, new Random(_seed)))
        {
            using var scope = NewDisposeScope();
            var batch = new PsuBatch(rows, _v.MaxQueryTokens);
            using (var hold = CollectorHold.Enter())
            {
                var (_, _, logit) = network.Score(batch);
                double loss = nn.functional.binary_cross_entropy_with_logits(logit, batch.Labels, reduction: nn.Reduction.Sum).item<float>();
                sum += loss;
                meter.Add(new Dictionary<string, double> { ["validation_bce"] = loss / rows.Count }, rows.Count);
            }
            Stepped?.Invoke("validation", epoch, rows, null);
            n += rows.Count;
            Report("validation", epoch, 1, 1, n, _split.HeldOutRows, meter, end: false, clock);
        }
        Report("validation", epoch, 1, 1, n, _split.HeldOutRows, meter, end: true, clock);
        network.train();
        return n == 0 ? double.NaN : sum / n;
    }

    /// <summary>Passes rows through, reporting progress of the pass as a stage of its own.</summary>
    IEnumerable<PsuRow> Counted(string stage, IEnumerable<PsuRow> rows)
    {
        var meter = new LossMeter();
        long n = 0;
        _clock.Restart();
        foreach (var row in rows)
        {
            yield return row;
            Report(stage, 1, 1, 1, ++n, _summary.Rows, meter, end: false);
        }
        Report(stage, 1, 1, 1, n, _summary.Rows, meter, end: true);
    }

    DateTime _lastReport = DateTime.MinValue;

    /// <summary>Reports pass <paramref name="pass"/> of <paramref name="passes"/> (epochs of a stage, or 1 of 1) at most every 2 seconds, and at its end.</summary>
    void Report(string stage, int epoch, int passes, int pass, long done, long total, LossMeter meter, bool end, StageClock? clock = null)
    {
        var now = DateTime.UtcNow;
        if (!end && now - _lastReport < TimeSpan.FromSeconds(2)) return;
        _lastReport = now;
        double within = total <= 0 ? 1 : Math.Min(1, (double)done / total);
        var (rate, left) = (clock ?? _clock).Estimate(done, total, passes - pass);
        var losses = meter.Means();
        _o.Progress?.Report(new PsuTrainingProgress(stage, epoch, (pass - 1 + within) / passes, losses, done, total, rate, left));
        Info($"PSU {stage} epoch {epoch}: {done:N0} of {total:N0} rows{(end ? " (done)" : "")}, {rate:N0} rows/s, {Duration(left)} left; " +
             string.Join(", ", losses.Select(kv => $"{kv.Key} {kv.Value:F4}")));
    }

    static string Duration(double seconds) => double.IsFinite(seconds) ? TimeSpan.FromSeconds(Math.Round(seconds)).ToString(@"h\:mm\:ss") : "?";

    void Info(string message) => _channel.Info(MessageSensitivity.None, message);

    /// <summary>Row-weighted means of each loss since the epoch started.</summary>
    sealed class LossMeter
    {
        readonly Dictionary<string, (double Sum, double Weight)> _sums = new();

        public void Add(IReadOnlyDictionary<string, double> parts, int weight)
        {
            foreach (var (name, value) in parts)
            {
                _sums.TryGetValue(name, out var s);
                _sums[name] = (s.Sum + value * weight, s.Weight + weight);
            }
        }

        public IReadOnlyDictionary<string, double> Means() => _sums.ToDictionary(kv => kv.Key, kv => kv.Value.Sum / kv.Value.Weight);
    }
}
