using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Seminar.MLNet.Tests.Architecture;

/// <summary>
/// The packed libraries' public surface follows ML.NET's conventions: one namespace, <c>*ColumnName</c> options and
/// parameters, and a simple-parameters catalog overload whose defaults are the options' own.
/// </summary>
public class PublicApiConventionTests
{
    static readonly Assembly[] Packed = { typeof(SeminarCatalog).Assembly, typeof(PsuEmbeddingOptions).Assembly };

    static IEnumerable<Type> PublicTypes() => Packed.SelectMany(a => a.GetExportedTypes());

    [Fact]
    public void Every_public_type_lives_in_the_one_user_namespace()
    {
        var elsewhere = PublicTypes().Where(t => t.Namespace != "Seminar.MLNet").Select(t => t.FullName).ToList();
        Assert.Empty(elsewhere);
        // The libraries do have public types (a wrong assembly would pass the check above vacuously).
        Assert.Contains(typeof(SequenceFeaturizerOptions), PublicTypes());
        Assert.Contains(typeof(SeminarTrainingCatalog), PublicTypes());
    }

    [Fact]
    public void Column_options_and_parameters_are_named_ColumnName()
    {
        var members = PublicTypes().SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Where(p => p.PropertyType == typeof(string) || p.PropertyType == typeof(string[]))
            .Select(p => $"{p.DeclaringType!.Name}.{p.Name}").ToList();
        var parameters = PublicTypes().SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .SelectMany(m => m.GetParameters().Where(p => p.ParameterType == typeof(string)).Select(p => $"{m.DeclaringType!.Name}.{m.Name}({p.Name})")).ToList();
        Assert.Contains("PsuEmbeddingOptions.LabelColumnName", members);
        Assert.Contains("SeminarCatalog.Prediction(logitColumnName)", parameters);
        Assert.DoesNotContain(members.Concat(parameters), n => n.TrimEnd(')').EndsWith("Column", StringComparison.Ordinal) || n.EndsWith("Columns", StringComparison.Ordinal));
        // Input and output names never clash across components: the featurizer's text history is not the PSU's index history.
        Assert.Contains("SequenceFeaturizerOptions.HistoryItemsColumnName", members);
        Assert.Contains("PsuColumnOptions.HistoryItemIndicesColumnName", members);
        Assert.DoesNotContain("PsuColumnOptions.HistoryItemsColumnName", members);
        Assert.DoesNotContain(members, n => n.Contains("OutputColumn", StringComparison.Ordinal));
    }

    [Fact]
    public void Simple_overloads_default_to_the_options_defaults()
    {
        Check(typeof(SeminarCatalog).GetMethods().Single(m => m.Name == nameof(SeminarCatalog.FeaturizeSequences) && m.GetParameters().Length > 2),
            new SequenceFeaturizerOptions(), skip: "itemCatalog");
        var pq = new PqAttentionOptions();
        Check(typeof(SeminarCatalog).GetMethods().Single(m => m.Name == nameof(SeminarCatalog.PqAttention) && m.GetParameters().Length > 1), pq, pq.Quantizer);
        Check(typeof(SeminarTrainingCatalog).GetMethods().Single(m => m.Name == nameof(SeminarTrainingCatalog.PsuEmbedding) && m.GetParameters().Length > 2),
            new PsuEmbeddingOptions(), skip: "catalog");
    }

    /// <summary>Each parameter (bar <paramref name="skip"/>) names a property of one of <paramref name="defaults"/> and defaults to its value.</summary>
    static void Check(MethodInfo overload, object defaults, object? nested = null, string skip = "")
    {
        var parameters = overload.GetParameters().Where(p => p.Name != skip).ToList();
        Assert.NotEmpty(parameters);
        foreach (var p in parameters)
        {
            var (owner, property) = new[] { defaults, nested }.OfType<object>()
                .Select(o => (o, o.GetType().GetProperty(p.Name!, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)))
                .FirstOrDefault(x => x.Item2 != null);
            Assert.True(property != null, $"{overload.Name}({p.Name}) names no option.");
            Assert.True(p.HasDefaultValue, $"{overload.Name}({p.Name}) has no default.");
            Assert.Equal(property!.GetValue(owner), p.DefaultValue);
        }
    }

    [Fact]
    public void Simple_featurizer_overload_applies_its_column_names_and_sizes()
    {
        var ml = new MLContext(1);
        var catalog = ml.Data.LoadFromEnumerable(new[] { new CatalogRow { ItemId = "a", Title = "red shoe" }, new CatalogRow { ItemId = "b", Title = "hat" } });
        var rows = ml.Data.LoadFromEnumerable(new[] { new RenamedRow { Seen = new[] { "a", "b" }, Searched = new[] { "red", "" }, Target = "b", Typed = "red shoe hat" } });
        var model = ml.Seminar().FeaturizeSequences(catalog, "Seen", "Searched", "Target", "Typed", maxHistory: 1, maxQueryTokens: 2).Fit(rows);
        var output = model.Transform(rows);
        var v = model.Vocabularies;

        // Only the last behaviour is kept, and 2 tokens per query.
        Assert.Equal(new[] { (long)v.Items.IndexOf("b") }, output.GetColumn<long[]>("SeminarHistoryItems").Single());
        Assert.Equal(new long[] { 0, 0 }, output.GetColumn<long[]>("SeminarHistoryQueryTokens").Single());
        Assert.Equal(new[] { (long)v.Tokens.IndexOf("red"), v.Tokens.IndexOf("shoe") }, output.GetColumn<long[]>("SeminarQueryTokens").Single());
        Assert.Equal(1, v.MaxHistory);
    }

    sealed class CatalogRow
    {
        public string ItemId { get; set; } = "";
        public string Title { get; set; } = "";
        public string Attributes { get; set; } = "";
    }

    sealed class RenamedRow
    {
        public string[] Seen { get; set; } = Array.Empty<string>();
        public string[] Searched { get; set; } = Array.Empty<string>();
        public string Target { get; set; } = "";
        public string Typed { get; set; } = "";
    }
}
