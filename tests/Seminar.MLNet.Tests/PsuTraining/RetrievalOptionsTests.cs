using System.Reflection;
using Seminar.MLNet.Evaluation.Models;
using Seminar.MLNet.Retrieval.Strategies;
using Seminar.MLNet.Tests.Retrieval.Strategies;

namespace Seminar.MLNet.Tests.PsuTraining;

public class RetrievalOptionsTests
{
    static readonly string[] PredecessorKnobs = { "RetrievalStrategy", "RecentWindow", "RetrievalAuxWeight", "SimHashBits", "HashFunctions", "BitsPerFunction" };

    [Fact]
    public void The_public_options_and_weights_carry_no_predecessor_knob_and_the_default_is_the_exact_GSU()
    {
        var options = typeof(PsuEmbeddingOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).Select(p => p.Name).ToArray();
        Assert.Contains(nameof(PsuEmbeddingOptions.TopK), options);   // the reflection sees the public surface
        Assert.Empty(options.Intersect(PredecessorKnobs));
        Assert.DoesNotContain(typeof(PsuEmbeddingOptions).GetProperties(), p => typeof(PsuRetrieval).IsAssignableFrom(p.PropertyType));
        var weights = typeof(PsuWeights).GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).ToArray();
        Assert.Empty(weights.Intersect(PredecessorKnobs.Concat(new[] { "Strategy", "RetrievalItems", "HashRotations", "HashRows" })));
        Assert.Null(typeof(PsuWeights).Assembly.GetType("Seminar.MLNet.RetrievalStrategy"));

        var o = new PsuEmbeddingOptions();
        Assert.Same(ExactRetrieval.Instance, o.Retrieval);
        o.Validate();
        o.Retrieval = null!;
        Assert.Equal("Retrieval", Assert.Throws<ArgumentNullException>(o.Validate).ParamName);
    }

    [Fact]
    public void The_evaluation_harness_builds_the_predecessors_with_their_usual_settings()
    {
        PsuRetrieval Configured(string name)
        {
            var psu = new PsuEmbeddingOptions();
            SeminarVariant.All.Single(v => v.Name == name).Configure(new SequenceFeaturizerOptions(), psu);
            psu.Validate();
            return psu.Retrieval;
        }
        Assert.Equal(50, Assert.IsType<RecentRetrieval>(Configured("din")).Window);
        var sim = Assert.IsType<SoftSearchRetrieval>(Configured("sim"));
        Assert.Equal(1f, sim.AuxWeight);
        Assert.Null(sim.RetrievalItems);   // trained data comes from training
        Assert.Equal(64, Assert.IsType<SimHashRetrieval>(Configured("eta")).Bits);
        var sdim = Assert.IsType<HashCollisionRetrieval>(Configured("sdim"));
        Assert.Equal((48, 3, 144), (sdim.Functions, sdim.BitsPerFunction, sdim.Rows));
        Assert.Same(ExactRetrieval.Instance, Configured("twin"));
    }

    public static TheoryData<Func<object>, string, string> OutOfRange => new()
    {
        { () => new RecentRetrieval(0), "recentWindow", "RecentWindow must be at least 1." },
        { () => new SimHashRetrieval(0), "simHashBits", "SimHashBits must be between 1 and 1024." },
        { () => new SimHashRetrieval(1025), "simHashBits", "SimHashBits must be between 1 and 1024." },
        { () => new HashCollisionRetrieval(0, 3), "hashFunctions", "HashFunctions must be between 1 and 1024." },
        { () => new HashCollisionRetrieval(48, 65), "bitsPerFunction", "BitsPerFunction must be between 1 and 64." },
        { () => new SoftSearchRetrieval(-1), "retrievalAuxWeight", "RetrievalAuxWeight must be finite and non-negative." },
        { () => new SoftSearchRetrieval(float.NaN), "retrievalAuxWeight", "RetrievalAuxWeight must be finite and non-negative." },
    };

    [Theory]
    [MemberData(nameof(OutOfRange))]
    public void Out_of_range_strategy_parameters_name_the_parameter_and_the_range(Func<object> create, string name, string message)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(create);
        Assert.Equal(name, e.ParamName);
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void Weights_of_a_hashing_or_soft_search_strategy_must_carry_their_tables()
    {
        var weights = PsuScoring.PsuFixtures.RandomWeights(PsuScoring.PsuFixtures.Featurizer(new Microsoft.ML.MLContext(1),
            new Microsoft.ML.MLContext(1).Data.LoadFromEnumerable(PsuScoring.PsuFixtures.TrainingRows(20, 1))).Vocabularies, 8, 2, 3, 1);
        PsuWeights With(PsuRetrieval r) => StrategyScoringParityTests.With(weights, r);
        var noTable = Assert.Throws<ArgumentException>(() => With(new SoftSearchRetrieval(1f)).Validate());
        Assert.StartsWith("The SoftSearch strategy needs RetrievalItems.", noTable.Message);
        var shortTable = Assert.Throws<ArgumentException>(() => With(new SoftSearchRetrieval(1f, new float[8])).Validate());
        Assert.StartsWith($"RetrievalItems holds 8 values; expected {weights.ItemIds.Length}.", shortTable.Message);
        var noRotation = Assert.Throws<ArgumentException>(() => With(new SimHashRetrieval(64)).Validate());
        Assert.StartsWith("The SimHash strategy needs HashRotations.", noRotation.Message);
        var shortRotation = Assert.Throws<ArgumentException>(() => With(new HashCollisionRetrieval(48, 3, new float[8])).Validate());
        Assert.StartsWith($"HashRotations holds 8 values; expected {48 * 3 * 8}.", shortRotation.Message);
        var infinite = new float[64 * 8];
        infinite[5] = float.PositiveInfinity;
        Assert.StartsWith($"HashRotations[5] is {float.PositiveInfinity}: weights must be finite.", Assert.Throws<ArgumentException>(() => With(new SimHashRetrieval(64, infinite)).Validate()).Message);
        With(new SimHashRetrieval(64, new float[64 * 8])).Validate();
        With(new SoftSearchRetrieval(1f, new float[weights.ItemIds.Length])).Validate();
    }
}
