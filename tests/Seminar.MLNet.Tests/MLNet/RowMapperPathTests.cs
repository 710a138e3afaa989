using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.PsuScoring;
using Seminar.MLNet.Quantization;
using Seminar.MLNet.Tests.PsuScoring;
using Seminar.MLNet.Tests.Support;

namespace Seminar.MLNet.Tests.MLNet;

/// <summary>
/// Issue 15, C# row mapping: a prediction engine over a fitted featurizer, PSU, PQ and FastTree chain maps rows with the
/// C# computations <c>Transform</c> runs (same bits, ONNX Runtime never called), one engine per thread included. The
/// stock-loaded zip runs the graphs and agrees to 1e-4 (the PSU-only chains: <see cref="ScalarPredictionTests"/>,
/// <see cref="PsuHistoryLengthPathTests"/>).
/// </summary>
public sealed class RowMapperPathTests
{
    const int D = 8, Heads = 2, TopK = 3, T = PsuFixtures.QueryTokens;

    public sealed class Prediction
    {
        public long[] SeminarHistoryItems { get; set; } = Array.Empty<long>();
        public long[] SeminarHistoryQueryTokens { get; set; } = Array.Empty<long>();
        [VectorType(1)] public long[] SeminarHistoryLength { get; set; } = new long[1];
        [VectorType(1)] public long[] SeminarTargetItem { get; set; } = new long[1];
        [VectorType(T)] public long[] SeminarQueryTokens { get; set; } = new long[T];
        [VectorType(D)] public float[] SeminarTarget { get; set; } = new float[D];
        [VectorType(D)] public float[] SeminarInterest { get; set; } = new float[D];
        [VectorType(1)] public float[] SeminarScore { get; set; } = new float[1];
        [VectorType(D)] public float[] SeminarPqInterest { get; set; } = new float[D];
        [VectorType(1)] public float[] SeminarPqScore { get; set; } = new float[1];
        public float Score { get; set; }
        public float Probability { get; set; }
    }

    static readonly string[] IndexColumns = { "SeminarHistoryItems", "SeminarHistoryQueryTokens", "SeminarHistoryLength", "SeminarTargetItem", "SeminarQueryTokens" };
    static readonly string[] VectorColumns = { "SeminarTarget", "SeminarInterest", "SeminarScore", "SeminarPqInterest", "SeminarPqScore" };
    static readonly string[] ScalarColumns = { "Score", "Probability" };

    /// <summary>One row's outputs: the index vectors; the float vectors, then the scalars as one-value vectors.</summary>
    sealed record Outputs(long[][] Indices, float[][] Floats);

    sealed class Chain : IDisposable
    {
        public required MLContext Ml { get; init; }
        public required TransformerChain<ITransformer> Model { get; init; }
        public required SequenceFeaturizerTransformer Featurizer { get; init; }
        public required PsuEmbeddingTransformer Psu { get; init; }
        public required PqAttentionTransformer Pq { get; init; }
        public required IDataView Training { get; init; }

        public void Dispose()
        {
            Featurizer.Dispose();
            Psu.Dispose();
            Pq.Dispose();
        }
    }

    /// <summary>Random PSU weights (no training), PQ with lossy codes, and a small FastTree over the PQ outputs.</summary>
    static Chain Fit(int seed)
    {
        var ml = new MLContext(seed);
        var training = ml.Data.LoadFromEnumerable(PsuFixtures.TrainingRows(120, seed));
        var featurizer = PsuFixtures.Featurizer(ml, training);
        var v = featurizer.Vocabularies;
        var featurized = featurizer.Transform(training);
        var psu = PsuEmbeddingTransformer.Create(ml, PsuFixtures.RandomWeights(v, D, Heads, TopK, seed + 1, 8), v, new PsuColumnOptions(), featurized);
        var head = ml.Seminar().PqAttention(new PqAttentionOptions { Quantizer = new ProductQuantizerOptions { SubSpaces = 2, Centroids = 16, Iterations = 5 }, Seed = 1 })
            .Append(ml.Transforms.Concatenate("Features", "SeminarPqInterest", "SeminarPqScore"))
            .Append(ml.BinaryClassification.Trainers.FastTree(numberOfTrees: 10, minimumExampleCountPerLeaf: 2))
            .Fit(psu.Transform(featurized));
        return new Chain
        {
            Ml = ml, Featurizer = featurizer, Psu = psu, Pq = head.OfType<PqAttentionTransformer>().Single(), Training = training,
            Model = new TransformerChain<ITransformer>(featurizer, psu, head),
        };
    }

