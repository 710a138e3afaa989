using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.Packaging;

/// <summary>
/// The packages as a user meets them: packed into a local folder, restored by a project outside the repository (its own
/// nuget.config; everything else comes from the machine's global packages folder, so no network is needed), built and
/// run. Each run packs under its own prerelease version, so the global packages folder never serves an older build of
/// ours, and removes that version from it afterwards.
/// </summary>
[Trait("Category", "Slow")]
[Collection(PackagingCollection.Name)]
public class PackageConsumerTests
{
    static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(10);

    [Fact]
    public void Packages_restore_into_a_consumer_that_fits_featurizer_PSU_PQ_FastTree_saves_loads_and_predicts_the_same()
    {
        using var tmp = new TempFolder();
        string version = UniqueVersion();
        string feed = tmp.File("feed");
        try
        {
            foreach (string project in new[] { "src/Seminar.MLNet/Seminar.MLNet.csproj", "src/Seminar.MLNet.Training/Seminar.MLNet.Training.csproj" })
                Succeed(DotnetCli.Run(RepositoryPaths.Root, StepTimeout, "pack", project, "-c", DotnetCli.Configuration, "--no-build",
                    "-o", feed, $"-p:PackageVersion={version}"), "pack " + project);
            AssertPackageContents(Path.Combine(feed, $"Seminar.MLNet.{version}.nupkg"), "lib/net10.0/Seminar.MLNet.dll", "lib/net10.0/Seminar.MLNet.xml", "README.md");
            AssertPackageContents(Path.Combine(feed, $"Seminar.MLNet.Training.{version}.nupkg"), "lib/net10.0/Seminar.MLNet.Training.dll",
                "lib/net10.0/Seminar.MLNet.Training.xml", "README.md", "buildTransitive/Seminar.MLNet.Training.targets",
                "buildTransitive/WeakenTorchSharpGlibcxxRequirement.cs");
            Assert.True(File.Exists(Path.Combine(feed, $"Seminar.MLNet.{version}.snupkg")), "the scoring package's symbols");
            Assert.True(File.Exists(Path.Combine(feed, $"Seminar.MLNet.Training.{version}.snupkg")), "the training package's symbols");

            string consumer = tmp.File("consumer");
            Directory.CreateDirectory(consumer);
            File.WriteAllText(Path.Combine(consumer, "nuget.config"), NugetConfig(feed));
            File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), ConsumerProject(version));
            File.WriteAllText(Path.Combine(consumer, "Program.cs"), ConsumerProgram);
            Succeed(DotnetCli.Run(consumer, StepTimeout, "build", "-c", "Release"), "build the consumer");
            var (code, output) = DotnetCli.Run(consumer, StepTimeout, "run", "-c", "Release", "--no-build");
            Succeed((code, output), "run the consumer");

