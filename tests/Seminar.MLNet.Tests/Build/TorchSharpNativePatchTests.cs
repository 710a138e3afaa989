using Seminar.Build;

namespace Seminar.MLNet.Tests.Build;

public class TorchSharpNativePatchTests
{
    static string PackageCopy()
    {
        string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string p = Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(p), $"TorchSharp package copy not found at {p}");
        return p;
    }

    static string OutputCopy() => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Fact]
    public void Weaken_marks_only_the_glibcxx_3_4_32_requirement_weak_and_is_idempotent()
    {
        if (!OperatingSystem.IsLinux()) return;
        byte[] original = File.ReadAllBytes(PackageCopy());
        Assert.False(ElfVersionPatcher.IsWeak(original, ElfVersionPatcher.TorchSharpVersion));

        byte[] patched = (byte[])original.Clone();
        Assert.Equal(PatchOutcome.Patched, ElfVersionPatcher.Weaken(patched, ElfVersionPatcher.TorchSharpVersion, ElfVersionPatcher.OnlyAllowedSymbol));
        Assert.True(ElfVersionPatcher.IsWeak(patched, ElfVersionPatcher.TorchSharpVersion));
        Assert.False(ElfVersionPatcher.IsWeak(patched, "GLIBCXX_3.4.30"));

        // Exactly one byte (the low byte of vna_flags) changes.
        int diffs = original.Zip(patched).Count(p => p.First != p.Second);
        Assert.Equal(1, diffs);

        byte[] again = (byte[])patched.Clone();
        Assert.Equal(PatchOutcome.AlreadyWeak, ElfVersionPatcher.Weaken(again, ElfVersionPatcher.TorchSharpVersion, ElfVersionPatcher.OnlyAllowedSymbol));
        Assert.Equal(patched, again);
    }

    [Fact]
    public void Weaken_refuses_when_another_symbol_needs_the_version()
    {
        if (!OperatingSystem.IsLinux()) return;
        byte[] bytes = File.ReadAllBytes(PackageCopy());
        Assert.Equal(PatchOutcome.Refused, ElfVersionPatcher.Weaken(bytes, ElfVersionPatcher.TorchSharpVersion, "_Z_some_other_symbol"));
        Assert.Equal(PatchOutcome.NotRequired, ElfVersionPatcher.Weaken(bytes, "GLIBCXX_9.9.99", ElfVersionPatcher.OnlyAllowedSymbol));
        Assert.Equal(PatchOutcome.NotRequired, ElfVersionPatcher.Weaken(new byte[100], ElfVersionPatcher.TorchSharpVersion, ElfVersionPatcher.OnlyAllowedSymbol));
    }

    [Fact]
    public void Build_patched_the_output_copy_exactly_when_the_system_lacks_the_version_and_left_the_package_alone()
    {
        if (!OperatingSystem.IsLinux()) return;
        string? system = ElfVersionPatcher.FindSystemLibStdCxx();
        Assert.NotNull(system);
        bool systemHas = ElfVersionPatcher.LibraryDefinesVersion(system!, ElfVersionPatcher.TorchSharpVersion);
        Assert.Equal(!systemHas, ElfVersionPatcher.IsWeak(File.ReadAllBytes(OutputCopy()), ElfVersionPatcher.TorchSharpVersion));
        Assert.False(ElfVersionPatcher.IsWeak(File.ReadAllBytes(PackageCopy()), ElfVersionPatcher.TorchSharpVersion));
    }
}