    static List<Outputs> ReadTransform(IDataView data)
    {
        var indices = IndexColumns.Select(c => data.GetColumn<long[]>(c).ToArray()).ToArray();
        var floats = VectorColumns.Select(c => data.GetColumn<float[]>(c).ToArray())
            .Concat(ScalarColumns.Select(c => data.GetColumn<float>(c).Select(x => new[] { x }).ToArray())).ToArray();
        return Enumerable.Range(0, indices[0].Length)
            .Select(r => new Outputs(indices.Select(c => c[r]).ToArray(), floats.Select(c => c[r]).ToArray())).ToList();
    }

    static Outputs Read(Prediction p) => new(
        new[] { p.SeminarHistoryItems, p.SeminarHistoryQueryTokens, p.SeminarHistoryLength, p.SeminarTargetItem, p.SeminarQueryTokens },
        new[] { p.SeminarTarget, p.SeminarInterest, p.SeminarScore, p.SeminarPqInterest, p.SeminarPqScore, new[] { p.Score }, new[] { p.Probability } });

    static string Name(int floatColumn) => VectorColumns.Concat(ScalarColumns).ElementAt(floatColumn);

    /// <summary>Same index vectors, and every float with the same bits.</summary>
    static void AssertIdentical(Outputs expected, Outputs actual, string what)
    {
        for (int c = 0; c < IndexColumns.Length; c++)
            Assert.True(expected.Indices[c].SequenceEqual(actual.Indices[c]), $"{what}: {IndexColumns[c]}");
        for (int c = 0; c < expected.Floats.Length; c++)
            Assert.True(expected.Floats[c].Select(BitConverter.SingleToInt32Bits).SequenceEqual(actual.Floats[c].Select(BitConverter.SingleToInt32Bits)),
                $"{what}: {Name(c)} [{string.Join(", ", expected.Floats[c])}] vs [{string.Join(", ", actual.Floats[c])}]");
    }

