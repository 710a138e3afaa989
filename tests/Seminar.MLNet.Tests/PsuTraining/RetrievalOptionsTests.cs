using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Retrieval.Strategies;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Tests.PsuTraining;

public class RetrievalOptionsTests
{
    [Fact]
    public void Defaults_are_the_exact_GSU_and_the_predecessors_usual_settings()
    {
        var o = new PsuEmbeddingOptions();
        Assert.Equal(RetrievalStrategy.Exact, o.RetrievalStrategy);
        Assert.Equal(50, o.RecentWindow);
        Assert.Equal(64, o.SimHashBits);
        Assert.Equal(48, o.HashFunctions);
        Assert.Equal(3, o.BitsPerFunction);
        Assert.Equal(1f, o.RetrievalAuxWeight);
        o.Validate();
    }

    public static TheoryData<Action<PsuEmbeddingOptions>, string, string> OutOfRange => new()
    {
        { o => o.RetrievalStrategy = (RetrievalStrategy)9, "RetrievalStrategy", "Unknown retrieval strategy; expected one of Exact, Recent, SoftSearch, SimHash, HashCollision." },
        { o => o.RecentWindow = 0, "RecentWindow", "RecentWindow must be at least 1." },
        { o => o.SimHashBits = 0, "SimHashBits", "SimHashBits must be between 1 and 1024." },
        { o => o.SimHashBits = 1025, "SimHashBits", "SimHashBits must be between 1 and 1024." },
        { o => o.HashFunctions = 0, "HashFunctions", "HashFunctions must be between 1 and 1024." },
        { o => o.BitsPerFunction = 65, "BitsPerFunction", "BitsPerFunction must be between 1 and 64." },
        { o => o.RetrievalAuxWeight = -1, "RetrievalAuxWeight", "RetrievalAuxWeight must be finite and non-negative." },
        { o => o.RetrievalAuxWeight = float.NaN, "RetrievalAuxWeight", "RetrievalAuxWeight must be finite and non-negative." },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Out_of_range_options_name_the_option_and_the_range(Action<PsuEmbeddingOptions> set, string name, string message)
    {
        var o = new PsuEmbeddingOptions();
        set(o);
        var e = Assert.Throws<ArgumentOutOfRangeException>(o.Validate);
        Assert.Equal(name, e.ParamName);
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void Weights_of_a_hashing_or_soft_search_strategy_must_carry_their_tables()
    {
        var weights = PsuScoring.PsuFixtures.RandomWeights(PsuScoring.PsuFixtures.Featurizer(new Microsoft.ML.MLContext(1),
            new Microsoft.ML.MLContext(1).Data.LoadFromEnumerable(PsuScoring.PsuFixtures.TrainingRows(20, 1))).Vocabularies, 8, 2, 3, 1);
        var noTable = Assert.Throws<ArgumentException>(() => With(weights, RetrievalStrategy.SoftSearch, null, null).Validate());
        Assert.StartsWith("The SoftSearch strategy needs RetrievalItems.", noTable.Message);
        var noRotation = Assert.Throws<ArgumentException>(() => With(weights, RetrievalStrategy.SimHash, null, null).Validate());
        Assert.StartsWith("The SimHash strategy needs HashRotations.", noRotation.Message);
        var short_ = Assert.Throws<ArgumentException>(() => With(weights, RetrievalStrategy.HashCollision, null, new float[8]).Validate());
        Assert.StartsWith($"HashRotations holds 8 values; expected {48 * 3 * 8}.", short_.Message);
        With(weights, RetrievalStrategy.SimHash, null, new float[64 * 8]).Validate();
        With(weights, RetrievalStrategy.SoftSearch, new float[weights.ItemIds.Length], null).Validate();
    }

    static PsuWeights With(PsuWeights w, RetrievalStrategy strategy, float[]? retrieval, float[]? rotations) => new()
    {
        Dimension = w.Dimension, Heads = w.Heads, TopK = w.TopK, ItemIds = w.ItemIds, Tokens = w.Tokens, Attributes = w.Attributes,
        Projections = w.Projections, GateLogits = w.GateLogits, ModalityTransforms = w.ModalityTransforms, QueryWeightLogit = w.QueryWeightLogit,
        AttentionQuery = w.AttentionQuery, AttentionKey = w.AttentionKey, AttentionValue = w.AttentionValue, AttentionOutput = w.AttentionOutput,
        EmptyInterest = w.EmptyInterest, Head = w.Head, Strategy = strategy, RetrievalItems = retrieval, HashRotations = rotations,
    };
}
