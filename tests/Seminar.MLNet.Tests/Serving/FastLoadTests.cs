using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using Onnx;
using Seminar.MLNet.Datasets.Canonical;
using Seminar.MLNet.Datasets.Converters;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Tests.PsuScoring;
using Seminar.MLNet.Tests.Support;
using Google.Protobuf;

namespace Seminar.MLNet.Tests.Serving;

/// <summary>
/// Issue 15, fast load: <c>ml.Seminar().LoadModel</c> gives back the saved chain with each SEMINAR stage as its C# transformer,
/// rebuilt from the graphs the zip holds, scoring as the fitted chain did (synthetic data with catalog vectors and side
/// features, and ml-100k, FastTree appended); what the loaded stages expose; saving a loaded chain; bad zips.
/// </summary>
public sealed class FastLoadTests
{
    const int D = 8, Heads = 2, TopK = 3;

    static readonly string[] FloatColumns = { "SeminarTarget", "SeminarInterest", "SeminarScore", "SeminarPqInterest", "SeminarPqScore" };
    static readonly string[] IndexColumns = { "SeminarHistoryItems", "SeminarHistoryQueryTokens", "SeminarHistoryLength", "SeminarTargetItem", "SeminarQueryTokens" };

    sealed record Fitted(MLContext Ml, TransformerChain<ITransformer> Model, DataViewSchema Schema, SequenceFeaturizerTransformer Featurizer,
        PsuEmbeddingTransformer Psu, PqAttentionTransformer Pq);

