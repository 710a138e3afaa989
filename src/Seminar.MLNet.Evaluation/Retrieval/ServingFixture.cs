using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Evaluation.Models;

namespace Seminar.MLNet.Evaluation.Retrieval;

/// <summary>
/// What the serving benches rank against: a catalog, a chain of featurizer, PSU (untrained, randomly initialised weights:
/// the cost of scoring does not depend on training), optionally PQ, and FastTree over SEMINAR's outputs and a
/// per-candidate price, fitted in this process; and requests drawn from the same catalog. Shared by <c>bench --serving</c>
/// and the BenchmarkDotNet serving class, so both time the same chains.
/// </summary>
internal sealed class ServingFixture
{
    const string Price = "Price";
    static readonly string[] Words = { "red", "blue", "shoe", "hat", "green", "coat", "warm", "cheap", "summer", "boot", "wool", "black", "light", "kids", "sale", "linen" };

    readonly Random _rng;
    readonly string[] _ids;

    /// <summary>A training or request row as the chain reads it.</summary>
    internal sealed class Row
    {
        public string[] HistoryItems { get; set; } = Array.Empty<string>();
        public string[] HistoryQueries { get; set; } = Array.Empty<string>();
        public string TargetItem { get; set; } = "";
        public string Query { get; set; } = "";
        public bool Label { get; set; }
        public float Price { get; set; }
    }

    internal sealed class CatalogRow
    {
        public string ItemId { get; set; } = "";
        public string Title { get; set; } = "";
        public string Attributes { get; set; } = "";
    }

    /// <summary>Fits the chains.</summary>
    /// <param name="options">Seed, catalog size and PSU shape.</param>
    /// <param name="maxHistory">The longest history a request will carry (the featurizer's cap).</param>
    public ServingFixture(ServingBenchOptions options, int maxHistory)
    {
        _rng = new Random(options.Seed);
        Ml = new MLContext(options.Seed);
        _ids = Enumerable.Range(0, options.CatalogItems).Select(i => "i" + i).ToArray();
        var catalog = Ml.Data.LoadFromEnumerable(_ids.Select((id, i) => new CatalogRow
        {
            ItemId = id, Title = $"{Words[i % Words.Length]} {Words[i / Words.Length % Words.Length]}", Attributes = $"cat_{i % 20} brand_{i % 50}",
        }).ToList());
        var training = Ml.Data.LoadFromEnumerable(Enumerable.Range(0, 300).Select(_ => Draw(_rng.Next(1, 30))).ToList());
        TrainingSchema = training.Schema;
        var featurizer = Ml.Seminar().FeaturizeSequences(catalog, new SequenceFeaturizerOptions { MaxHistory = maxHistory }).Fit(training);
        var featurized = featurizer.Transform(training);
        // No pretraining and no label: the network as initialised, which is all the cost of scoring depends on.
        Psu = Ml.Seminar().PsuEmbedding(new PsuEmbeddingOptions
        {
            LabelColumnName = null, Pretrain = false, Dimension = options.Dimension, Heads = options.Heads, TopK = options.TopK, Seed = options.Seed,
        }).Fit(featurized);
        var psuOut = Psu.Transform(featurized);
        var pq = Ml.Seminar().PqAttention(new PqAttentionOptions { Seed = options.Seed, Quantizer = SeminarStage.FitSubSpaces(new PqAttentionOptions().Quantizer, options.Dimension) }).Fit(psuOut);
        ITransformer Head(IDataView input, string interest, string score) => Ml.Transforms.Concatenate("Features", interest, score, Price)
            .Append(Ml.BinaryClassification.Trainers.FastTree(numberOfTrees: 20, minimumExampleCountPerLeaf: 2)).Fit(input);
        Exact = new TransformerChain<ITransformer>(featurizer, Psu, Head(psuOut, "SeminarInterest", "SeminarScore"));
        Pq = new TransformerChain<ITransformer>(featurizer, Psu, pq, Head(pq.Transform(psuOut), "SeminarPqInterest", "SeminarPqScore"));
    }

    /// <summary>The context the chains were fitted in.</summary>
    public MLContext Ml { get; }
    /// <summary>The chains' input schema.</summary>
    public DataViewSchema TrainingSchema { get; }
    /// <summary>The PSU stage.</summary>
    public PsuEmbeddingTransformer Psu { get; }
    /// <summary>Featurizer, PSU with the exact GSU, FastTree.</summary>
    public ITransformer Exact { get; }
    /// <summary>Featurizer, PSU, PQ attention, FastTree.</summary>
    public ITransformer Pq { get; }

    /// <summary>A row of a random history of <paramref name="length"/> behaviours (a third browsing) and a random target, query and price.</summary>
    public Row Draw(int length) => new()
    {
        HistoryItems = Enumerable.Range(0, length).Select(_ => _ids[_rng.Next(_ids.Length)]).ToArray(),
        HistoryQueries = Enumerable.Range(0, length).Select(_ => Query()).ToArray(),
        TargetItem = _ids[_rng.Next(_ids.Length)], Query = Query(), Label = _rng.Next(2) == 0, Price = (float)Math.Round(_rng.NextDouble() * 100, 2),
    };

    /// <summary>A request of a fresh user with a history of <paramref name="length"/> and <paramref name="candidates"/> random candidates.</summary>
    public RankingRequest Request(int length, int candidates)
    {
        var user = Draw(length);
        return new RankingRequest
        {
            HistoryItems = user.HistoryItems, HistoryQueries = user.HistoryQueries,
            Candidates = Enumerable.Range(0, candidates).Select(_ => Draw(0))
                .Select(c => new RankingCandidate { Item = c.TargetItem, Query = c.Query, Features = new Dictionary<string, float> { [Price] = c.Price } }).ToArray(),
        };
    }

    /// <summary>A random index below <paramref name="size"/>, above padding.</summary>
    public long Index(int size) => _rng.Next(1, size);

    /// <summary>A fair coin.</summary>
    public bool Coin() => _rng.Next(2) == 0;

    string Query() => _rng.Next(3) == 0 ? "" : string.Join(' ', Enumerable.Range(0, _rng.Next(1, 4)).Select(_ => Words[_rng.Next(Words.Length)]));
}
