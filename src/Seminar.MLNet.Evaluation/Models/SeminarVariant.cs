using Seminar.MLNet.Featurization;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Evaluation.Models;

/// <summary>
/// A variant of the SEMINAR network that <c>evaluate</c> trains on its own and scores by its own fine-tuned output, like
/// <c>seminar_neural</c>: the same featurizer and network with one part removed (an ablation).
/// </summary>
/// <param name="Name">The report name.</param>
/// <param name="Description">What differs from <c>seminar_neural</c>, for documentation and progress lines.</param>
/// <param name="Configure">Changes copies of the featurizer and PSU options of <c>seminar_neural</c> into the variant's.</param>
public sealed record SeminarVariant(string Name, string Description, Action<SequenceFeaturizerOptions, PsuEmbeddingOptions> Configure)
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
            featurizer.HistoryQueriesColumn = null;
            featurizer.QueryColumn = null;
        }),
    };

    /// <summary>Every variant <c>evaluate</c> knows, in report order.</summary>
    public static IReadOnlyList<SeminarVariant> All => Ablations;
}
