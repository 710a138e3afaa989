using Seminar.MLNet.Featurization;
using Seminar.MLNet.Retrieval.Strategies;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Evaluation.Models;

/// <summary>
/// A variant of the SEMINAR network that <c>evaluate</c> trains on its own and scores by its own fine-tuned output, like
/// <c>seminar_neural</c>: the same featurizer and network with one part removed (an ablation), or with a predecessor's retrieval
/// stage in place of SEMINAR's.
/// </summary>
/// <param name="Name">The report name.</param>
/// <param name="Description">What differs from <c>seminar_neural</c>, for documentation and progress lines.</param>
/// <param name="Configure">Changes copies of the featurizer and PSU options of <c>seminar_neural</c> into the variant's.</param>
/// <param name="SameNetworkAs">
/// A variant whose configuration is identical by construction; when both run, they share one trained network and report
/// the same metrics (and the same training seconds) under both names.
/// </param>
public sealed record SeminarVariant(string Name, string Description, Action<SequenceFeaturizerOptions, PsuEmbeddingOptions> Configure,
    string? SameNetworkAs = null)
{
    /// <summary>The ablations: <c>seminar_no_pretrain</c>, <c>seminar_no_alignment</c>, <c>seminar_no_relevance</c>, <c>seminar_no_query</c>.</summary>
    public static IReadOnlyList<SeminarVariant> Ablations { get; } = new SeminarVariant[]
    {
        new("seminar_no_pretrain", "no pretraining: fine-tuned from random initialisation", (_, psu) => psu.Pretrain = false),
        new("seminar_no_alignment", "pretrained without the multi-modal alignment objective", (_, psu) => psu.UseAlignment = false),
        new("seminar_no_relevance", "pretrained without the query–item relevance objective", (_, psu) => psu.UseRelevance = false),
        // Dropping the columns at the featurizer removes queries everywhere: history pairs become items, the target has no
        // query, and the relevance objective has no pairs to learn from.
        new("seminar_no_query", "queries ignored: history and target are items only", (featurizer, _) =>
        {
            featurizer.HistoryQueriesColumnName = null;
            featurizer.QueryColumnName = null;
        }),
    };

    /// <summary>DIN's usual window: the most recent real behaviours <c>din</c> attends to.</summary>
    public const int DinRecentWindow = 50;
    /// <summary>Weight of SIM's auxiliary retrieval loss in <c>sim</c>: it is what trains the retrieval embeddings.</summary>
    public const float SimRetrievalAuxWeight = 1f;
    /// <summary>ETA's SimHash signature bits in <c>eta</c> (one 64-bit word).</summary>
    public const int EtaSimHashBits = 64;
    /// <summary>SDIM's hash functions m in <c>sdim</c>, SDIM's setting.</summary>
    public const int SdimHashFunctions = 48;
    /// <summary>
    /// SDIM's bits per hash function (the signature width τ) in <c>sdim</c>, SDIM's setting: 8 buckets per function, so about an
    /// eighth of the history collides with a random target.
    /// </summary>
    public const int SdimBitsPerFunction = 3;

    /// <summary>
    /// The predecessors, each the same network with another retrieval stage and trained from scratch (no pretraining) on the same
    /// samples: <c>din</c>, <c>sim</c>, <c>eta</c>, <c>sdim</c>, <c>twin</c>. Their strategy objects (<c>Retrieval/Strategies</c>, immutable,
    /// so one serves every run) state each search; the settings above are theirs.
    /// </summary>
    public static IReadOnlyList<SeminarVariant> Predecessors { get; } = new SeminarVariant[]
    {
        Predecessor("din", "DIN: target attention over the most recent behaviours only", new RecentRetrieval(DinRecentWindow)),
        Predecessor("sim", "SIM: top-K by separately learned retrieval embeddings (auxiliary retrieval loss), then attention",
            new SoftSearchRetrieval(SimRetrievalAuxWeight)),
        Predecessor("eta", "ETA: top-K by Hamming distance of SimHash signatures, then attention", new SimHashRetrieval(EtaSimHashBits)),
        Predecessor("sdim", "SDIM: mean of the behaviours whose hash signatures collide with the target's",
            new HashCollisionRetrieval(SdimHashFunctions, SdimBitsPerFunction)),
        // TWIN's search is the PSU's own GSU, so trained from scratch it is seminar_no_pretrain.
        Predecessor("twin", "TWIN: exact top-K by the attention's own score, then attention", ExactRetrieval.Instance) with { SameNetworkAs = "seminar_no_pretrain" },
    };

    /// <summary>Every variant <c>evaluate</c> knows, in report order: <see cref="Ablations"/>, then <see cref="Predecessors"/>.</summary>
    public static IReadOnlyList<SeminarVariant> All { get; } = Ablations.Concat(Predecessors).ToArray();

    static SeminarVariant Predecessor(string name, string description, PsuRetrieval strategy) =>
        new(name, description + "; trained from scratch", (_, psu) =>
        {
            psu.Pretrain = false;
            psu.Retrieval = strategy;
        });
}
