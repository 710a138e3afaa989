using System.Reflection;

namespace Seminar.MLNet.Tests.Architecture;

public class AssemblyReferenceTests
{
    [Fact]
    public void Scoring_library_does_not_reference_TorchSharp()
    {
        var scoring = typeof(SeminarColumns).Assembly;
        var names = scoring.GetReferencedAssemblies().Select(a => a.Name ?? "").ToArray();
        Assert.NotEmpty(names);
        Assert.DoesNotContain(names, n => n.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase));
        // Nor does anything it references from this project.
        foreach (var own in names.Where(n => n.StartsWith("Seminar", StringComparison.Ordinal)))
            Assert.DoesNotContain(Assembly.Load(own).GetReferencedAssemblies(), a => (a.Name ?? "").StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Training_library_is_where_TorchSharp_lives()
    {
        var training = typeof(Seminar.MLNet.Training.Runtime.TorchRuntime).Assembly;
        Assert.Contains(training.GetReferencedAssemblies(), a => a.Name == "TorchSharp");
    }
}
