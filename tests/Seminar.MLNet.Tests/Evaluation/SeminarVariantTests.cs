using System.Collections;
using System.Reflection;
using Seminar.MLNet.Evaluation.Models;
using Seminar.MLNet.Featurization;
using Seminar.MLNet.Retrieval.Strategies;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Tests.Evaluation;

public class SeminarVariantTests
{
    // The evaluator reports one training under both names when a variant declares SameNetworkAs, so comparing the two
    // reported metrics proves nothing: what must hold is that the two configurations really are the same network.
    [Fact]
    public void Twin_configures_exactly_the_network_of_seminar_no_pretrain_and_differs_from_the_others()
    {
        var twin = SeminarVariant.All.Single(v => v.Name == "twin");
        Assert.Equal("seminar_no_pretrain", twin.SameNetworkAs);
        var (twinFeaturizer, twinPsu) = Configured(twin);
        Assert.False(twinPsu.Pretrain);
        Assert.Same(ExactRetrieval.Instance, twinPsu.Retrieval);

        var (sameFeaturizer, samePsu) = Configured(SeminarVariant.All.Single(v => v.Name == twin.SameNetworkAs));
        Assert.Empty(Differences(twinFeaturizer, sameFeaturizer));
        Assert.Empty(Differences(twinPsu, samePsu));

        // The comparison can fail: it sees the one option each other variant changes.
        Assert.Equal(new[] { nameof(PsuEmbeddingOptions.Retrieval) }, Differences(twinPsu, Configured(SeminarVariant.All.Single(v => v.Name == "din")).Psu));
        Assert.Equal(new[] { nameof(PsuEmbeddingOptions.Pretrain) }, Differences(twinPsu, new PsuEmbeddingOptions()));
        Assert.All(SeminarVariant.All.Where(v => v.SameNetworkAs is null && v.Name != twin.SameNetworkAs), v =>
        {
            var (featurizer, psu) = Configured(v);
            Assert.NotEmpty(Differences(twinFeaturizer, featurizer).Concat(Differences(twinPsu, psu)));
        });
    }

    static (SequenceFeaturizerOptions Featurizer, PsuEmbeddingOptions Psu) Configured(SeminarVariant variant)
    {
        var featurizer = new SequenceFeaturizerOptions();
        var psu = new PsuEmbeddingOptions();
        variant.Configure(featurizer, psu);
        return (featurizer, psu);
    }

    /// <summary>
    /// Names of the properties whose values differ, the internal retrieval strategy included: sequences element by element, nested
    /// options and strategy objects property by property (objects of different types differ).
    /// </summary>
    static string[] Differences<T>(T a, T b) where T : notnull => Differences(typeof(T), a, b);

    static string[] Differences(Type type, object a, object b) => type.GetProperties(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
        .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && !Same(p.PropertyType, p.GetValue(a), p.GetValue(b)))
        .Select(p => p.Name).ToArray();

    static bool Same(Type type, object? x, object? y) => (x, y) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (string s, string t) => s == t,
        (IEnumerable xs, IEnumerable ys) => xs.Cast<object?>().SequenceEqual(ys.Cast<object?>()),
        _ when x.GetType() != y.GetType() => false,
        _ when type.IsClass && !typeof(Delegate).IsAssignableFrom(type) => Differences(x.GetType(), x, y).Length == 0,
        _ => Equals(x, y),
    };
}