            // The program prints the fitted and the loaded model's probability for one request and how many distinct
            // scores the test rows got; the load must not change a prediction, and the trees must use the features.
            var m = Regex.Match(output, @"fitted=(\S+) loaded=(\S+) distinct=(\d+)");
            Assert.True(m.Success, output);
            float fitted = float.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            float loaded = float.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            Assert.True(float.IsFinite(fitted) && fitted is > 0 and < 1, $"fitted probability {fitted}");
            Assert.Equal(fitted, loaded, 1e-5);
            Assert.True(int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) > 1, "the trees must give the test rows different scores: " + output);
        }
        finally
        {
            RemoveFromGlobalPackages(version, "seminar.mlnet", "seminar.mlnet.training");
        }
    }

    [Fact]
    public void Command_line_tool_installs_from_the_local_folder_and_the_seminar_command_prints_its_help()
    {
        using var tmp = new TempFolder();
        string version = UniqueVersion();
        string feed = tmp.File("feed");
        // The tool ships one package per platform; packing only this machine's keeps the test to one libtorch copy.
        string rid = RuntimeInformation.RuntimeIdentifier;
        try
        {
            Succeed(DotnetCli.Run(RepositoryPaths.Root, StepTimeout, "pack", "samples/Seminar.Cli/Seminar.Cli.csproj", "-c", DotnetCli.Configuration,
                "--no-restore", "-o", feed, $"-p:PackageVersion={version}", $"-p:ToolPackageRuntimeIdentifiers={rid}"), "pack the tool");
            Assert.True(File.Exists(Path.Combine(feed, $"Seminar.MLNet.Cli.{version}.nupkg")), "the tool's pointer package");
            Assert.True(File.Exists(Path.Combine(feed, $"Seminar.MLNet.Cli.{rid}.{version}.nupkg")), $"the tool's {rid} package");

            File.WriteAllText(tmp.File("nuget.config"), NugetConfig(feed));
            string tools = tmp.File("tools");
            Succeed(DotnetCli.Run(tmp.Path, StepTimeout, "tool", "install", "Seminar.MLNet.Cli", "--version", version,
                "--tool-path", tools, "--configfile", tmp.File("nuget.config")), "install the tool");

            var (code, output) = DotnetCli.RunProgram(Path.Combine(tools, "seminar"), tmp.Path, StepTimeout, "--help");
            Assert.True(code == 0, output);
            Assert.Contains("seminar [command] [options]", output);
            foreach (string command in new[] { "demo", "evaluate", "convert", "generate", "bench" })
                Assert.Matches(new Regex(@"^\s+" + command + @"\b", RegexOptions.Multiline), output);
        }
        finally
        {
            RemoveFromGlobalPackages(version, "seminar.mlnet.cli", $"seminar.mlnet.cli.{rid}");
        }
    }

    static string UniqueVersion() => $"0.0.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Guid.NewGuid().ToString("N")[..8]}";

    static void Succeed((int ExitCode, string Output) run, string what) =>
        Assert.True(run.ExitCode == 0, $"{what} failed (exit {run.ExitCode}):\n{run.Output}");

    static void AssertPackageContents(string nupkg, params string[] entries)
    {
        Assert.True(File.Exists(nupkg), nupkg);
        using var zip = System.IO.Compression.ZipFile.OpenRead(nupkg);
        var names = zip.Entries.Select(e => e.FullName).ToHashSet();
        foreach (string e in entries) Assert.True(names.Contains(e), $"{Path.GetFileName(nupkg)} lacks {e}: {string.Join(", ", names)}");
        string nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec")).Open()).ReadToEnd();
        Assert.Contains("<license type=\"expression\">MIT</license>", nuspec);
        Assert.Contains("<readme>README.md</readme>", nuspec);
        Assert.Contains("<repository type=\"git\"", nuspec);
        Assert.Matches("<description>[^<]{40,}</description>", nuspec);
    }

    /// <summary>Our packages only from the local folder; the rest from nuget.org, which restore never has to ask when
    /// the global packages folder already holds the exact versions (the repository's own build put them there).</summary>
    static string NugetConfig(string feed) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <clear />
            <add key="local" value="{feed}" />
            <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
          </packageSources>
          <packageSourceMapping>
            <packageSource key="local"><package pattern="Seminar.MLNet*" /></packageSource>
            <packageSource key="nuget.org"><package pattern="*" /></packageSource>
          </packageSourceMapping>
        </configuration>
        """;

    static string ConsumerProject(string version) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Seminar.MLNet.Training" Version="{version}" />
            <PackageReference Include="Microsoft.ML.FastTree" Version="{CentralVersion("Microsoft.ML.FastTree")}" />
          </ItemGroup>
        </Project>
        """;

    /// <summary>The version the repository pins, so the consumer restores what the build already cached.</summary>
    static string CentralVersion(string package)
    {
        string props = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "Directory.Packages.props"));
        var m = Regex.Match(props, $"<PackageVersion Include=\"{Regex.Escape(package)}\" Version=\"([^\"]+)\"");
        Assert.True(m.Success, $"{package} not pinned in Directory.Packages.props");
        return m.Groups[1].Value;
    }

    static void RemoveFromGlobalPackages(string version, params string[] ids)
    {
        string root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (string id in ids)
        {
            string folder = Path.Combine(root, id, version.ToLowerInvariant());
            try { if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// A small app written against the packages only: synthetic catalog and rows built in memory (the datasets library
    /// is not packed), the README's pipeline at toy sizes with one libtorch thread, then the zip saved, loaded with a
    /// fresh MLContext and asked for the same prediction.
    /// </summary>
    const string ConsumerProgram = """
        using System.Globalization;
        using Microsoft.ML;
        using Microsoft.ML.Data;
        using Seminar.MLNet;

        var ml = new MLContext(seed: 1);
        var rng = new Random(5);
        string[] words = { "red", "blue", "shoe", "hat", "coat", "boot" };
        var catalog = Enumerable.Range(0, 30).Select(i => new CatalogRow
        {
            ItemId = "i" + i,
            Title = words[i % words.Length] + " " + words[(i / 6) % words.Length],
            Attributes = "cat_" + (i % 3),
            Image = new[] { (float)Math.Sin(i), (float)Math.Cos(i), (i % 3) - 1f },
        }).ToList();
        // Users favour one category; the label says whether the target is of it.
        Row MakeRow()
        {
            int taste = rng.Next(3);
            string Item(bool liked) => "i" + (liked ? taste + 3 * rng.Next(10) : rng.Next(30));
            var items = Enumerable.Range(0, rng.Next(2, 15)).Select(_ => Item(rng.Next(4) != 0)).ToArray();
            bool label = rng.Next(2) == 0;
            string target = label ? Item(true) : "i" + ((taste + 1 + rng.Next(2)) % 3 + 3 * rng.Next(10));
            return new Row
            {
                HistoryItems = items,
                HistoryQueries = items.Select(_ => rng.Next(3) == 0 ? words[rng.Next(words.Length)] : "").ToArray(),
                TargetItem = target, Query = "", Label = label,
            };
        }
        var train = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 240).Select(_ => MakeRow()).ToList());
        var testRows = Enumerable.Range(0, 40).Select(_ => MakeRow()).ToList();

        var pipeline = ml.Seminar().FeaturizeSequences(ml.Data.LoadFromEnumerable(catalog))
            .Append(ml.Seminar().PsuEmbedding(new PsuEmbeddingOptions
            {
                LabelColumnName = null, Dimension = 8, Heads = 1, TopK = 4, HeadLayers = new[] { 8 }, Threads = 1,
            }))
            .Append(ml.Seminar().PqAttention(new PqAttentionOptions { Quantizer = new ProductQuantizerOptions { SubSpaces = 2, Centroids = 16 } }))
            .Append(ml.Transforms.Concatenate("Features", "SeminarPqInterest", "SeminarPqScore"))
            .Append(ml.BinaryClassification.Trainers.FastTree(numberOfTrees: 10, minimumExampleCountPerLeaf: 2));
        var model = pipeline.Fit(train);

        string zip = Path.Combine(AppContext.BaseDirectory, "ctr.zip");
        ml.Model.Save(model, train.Schema, zip);
        var loaded = new MLContext(seed: 2).Model.Load(zip, out _);

        var request = testRows[0];
        var fitted = ml.Model.CreatePredictionEngine<Row, Prediction>(model).Predict(request);
        var fromZip = ml.Model.CreatePredictionEngine<Row, Prediction>(loaded).Predict(request);
        int distinct = loaded.Transform(ml.Data.LoadFromEnumerable(testRows)).GetColumn<float>("Score").Distinct().Count();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fitted={fitted.Probability:R} loaded={fromZip.Probability:R} distinct={distinct}"));

        public sealed class CatalogRow
        {
            public string ItemId { get; set; } = "";
            public string Title { get; set; } = "";
            public string Attributes { get; set; } = "";
            [VectorType(3)] public float[] Image { get; set; } = new float[3];
        }

        public sealed class Row
        {
            public string[] HistoryItems { get; set; } = Array.Empty<string>();
            public string[] HistoryQueries { get; set; } = Array.Empty<string>();
            public string TargetItem { get; set; } = "";
            public string Query { get; set; } = "";
            public bool Label { get; set; }
        }

        public sealed class Prediction
        {
            public float Score { get; set; }
            public float Probability { get; set; }
        }
        """;
}

/// <summary>
/// The packaging tests run MSBuild over the same projects, so they take turns; beside other test classes they run in
/// parallel as usual (they mostly wait on their child processes).
/// </summary>
[CollectionDefinition(Name)]
public sealed class PackagingCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Packaging";
}
