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

    public PsuTrainer(PsuRowReader reader, DataSummary summary, SequenceVocabularies vocabularies, PsuEmbeddingOptions options, int seed, IChannel channel)
    {
        _reader = reader;
        _summary = summary;
        _v = vocabularies;
        _o = options;
        _seed = seed;
        _channel = channel;
    }

    /// <summary>What a first pass over the data found.</summary>
    public sealed record DataSummary(long Rows, long Positives, long Negatives, long EmptyHistories);

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
        var network = new PsuNetwork(_v, content, _o.Dimension, _o.Heads, _o.TopK, _o.HeadLayers, PsuRetrievalSettings.From(_o, _seed), _reader.SideScaling, _o.HeadDropout);
        bool pretrain = _o.Pretrain && ((_o.UseNextPair && _o.NextPairWeight > 0) || (_o.UseAlignment && _o.AlignmentWeight > 0) || (_o.UseRelevance && _o.RelevanceWeight > 0));
        if (pretrain) Pretrain(network);
        pretrained = null;
        if (_o.LabelColumn != null)
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
        long usable = _summary.Rows - _summary.EmptyHistories;
        network.train();
        for (int epoch = 1; epoch <= _o.PretrainingEpochs; epoch++)
        {
            var meter = new LossMeter();
            long done = 0;
            foreach (var rows in Batches(_reader.Shuffled(false, _o.ShufflePoolRows, random).Where(r => r.Length > 0)))
            {
                using var scope = NewDisposeScope();
                var batch = new PsuBatch(rows, _v.MaxQueryTokens);
                using var hold = CollectorHold.Enter();
                optimizer.zero_grad();
                var (total, parts) = objectives.Losses(batch);
                total.backward();
                optimizer.step();
                meter.Add(parts, rows.Count);
                done += rows.Count;
                Report("pretraining", epoch, _o.PretrainingEpochs, done, usable, meter, end: false);
            }
            Report("pretraining", epoch, _o.PretrainingEpochs, done, usable, meter, end: true);
        }
    }

    void FineTune(PsuNetwork network)
    {
        if (!_o.RestoreAttention) network.ResetAttentionAndHead();
        network.UnfreezeModalityTransforms();
        var random = new Random(_seed + 1);
        using var optimizer = optim.Adam(network.parameters(), lr: _o.FineTuningLearningRate);
        double best = double.PositiveInfinity;
        Dictionary<string, Tensor>? bestState = null;
        int since = 0;
        long trainRows = (long)Math.Round(_summary.Rows * (1 - _o.ValidationFraction));
        for (int epoch = 1; epoch <= _o.FineTuningEpochs; epoch++)
        {
            network.train();
            var meter = new LossMeter();
            long done = 0;
            foreach (var rows in Batches(_reader.Shuffled(true, _o.ShufflePoolRows, random).Where(r => !IsValidation(r.Position))))
            {
                using var scope = NewDisposeScope();
                var batch = new PsuBatch(rows, _v.MaxQueryTokens);
                using var hold = CollectorHold.Enter();
                optimizer.zero_grad();
                var (_, _, logit) = network.Score(batch);
                var loss = nn.functional.binary_cross_entropy_with_logits(logit, batch.Labels);
                var parts = new Dictionary<string, double> { ["train_bce"] = loss.item<float>() };
                // SIM: the auxiliary retrieval loss is what trains the retrieval embeddings (the hard top-K passes them no gradient).
                if (_o.RetrievalAuxWeight > 0 && network.RetrievalAuxLogit(batch) is { } aux)
                {
                    var auxLoss = nn.functional.binary_cross_entropy_with_logits(aux, batch.Labels);
                    parts["retrieval_aux_bce"] = auxLoss.item<float>();
                    loss = loss + auxLoss * _o.RetrievalAuxWeight;
                }
                loss.backward();
                optimizer.step();
                meter.Add(parts, rows.Count);
                done += rows.Count;
                Report("fine-tuning", epoch, _o.FineTuningEpochs, done, trainRows, meter, end: false);
            }
            if (_o.ValidationFraction == 0)
            {
                Report("fine-tuning", epoch, _o.FineTuningEpochs, done, trainRows, meter, end: true);
                continue;
            }
            double validation = ValidationLoss(network);
            meter.Add(new Dictionary<string, double> { ["validation_bce"] = validation }, 1);
            Report("fine-tuning", epoch, _o.FineTuningEpochs, done, trainRows, meter, end: true);
            if (validation < best - 1e-6)
            {
                best = validation;
                since = 0;
                if (bestState != null) foreach (var t in bestState.Values) t.Dispose();
                bestState = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
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
        }
    }

    double ValidationLoss(PsuNetwork network)
    {
        network.eval();
        double sum = 0;
        long n = 0;
        using var _ = no_grad();
        foreach (var rows in Batches(_reader.Rows(true).Where(r => IsValidation(r.Position))))
        {
            using var scope = NewDisposeScope();
            var batch = new PsuBatch(rows, _v.MaxQueryTokens);
            using var hold = CollectorHold.Enter();
            var (_, _, logit) = network.Score(batch);
            sum += nn.functional.binary_cross_entropy_with_logits(logit, batch.Labels, reduction: nn.Reduction.Sum).item<float>();
            n += rows.Count;
        }
        network.train();
        return n == 0 ? double.NaN : sum / n;
    }

    /// <summary>Whether a row is held out for validation: a hash of its position, so every pass agrees without storing a list.</summary>
    bool IsValidation(long position)
    {
        if (_o.ValidationFraction <= 0) return false;
        ulong h = (ulong)(position + 1) * 0x9E3779B97F4A7C15UL ^ (ulong)_seed;
        h ^= h >> 31;
        h *= 0xBF58476D1CE4E5B9UL;
        h ^= h >> 29;
        return (h >> 11) * (1.0 / (1UL << 53)) < _o.ValidationFraction;
    }

    IEnumerable<List<PsuRow>> Batches(IEnumerable<PsuRow> rows)
    {
        var batch = new List<PsuRow>(_o.BatchSize);
        foreach (var row in rows)
        {
            batch.Add(row);
            if (batch.Count < _o.BatchSize) continue;
            yield return batch;
            batch = new List<PsuRow>(_o.BatchSize);
        }
        if (batch.Count > 0) yield return batch;
    }

    DateTime _lastReport = DateTime.MinValue;

    void Report(string stage, int epoch, int epochs, long done, long total, LossMeter meter, bool end)
    {
        var now = DateTime.UtcNow;
        if (!end && now - _lastReport < TimeSpan.FromSeconds(2)) return;
        _lastReport = now;
        double within = total <= 0 ? 1 : Math.Min(1, (double)done / total);
        var losses = meter.Means();
        _o.Progress?.Report(new PsuTrainingProgress(stage, epoch, (epoch - 1 + within) / epochs, losses));
        Info($"PSU {stage} epoch {epoch}/{epochs}: {done:N0} rows{(end ? " (epoch done)" : "")}; " +
             string.Join(", ", losses.Select(kv => $"{kv.Key} {kv.Value:F4}")));
    }

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