    /// <summary>Featurizer over the synthetic catalog (two vector modalities), random PSU weights whose head reads side features, PQ, FastTree.</summary>
    static Fitted FitSynthetic(int seed)
    {
        var ml = new MLContext(seed);
        var training = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(150, seed));
        var featurizer = PsuFixtures.Featurizer(ml, training);
        var featurized = featurizer.Transform(training);
        var psu = PsuEmbeddingTransformer.Create(ml, PsuFixtures.RandomSideWeights(featurizer.Vocabularies, D, Heads, TopK, seed + 1, 8),
            featurizer.Vocabularies, new PsuColumnOptions { SideFeaturesColumnName = "Side" }, featurized);
        var head = ml.Seminar().PqAttention(new PqAttentionOptions
            {
                SideFeaturesColumnName = "Side", Quantizer = new ProductQuantizerOptions { SubSpaces = 2, Centroids = 16, Iterations = 5 }, Seed = 1,
            })
            .Append(ml.Transforms.Concatenate("Features", "SeminarPqInterest", "SeminarPqScore", "SeminarScore"))
            .Append(ml.BinaryClassification.Trainers.FastTree(numberOfTrees: 10, minimumExampleCountPerLeaf: 2))
            .Fit(psu.Transform(featurized));
        return new Fitted(ml, new TransformerChain<ITransformer>(featurizer, psu, head), training.Schema, featurizer, psu, head.OfType<PqAttentionTransformer>().Single());
    }

    /// <summary>Fits the synthetic chain and saves it as <c>ctr.zip</c> in <paramref name="tmp"/>.</summary>
    static (Fitted Fitted, string Zip) FitAndSave(TempFolder tmp, int seed)
    {
        var f = FitSynthetic(seed);
        string zip = tmp.File("ctr.zip");
        f.Ml.Model.Save(f.Model, f.Schema, zip);
        return (f, zip);
    }

    static List<ITransformer> Stages(ITransformer model) =>
        model is TransformerChain<ITransformer> chain ? chain.SelectMany(Stages).ToList() : new List<ITransformer> { model };

    /// <summary>Largest absolute difference over every SEMINAR output and the trees' Score and Probability; index columns must be equal.</summary>
    static float MaxAbsDiff(IDataView expected, IDataView actual)
    {
        foreach (var c in IndexColumns)
        {
            var e = expected.GetColumn<long[]>(c).ToArray();
            var a = actual.GetColumn<long[]>(c).ToArray();
            Assert.Equal(e.Length, a.Length);
            for (int r = 0; r < e.Length; r++) Assert.True(e[r].SequenceEqual(a[r]), $"{c} row {r}");
        }
        float max = 0;
        int rows = 0;
        foreach (var c in FloatColumns)
        {
            var e = expected.GetColumn<float[]>(c).ToArray();
            var a = actual.GetColumn<float[]>(c).ToArray();
            Assert.Equal(e.Length, a.Length);
            rows = e.Length;
            for (int r = 0; r < e.Length; r++)
            {
                Assert.Equal(e[r].Length, a[r].Length);
                for (int j = 0; j < e[r].Length; j++) max = Math.Max(max, Math.Abs(e[r][j] - a[r][j]));
            }
        }
        foreach (var c in new[] { "Score", "Probability" })
        {
            var e = expected.GetColumn<float>(c).ToArray();
            var a = actual.GetColumn<float>(c).ToArray();
            Assert.Equal(e.Length, a.Length);
            for (int r = 0; r < e.Length; r++) max = Math.Max(max, Math.Abs(e[r] - a[r]));
        }
        Assert.True(rows > 0);
        return max;
    }

    [Fact]
    public void A_fast_loaded_synthetic_chain_has_the_CSharp_stages_and_scores_as_the_fitted_one()
    {
        using var tmp = new TempFolder();
        var (f, zip) = FitAndSave(tmp, 3);

        var loaded = new MLContext(9).Seminar().LoadModel(zip, out var schema);
        Assert.Equal(f.Schema.Select(c => (c.Name, c.Type)), schema.Select(c => (c.Name, c.Type)));
        var stages = Stages(loaded);
        Assert.Equal(5, stages.Count);
        Assert.IsType<SequenceFeaturizerTransformer>(stages[0]);
        Assert.IsType<PsuEmbeddingTransformer>(stages[1]);
        Assert.IsType<PqAttentionTransformer>(stages[2]);
        Assert.IsType<ColumnConcatenatingTransformer>(stages[3]);
        Assert.Contains("FastTree", stages[4].GetType().FullName);

        var rows = f.Ml.Data.LoadFromEnumerable(PsuFixtures.TestRows(200, 4));
        var fitted = f.Model.Transform(rows);
        Assert.True(fitted.GetColumn<float>("Score").Distinct().Count() > 1, "the trees must use the SEMINAR features");
        Assert.True(fitted.GetColumn<float[]>("SeminarScore").Select(s => s[0]).Distinct().Count() > 10, "the PSU's logit varies");
        Assert.True(MaxAbsDiff(fitted, loaded.Transform(rows)) <= 1e-5f);
        using (var stream = File.OpenRead(zip))
            Assert.True(MaxAbsDiff(fitted, new MLContext(9).Seminar().LoadModel(stream, out _).Transform(rows)) <= 1e-5f);
        // Against the stock-loaded zip (ONNX Runtime) only to 1e-4: the graphs round differently.
        Assert.True(MaxAbsDiff(fitted, new MLContext(9).Model.Load(zip, out _).Transform(rows)) <= 1e-4f);
        ((IDisposable)loaded).Dispose();
    }

    public sealed class Prediction
    {
        [VectorType(D)] public float[] SeminarInterest { get; set; } = new float[D];
        [VectorType(1)] public float[] SeminarScore { get; set; } = new float[1];
        [VectorType(D)] public float[] SeminarPqInterest { get; set; } = new float[D];
        [VectorType(1)] public float[] SeminarPqScore { get; set; } = new float[1];
        public float Score { get; set; }
    }

    static int[] Bits(Prediction p) => p.SeminarInterest.Concat(p.SeminarScore).Concat(p.SeminarPqInterest).Concat(p.SeminarPqScore).Append(p.Score)
        .Select(BitConverter.SingleToInt32Bits).ToArray();

    [Fact]
    public void A_prediction_engine_over_a_fast_loaded_chain_runs_the_CSharp_path_not_ONNX_Runtime()
    {
        using var tmp = new TempFolder();
        var (f, zip) = FitAndSave(tmp, 5);
        var ml = new MLContext(9);
        var loaded = ml.Seminar().LoadModel(zip, out _);
        var stages = Stages(loaded);
        var schema = f.Schema;
        foreach (var stage in stages.Take(3))
        {
            Assert.IsType<AppendingRowMapper>(stage.GetRowToRowMapper(schema));
            schema = stage.GetOutputSchema(schema);
        }

        // The C# transformers keep the stock-loaded OnnxTransformers only to save: with their sessions released the engine
        // still scores, and to the bit what the fitted chain's C# path gives (ONNX Runtime's floats differ in some bit).
        foreach (var s in stages.Take(3)) ((IDisposable)s).Dispose();
        var rows = PsuFixtures.TestRows(150, 6);
        using var fast = ml.Model.CreatePredictionEngine<PsuTextRow, Prediction>(loaded);
        using var fitted = f.Ml.Model.CreatePredictionEngine<PsuTextRow, Prediction>(f.Model);
        using var stock = ml.Model.CreatePredictionEngine<PsuTextRow, Prediction>(new MLContext(9).Model.Load(zip, out _));
        int differing = 0;
        foreach (var row in rows)
        {
            var expected = Bits(fitted.Predict(row));
            Assert.Equal(expected, Bits(fast.Predict(row)));
            if (!expected.SequenceEqual(Bits(stock.Predict(row)))) differing++;
        }
        Assert.True(differing > 0, "the stock-loaded graphs must differ in some bit, else equal bits prove no path");
    }

    [Fact]
    public void A_ranker_over_a_fast_loaded_chain_gives_the_fitted_chains_scores()
    {
        // The ranker tests' chain: FastTree over the PQ outputs and a per-candidate price.
        var (ml, model, schema) = SeminarRankerTests.Fit(19);
        using var tmp = new TempFolder();
        ml.Model.Save(model, schema, tmp.File("ranker.zip"));
        var loaded = new MLContext(9).Seminar().LoadModel(tmp.File("ranker.zip"), out var loadedSchema);
        var test = SeminarRankerTests.Rows(80, 20);
        var user = test.OrderByDescending(r => r.HistoryItems.Length).First();
        Assert.True(user.HistoryItems.Length > TopK, "a history longer than K, so retrieval chooses");
        var request = SeminarRankerTests.Request(user, test.Take(50).ToArray());
        using var fitted = new SeminarRanker(model, schema);
        using var fast = new SeminarRanker(loaded, loadedSchema);
        var expected = fitted.Rank(request);
        Assert.True(expected.Distinct().Count() > 5, "candidates score differently");
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), fast.Rank(request).Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Loaded_stages_expose_the_fitted_vocabularies_tables_and_codebooks_and_a_PSU_has_no_raw_weights()
    {
        using var tmp = new TempFolder();
        var (f, zip) = FitAndSave(tmp, 7);
        var stages = Stages(new MLContext(9).Seminar().LoadModel(zip, out _));
        var featurizer = (SequenceFeaturizerTransformer)stages[0];
        var psu = (PsuEmbeddingTransformer)stages[1];
        var pq = (PqAttentionTransformer)stages[2];

        var (ev, av) = (f.Featurizer.Vocabularies, featurizer.Vocabularies);
        Assert.Equal(ev.Items.Entries, av.Items.Entries);
        Assert.Equal(ev.Tokens.Entries, av.Tokens.Entries);
        Assert.Equal(ev.TokenForms.Forms, av.TokenForms.Forms);
        Assert.Equal(ev.Attributes.Entries, av.Attributes.Entries);
        Assert.Equal((ev.CatalogItems, ev.MaxHistory, ev.MaxQueryTokens, ev.ItemsOutsideCatalog, ev.RowsScanned),
            (av.CatalogItems, av.MaxHistory, av.MaxQueryTokens, av.ItemsOutsideCatalog, av.RowsScanned));
        Assert.Equal(new[] { ("Image", 3), ("TextVector", 5) }, av.Content.Modalities.Select(m => (m.Name, m.Dimension)));
        Assert.Same(av, psu.Vocabularies);

        // The public tables equal the fitted ones, value for value (the PQ stage's graph carries its own copy of the PSU's).
        foreach (var (e, a) in new[] { (f.Psu.ScoringTables, psu.ScoringTables), (f.Pq.PsuScoringTables, pq.PsuScoringTables), (f.Psu.ScoringTables, pq.PsuScoringTables) })
        {
            Assert.Equal((e.Dimension, e.Heads, e.TopK, e.QueryTokens, e.QueryWeight), (a.Dimension, a.Heads, a.TopK, a.QueryTokens, a.QueryWeight));
            Assert.Equal(e.ModalityNames, a.ModalityNames);
            foreach (var (name, x, y) in new[]
                     {
                         ("items", e.ItemTable, a.ItemTable), ("query tokens", e.QueryTokenTable, a.QueryTokenTable), ("folded", e.FoldedAttention, a.FoldedAttention),
                         ("value", e.AttentionValue, a.AttentionValue), ("empty", e.EmptyInterest, a.EmptyInterest), ("side mean", e.SideMean, a.SideMean),
                         ("side scale", e.SideScale, a.SideScale),
                     })
                Assert.True(x.Span.SequenceEqual(y.Span), name);
            Assert.Equal(e.AttentionOutput.Weight, a.AttentionOutput.Weight);
            Assert.Equal(e.AttentionOutput.Bias, a.AttentionOutput.Bias);
            Assert.Equal(e.Head.Count, a.Head.Count);
            Assert.Equal(e.Head.SelectMany(l => l.Weight.Concat(l.Bias)), a.Head.SelectMany(l => l.Weight.Concat(l.Bias)));
        }
        var tables = psu.ScoringTables;
        Assert.Equal(new[] { "id", "title", "attributes", "Image", "TextVector" }, tables.ModalityNames);
        Assert.Equal(4, tables.SideMean.Length);
        Assert.Equal(av.Items.Size * D, tables.ItemTable.Length);
        Assert.Equal(av.Tokens.Size * D, tables.QueryTokenTable.Length);
        Assert.Equal(f.Psu.Weights.SideScale, tables.SideScale.ToArray());
        Assert.Equal(f.Psu.Weights.EmptyInterest, tables.EmptyInterest.ToArray());
        Assert.Equal("SeminarInterest", psu.Columns.OutputInterestColumnName);
        Assert.Equal("Side", psu.Columns.SideFeaturesColumnName);
        var raw = Assert.Throws<InvalidOperationException>(() => psu.Weights);
        Assert.Contains("loaded from a saved model (LoadModel)", raw.Message);
        Assert.Contains("not the raw per-modality embeddings", raw.Message);

        Assert.Equal(f.Pq.TopK, pq.TopK);
        Assert.Equal(f.Pq.Shortlist, pq.Shortlist);
        Assert.Equal(new[] { "catalog" }, pq.Codebooks.Select(c => c.Name));
        Assert.Equal((2, 16, D / 2), (pq.Codebooks[0].SubSpaces, pq.Codebooks[0].Centroids, pq.Codebooks[0].SubDimension));
        Assert.Equal(f.Pq.Codebooks.Select(c => (c.Name, c.SubSpaces, c.Centroids, c.SubDimension)), pq.Codebooks.Select(c => (c.Name, c.SubSpaces, c.Centroids, c.SubDimension)));
        for (int m = 0; m < pq.Codebooks.Count; m++) Assert.True(f.Pq.Codebooks[m].Values.Span.SequenceEqual(pq.Codebooks[m].Values.Span), pq.Codebooks[m].Name);
        Assert.True(f.Pq.ItemCodes.Span.SequenceEqual(pq.ItemCodes.Span));
        Assert.Equal(av.Items.Size * 2, pq.ItemCodes.Length); // M = 2 codes per item, unpacked
        Assert.All(pq.ItemCodes.ToArray(), c => Assert.InRange(c, 0, 15));
        Assert.Contains(pq.ItemCodes.ToArray(), c => c > 0);
        Assert.Equal(("SeminarPqInterest", "SeminarPqScore", "Side"), (pq.Options.OutputPqInterestColumnName, pq.Options.OutputPqScoreColumnName, pq.Options.SideFeaturesColumnName));
    }

    [Fact]
    public void PqAttention_fitted_on_a_loaded_PSU_encodes_the_catalog_as_on_the_fitted_PSU()
    {
        // The 4-bit codes need only the PSU's fused item table, which a saved graph holds: the same seed gives the same codes.
        var f = FitSynthetic(11);
        using var tmp = new TempFolder();
        f.Ml.Model.Save(new TransformerChain<ITransformer>(f.Featurizer, f.Psu), f.Schema, tmp.File("psu.zip"));
        var ml = new MLContext(9);
        var loaded = ml.Seminar().LoadModel(tmp.File("psu.zip"), out _);
        var scored = loaded.Transform(ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(60, 12)));
        using var refitted = ml.Seminar().PqAttention(new PqAttentionOptions
        {
            SideFeaturesColumnName = "Side", Quantizer = new ProductQuantizerOptions { SubSpaces = 2, Centroids = 16, Iterations = 5 }, Seed = 1,
        }).Fit(scored);
        Assert.True(f.Pq.ItemCodes.Span.SequenceEqual(refitted.ItemCodes.Span));
        Assert.True(f.Pq.Codebooks[0].Values.Span.SequenceEqual(refitted.Codebooks[0].Values.Span));

        // Nor can a PSU be built from weights over loaded vocabularies: the catalog content is not in the zip.
        var vocabularies = ((SequenceFeaturizerTransformer)Stages(loaded)[0]).Vocabularies;
        var content = Assert.Throws<ArgumentException>(() => PsuEmbeddingTransformer.Create(ml, f.Psu.Weights, vocabularies, new PsuColumnOptions(), scored));
        Assert.Contains("loaded from a saved featurizer graph (LoadModel)", content.Message);
    }

    [Fact]
    public void A_saved_fast_loaded_chain_loads_again_stock_and_fast_with_the_same_results()
    {
        var f = FitSynthetic(13);
        using var tmp = new TempFolder();
        f.Ml.Model.Save(f.Model, f.Schema, tmp.File("first.zip"));
        var ml = new MLContext(9);
        var loaded = ml.Seminar().LoadModel(tmp.File("first.zip"), out var schema);
        ml.Model.Save(loaded, schema, tmp.File("second.zip"));

        var rows = ml.Data.LoadFromEnumerable(PsuFixtures.TestRows(150, 14));
        var fitted = f.Model.Transform(rows);
        Assert.Equal(0f, MaxAbsDiff(loaded.Transform(rows), ml.Seminar().LoadModel(tmp.File("second.zip"), out _).Transform(rows)));
        Assert.True(MaxAbsDiff(fitted, ml.Seminar().LoadModel(tmp.File("second.zip"), out _).Transform(rows)) <= 1e-5f);
        Assert.Equal(0f, MaxAbsDiff(new MLContext(9).Model.Load(tmp.File("first.zip"), out _).Transform(rows),
            new MLContext(9).Model.Load(tmp.File("second.zip"), out _).Transform(rows)));
        // The same graphs went back in: the SEMINAR entries hold the same bytes.
        using var first = ZipFile.OpenRead(tmp.File("first.zip"));
        using var second = ZipFile.OpenRead(tmp.File("second.zip"));
        foreach (var name in new[] { "TransformerChain/Transform_000/OnnxModel", "TransformerChain/Transform_001/OnnxModel", "TransformerChain/Transform_002/Transform_000/OnnxModel" })
            Assert.Equal(Read(first.GetEntry(name)!), Read(second.GetEntry(name)!));
    }

    static byte[] Read(ZipArchiveEntry entry)
    {
        using var s = entry.Open();
        var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    /// <summary>A copy of <paramref name="zip"/> with one entry's bytes replaced.</summary>
    static string Rewrite(TempFolder tmp, string zip, string entry, Func<byte[], byte[]> change, string name)
    {
        string copy = tmp.File(name);
        File.Copy(zip, copy);
        using var archive = ZipFile.Open(copy, ZipArchiveMode.Update);
        var old = archive.GetEntry(entry)!;
        var bytes = change(Read(old));
        old.Delete();
        using var s = archive.CreateEntry(entry).Open();
        s.Write(bytes);
        return copy;
    }

    static byte[] WithGraph(byte[] stream, Func<byte[], byte[]> change)
    {
        var graph = change(stream[4..]);
        return BitConverter.GetBytes(graph.Length).Concat(graph).ToArray();
    }

    [Fact]
    public void Bad_zips_fail_with_the_stage_and_the_file_named()
    {
        using var tmp = new TempFolder();
        var (f, zip) = FitAndSave(tmp, 17);
        var ml = new MLContext(9);
        const string PsuEntry = "TransformerChain/Transform_001/OnnxModel";

        // A graph of a later format.
        string future = Rewrite(tmp, zip, PsuEntry, s => WithGraph(s, g =>
        {
            var model = ModelProto.Parser.ParseFrom(g);
            SavedGraphs.Mark(model, "psu", "2", SavedGraphs.Metadata(model, SavedGraphs.ConfigKey)!);
            return model.ToByteArray();
        }), "future.zip");
        var version = Assert.Throws<InvalidOperationException>(() => ml.Seminar().LoadModel(future, out _));
        Assert.Contains("stage 2 (psu)", version.Message);
        Assert.Contains(future, version.Message);
        Assert.Contains("seminar.format_version is '2'", version.Message);
        Assert.Contains("reads format 1", version.Message);

        // A zip saved with the earlier PQ attention (format 1: per-modality and query codebooks) names the PQ stage.
        const string PqEntry = "TransformerChain/Transform_002/Transform_000/OnnxModel";
        string oldPq = Rewrite(tmp, zip, PqEntry, s => WithGraph(s, g =>
        {
            var model = ModelProto.Parser.ParseFrom(g);
            Assert.Equal("2", SavedGraphs.Metadata(model, SavedGraphs.FormatVersionKey));
            SavedGraphs.Mark(model, "pq", "1", SavedGraphs.Metadata(model, SavedGraphs.ConfigKey)!);
            return model.ToByteArray();
        }), "old-pq.zip");
        var oldPqError = Assert.Throws<InvalidOperationException>(() => ml.Seminar().LoadModel(oldPq, out _));
        Assert.Contains("(pq)", oldPqError.Message);
        Assert.Contains(oldPq, oldPqError.Message);
        Assert.Contains("seminar.format_version is '1'", oldPqError.Message);
        Assert.Contains("reads format 2", oldPqError.Message);
        Assert.Contains("refit PqAttention", oldPqError.Message);

        // A graph cut in half (its length prefix kept, or made to match).
        string cut = Rewrite(tmp, zip, PsuEntry, s => s[..(s.Length / 2)], "cut.zip");
        var cutError = Assert.Throws<InvalidDataException>(() => ml.Seminar().LoadModel(cut, out _));
        Assert.Contains("stage 2", cutError.Message);
        Assert.Contains(cut, cutError.Message);
        Assert.Contains("truncated or corrupted", cutError.Message);
        string garbled = Rewrite(tmp, zip, PsuEntry, s => WithGraph(s, g => g[..(g.Length / 2)]), "garbled.zip");
        var garbledError = Assert.Throws<InvalidDataException>(() => ml.Seminar().LoadModel(garbled, out _));
        Assert.Contains("stage 2", garbledError.Message);
        Assert.Contains(garbled, garbledError.Message);
        Assert.Contains("corrupted", garbledError.Message);

        // A graph that parses but lacks a table the C# scorer reads.
        string missing = Rewrite(tmp, zip, PsuEntry, s => WithGraph(s, g =>
        {
            var model = ModelProto.Parser.ParseFrom(g);
            model.Graph.Initializer.Remove(model.Graph.Initializer.Single(i => i.Name == "psu_empty_interest"));
            return model.ToByteArray();
        }), "missing.zip");
        var missingError = Assert.ThrowsAny<Exception>(() => ml.Seminar().LoadModel(missing, out _));
        Assert.IsType<InvalidDataException>(missingError);
        Assert.Contains(missing, missingError.Message);

        // The zip itself cut short inside the PSU's graph.
        var bytes = File.ReadAllBytes(zip);
        int at = IndexOf(bytes, System.Text.Encoding.UTF8.GetBytes(PsuEntry));
        string truncated = tmp.File("truncated.zip");
        File.WriteAllBytes(truncated, bytes[..(at + PsuEntry.Length + 200)]);
        var truncatedError = Assert.Throws<InvalidDataException>(() => ml.Seminar().LoadModel(truncated, out _));
        Assert.Contains(truncated, truncatedError.Message);
        Assert.Contains($"truncated: it ends inside '{PsuEntry}', the graph of stage 2", truncatedError.Message);
        using var stream = File.OpenRead(truncated);
        Assert.Contains("the model stream", Assert.Throws<InvalidDataException>(() => ml.Seminar().LoadModel(stream, out _)).Message);
    }

    static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }

    [Fact]
    public void Ml100k_fast_loaded_chain_scores_the_test_rows_as_the_fitted_one()
    {
        using var tmp = new TempFolder();
        new RecBoleConverter().Convert(RepositoryPaths.Dataset("ml-100k"), tmp.File("data"), new DataIssues());
        var ml = new MLContext(1);
        var dataset = CanonicalDataset.Open(tmp.File("data"));
        var split = SampleBuilder.Build(EventLog.Load(dataset), new EvaluationOptions());
        var train = ml.Data.TakeRows(new SampleDataView(split.Train), 3000);
        var test = ml.Data.TakeRows(new SampleDataView(split.Test), 400);
        var featurizer = ml.Seminar().FeaturizeSequences(new CatalogDataView(dataset, new DataIssues()), new SequenceFeaturizerOptions { MaxHistory = 200 }).Fit(train);
        var featurized = featurizer.Transform(train);
        var psu = PsuEmbeddingTransformer.Create(ml, PsuFixtures.RandomWeights(featurizer.Vocabularies, D, Heads, 20, 2, 8), featurizer.Vocabularies, new PsuColumnOptions(), featurized);
        var head = ml.Seminar().PqAttention(new PqAttentionOptions { Quantizer = new ProductQuantizerOptions { SubSpaces = 2, Centroids = 16, Iterations = 5 }, Seed = 1 })
            .Append(ml.Transforms.Concatenate("Features", "SeminarPqInterest", "SeminarPqScore", "SeminarScore"))
            .Append(ml.BinaryClassification.Trainers.FastTree(numberOfTrees: 20))
            .Fit(psu.Transform(featurized));
        var model = new TransformerChain<ITransformer>(featurizer, psu, head);
        ml.Model.Save(model, train.Schema, tmp.File("ml100k.zip"));

        var loaded = new MLContext(2).Seminar().LoadModel(tmp.File("ml100k.zip"), out _);
        Assert.Equal(featurizer.Vocabularies.Items.Entries, ((SequenceFeaturizerTransformer)Stages(loaded)[0]).Vocabularies.Items.Entries);
        var fitted = model.Transform(test);
        Assert.True(fitted.GetColumn<long[]>("SeminarHistoryItems").Max(h => h.Length) > 20, "histories longer than K, so retrieval chooses");
        Assert.True(MaxAbsDiff(fitted, loaded.Transform(test)) <= 1e-5f);
    }
}