    [Fact]
    public void A_prediction_engine_over_the_fitted_chain_gives_the_bits_of_Transform_without_ONNX_Runtime()
    {
        using var chain = Fit(3);
        var ml = chain.Ml;
        var rows = PsuFixtures.TestRows(200, 4);
        var data = ml.Data.LoadFromEnumerable(rows);
        var transformed = chain.Model.Transform(data);
        var expected = ReadTransform(transformed);
        Assert.True(expected.Select(o => o.Floats[5][0]).Distinct().Count() > 1, "the trees must use the PQ features");

        // The mapper's schema is Transform's, annotations included (the PSU and vocabularies travel with the columns).
        var mapper = ((ITransformer)chain.Model).GetRowToRowMapper(data.Schema);
        Assert.Equal(transformed.Schema.Select(c => (c.Name, c.Type, c.IsHidden)), mapper.OutputSchema.Select(c => (c.Name, c.Type, c.IsHidden)));
        Assert.Equal(transformed.Schema.Select(c => string.Join(",", c.Annotations.Schema.Select(a => a.Name))),
            mapper.OutputSchema.Select(c => string.Join(",", c.Annotations.Schema.Select(a => a.Name))));
        Assert.Contains(mapper.OutputSchema, c => c.Annotations.Schema.Count > 0);

        var psuMapper = chain.Psu.GetRowToRowMapper(chain.Featurizer.GetOutputSchema(data.Schema));
        Assert.IsType<AppendingRowMapper>(psuMapper);
        var psuOutputs = psuMapper.OutputSchema;
        Assert.Equal(new[] { "HistoryItems" }, psuMapper.GetDependencies(new[] { psuOutputs["HistoryItems"] }).Select(c => c.Name));
        Assert.Equal(new[] { "SeminarHistoryItems", "SeminarHistoryQueryTokens", "SeminarQueryTokens", "SeminarTargetItem" },
            psuMapper.GetDependencies(new[] { psuOutputs["SeminarScore"] }).Select(c => c.Name).Order(StringComparer.Ordinal));

        using var tmp = new TempFolder();
        ml.Model.Save(chain.Model, chain.Training.Schema, tmp.File("ctr.zip"));

        // Transform, the mapper and saving never built an ONNX Runtime session.
        Assert.False(chain.Featurizer.HasOnnxSession || chain.Psu.HasOnnxSession || chain.Pq.HasOnnxSession);
        // Disposed, the persisted path cannot score any more; the engine still does, and still builds no session.
        chain.Dispose();
        var released = Assert.Throws<ObjectDisposedException>(() => chain.Psu.Persisted);
        Assert.StartsWith("This SEMINAR transformer has been disposed, and its ONNX form with it", released.Message);
        using var engine = ml.Model.CreatePredictionEngine<PsuTextRow, Prediction>(chain.Model);
        var predicted = rows.Select(r => Read(engine.Predict(r))).ToList();
        for (int r = 0; r < rows.Length; r++) AssertIdentical(expected[r], predicted[r], $"row {r}");
        Assert.False(chain.Featurizer.HasOnnxSession || chain.Psu.HasOnnxSession || chain.Pq.HasOnnxSession);

        // The stock-loaded zip runs the graphs: within 1e-4 of the C# path, and not to the bit (what the engine would show).
        var loaded = new MLContext(9).Model.Load(tmp.File("ctr.zip"), out _);
        using var stock = ml.Model.CreatePredictionEngine<PsuTextRow, Prediction>(loaded);
        int differing = 0;
        for (int r = 0; r < rows.Length; r++)
        {
            var s = Read(stock.Predict(rows[r]));
            for (int c = 0; c < IndexColumns.Length; c++) Assert.Equal(expected[r].Indices[c], s.Indices[c]);
            for (int c = 0; c < s.Floats.Length; c++)
                for (int j = 0; j < s.Floats[c].Length; j++)
                {
                    float e = expected[r].Floats[c][j], a = s.Floats[c][j];
                    Assert.True(Math.Abs(e - a) <= 1e-4 * Math.Max(1, Math.Abs(e)), $"row {r} {Name(c)}[{j}]: {e} vs stock {a}");
                    if (BitConverter.SingleToInt32Bits(e) != BitConverter.SingleToInt32Bits(a)) differing++;
                }
        }
        Assert.True(differing > 0, "ONNX Runtime's float outputs must differ from C#'s in some bit, else bitwise equality proves no path");
    }

    [Fact]
    public void Eight_threads_with_one_engine_each_score_the_same_rows_as_one_thread()
    {
        using var chain = Fit(5);
        var rows = PsuFixtures.TestRows(200, 6);
        List<Outputs> single;
        using (var engine = chain.Ml.Model.CreatePredictionEngine<PsuTextRow, Prediction>(chain.Model))
            single = rows.Select(r => Read(engine.Predict(r))).ToList();
        AssertIdenticalAll(ReadTransform(chain.Model.Transform(chain.Ml.Data.LoadFromEnumerable(rows))), single, "transform vs one engine");

        const int threads = 8;
        var results = new Outputs[threads][];
        var orders = new int[threads][];
        var failures = new Exception?[threads];
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            // Each thread visits the rows in its own order (thread 0 in order), so state shared between engines would mix rows up.
            var order = Enumerable.Range(0, rows.Length).ToArray();
            if (t > 0) new Random(t).Shuffle(order);
            orders[t] = order;
            try
            {
                using var engine = chain.Ml.Model.CreatePredictionEngine<PsuTextRow, Prediction>(chain.Model);
                var mine = new Outputs[rows.Length];
                start.SignalAndWait();
                foreach (int r in order) mine[r] = Read(engine.Predict(rows[r]));
                results[t] = mine;
            }
            catch (Exception e)
            {
                failures[t] = e;
                start.RemoveParticipant();
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        Assert.All(failures, Assert.Null);
        Assert.Equal(threads, orders.Select(o => string.Join(",", o)).Distinct().Count());
        for (int t = 0; t < threads; t++) AssertIdenticalAll(single, results[t], $"thread {t}");
    }

    static void AssertIdenticalAll(List<Outputs> expected, IReadOnlyList<Outputs> actual, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int r = 0; r < expected.Count; r++) AssertIdentical(expected[r], actual[r], $"{what}: row {r}");
    }
}
