using Microsoft.ML;
using Microsoft.ML.Data;
using Seminar.MLNet.Datasets.Synthetic;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Tests.PsuTraining;

public class PsuCrossFittingTests
{
    public sealed class Row
    {
        public string UserId { get; set; } = "";
        public int Position { get; set; }
        public bool Label { get; set; }
    }

    public sealed class UserInput
    {
        public string UserId { get; set; } = "";
    }

    public sealed class Seen
    {
        /// <summary>1 when the fit that made this transformer read a row of this user.</summary>
        public float SawUser { get; set; }
        /// <summary>Which fit (in fit order) made this transformer.</summary>
        public float FitIndex { get; set; }
        /// <summary>The seed the estimator was built with.</summary>
        public float Seed { get; set; }
    }

    /// <summary>
    /// Records the users each fit reads and outputs, per row, whether the fitted transformer saw the row's user: a stand-in
    /// for the PSU that memorises exactly what leaks.
    /// </summary>
    sealed class RecordingEstimator : IEstimator<ITransformer>
    {
        readonly MLContext _ml;
        readonly int _seed;
        readonly List<HashSet<string>> _fits;

        public RecordingEstimator(MLContext ml, int seed, List<HashSet<string>> fits)
        {
            _ml = ml;
            _seed = seed;
            _fits = fits;
        }

        public ITransformer Fit(IDataView input)
        {
            var users = input.GetColumn<string>(nameof(Row.UserId)).ToHashSet(StringComparer.Ordinal);
            int index = _fits.Count;
            _fits.Add(users);
            int seed = _seed;
            return _ml.Transforms.CustomMapping<UserInput, Seen>((src, dst) =>
            {
                dst.SawUser = users.Contains(src.UserId) ? 1 : 0;
                dst.FitIndex = index;
                dst.Seed = seed;
            }, contractName: null).Fit(input);
        }

        public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
            _ml.Transforms.CustomMapping<UserInput, Seen>((_, _) => { }, contractName: null).GetOutputSchema(inputSchema);
    }

    /// <summary>13 users with 1..13 rows each, interleaved so a user's rows are spread over the view.</summary>
    static Row[] Rows()
    {
        var rows = new List<Row>();
        for (int round = 0; round < 13; round++)
            for (int u = 0; u < 13; u++)
                if (round <= u) rows.Add(new Row { UserId = "user" + u, Position = rows.Count, Label = (rows.Count % 3) == 0 });
        return rows.ToArray();
    }

    static (CrossFittedFeatures Features, List<HashSet<string>> Fits, Row[] Rows, MLContext Ml) CrossFit(int seed = 4, int folds = 3)
    {
        var ml = new MLContext(seed);
        var rows = Rows();
        var fits = new List<HashSet<string>>();
        var features = ml.Seminar().CrossFit(s => new RecordingEstimator(ml, s, fits), ml.Data.LoadFromEnumerable(rows), "UserId", folds);
        return (features, fits, rows, ml);
    }

    [Fact]
    public void No_out_of_fold_row_is_scored_by_a_model_fitted_on_its_user()
    {
        var (features, fits, rows, _) = CrossFit();
        var allUsers = rows.Select(r => r.UserId).ToHashSet();
        Assert.Equal(4, fits.Count); // three fold models, then the full one
        for (int f = 0; f < 3; f++)
        {
            // Fold model f read every user except its own fold's, and none of those.
            Assert.Empty(fits[f].Intersect(features.FoldUsers[f]));
            Assert.Equal(allUsers.Except(features.FoldUsers[f]).Order(), fits[f].Order());
        }
        Assert.Equal(allUsers.Order(), fits[3].Order());

        var oof = features.OutOfFoldTrain;
        var saw = oof.GetColumn<float>("SawUser").ToArray();
        var fit = oof.GetColumn<float>("FitIndex").ToArray();
        var users = oof.GetColumn<string>("UserId").ToArray();
        Assert.Equal(rows.Length, saw.Length);
        for (int r = 0; r < rows.Length; r++)
        {
            Assert.True(saw[r] == 0, $"row {r} ({users[r]}) was scored by a model that saw its user");
            Assert.Equal(features.FoldOf(users[r]), (int)fit[r]);
            Assert.DoesNotContain(users[r], fits[(int)fit[r]]);
        }
        // In-sample, by contrast, every row is scored by a model that saw it: the instrument can tell.
        Assert.All(features.Model.Transform(oof).GetColumn<float>("SawUser"), s => Assert.Equal(1f, s));
    }

    [Fact]
    public void Folds_partition_the_users_evenly_and_each_fit_gets_its_own_seed()
    {
        var (features, fits, rows, _) = CrossFit(folds: 4);
        Assert.Equal(4, features.Folds);
        var assigned = features.FoldUsers.SelectMany(u => u).ToArray();
        Assert.Equal(rows.Select(r => r.UserId).Distinct().Order(), assigned.Order());   // each user in exactly one fold
        Assert.All(features.FoldUsers, u => Assert.InRange(u.Count, 3, 4));              // 13 users dealt into 4 folds
        for (int r = 0; r < rows.Length; r++) Assert.Equal(features.FoldOf(rows[r].UserId), features.RowFolds[r]);
        for (int f = 0; f < 4; f++) Assert.Equal(rows.LongCount(r => features.FoldOf(r.UserId) == f), features.FoldRows[f]);
        Assert.Equal(-1, features.FoldOf("nobody"));

        var seeds = features.FoldModels.Select(m => m.Transform(features.OutOfFoldTrain).GetColumn<float>("Seed").First())
            .Append(features.Model.Transform(features.OutOfFoldTrain).GetColumn<float>("Seed").First()).ToArray();
        Assert.Equal(5, seeds.Distinct().Count());

        // The same context seed deals the same folds; another seed deals others.
        Assert.Equal(features.FoldUsers, CrossFit(folds: 4).Features.FoldUsers);
        Assert.NotEqual(features.FoldUsers, CrossFit(seed: 5, folds: 4).Features.FoldUsers);
    }

    [Fact]
    public void The_out_of_fold_view_holds_every_training_row_once_in_order_and_the_full_model_scores_new_users()
    {
        var (features, _, rows, ml) = CrossFit();
        var oof = features.OutOfFoldTrain;
        Assert.Equal(rows.Length, oof.GetRowCount());
        foreach (var column in new[] { "UserId", "Position", "Label", "SawUser", "FitIndex", "Seed" }) Assert.NotNull(oof.Schema.GetColumnOrNull(column));
        Assert.Equal(Enumerable.Range(0, rows.Length), oof.GetColumn<int>("Position"));
        Assert.Equal(rows.Select(r => r.Label), oof.GetColumn<bool>("Label"));

        // A downstream trainer reads the view like any other.
        var trees = ml.Transforms.Concatenate("Features", "SawUser", "FitIndex")
            .Append(ml.BinaryClassification.Trainers.FastTree(numberOfTrees: 2, minimumExampleCountPerLeaf: 2)).Fit(oof);
        Assert.Equal(rows.Length, trees.Transform(oof).GetColumn<float>("Score").Count());

        var fresh = ml.Data.LoadFromEnumerable(new[] { new Row { UserId = "newcomer" }, new Row { UserId = "user3" } });
        var scored = features.Model.Transform(fresh);
        Assert.Equal(new[] { 3f, 3f }, scored.GetColumn<float>("FitIndex"));
        Assert.Equal(new[] { 0f, 1f }, scored.GetColumn<float>("SawUser"));

        // Selecting rows by fold and position gives exactly those rows.
        var fold1Early = features.SelectRows(oof, (position, fold) => fold == 1 && position < 40).GetColumn<int>("Position");
        Assert.Equal(rows.Where(r => r.Position < 40 && features.FoldOf(r.UserId) == 1).Select(r => r.Position), fold1Early);
    }

    [Fact]
    public void Bad_arguments_are_refused_with_messages_that_name_the_problem()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(Rows());
        var fits = new List<HashSet<string>>();
        var estimator = new RecordingEstimator(ml, 0, fits);
        var one = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Seminar().CrossFit(estimator, data, "UserId", folds: 1));
        Assert.Contains("between 2 and 255 folds", one.Message);
        var missing = Assert.Throws<ArgumentException>(() => ml.Seminar().CrossFit(estimator, data, "User", folds: 3));
        Assert.Contains("no user column 'User'", missing.Message);
        var typed = Assert.Throws<ArgumentException>(() => ml.Seminar().CrossFit(estimator, data, "Position", folds: 3));
        Assert.Contains("User column 'Position' is Int32", typed.Message);
        var few = Assert.Throws<InvalidOperationException>(() => ml.Seminar().CrossFit(estimator, data, "UserId", folds: 14));
        Assert.Contains("needs at least 14 distinct users in column 'UserId'; the training data has 13", few.Message);
        Assert.Empty(fits);
    }

    [Fact]
    public void A_small_real_PSU_cross_fits_each_row_scored_by_its_fold_network()
    {
        using var data = new PsuFixture(new SyntheticDatasetOptions { Users = 12, Items = 150, MeanEventsPerUser = 40, Seed = 9 },
            new EvaluationOptions { TrainFromQuantile = 0.5 }, maxHistory: 64);
        var ml = new MLContext(6);
        var catalog = new CatalogDataView(Seminar.MLNet.Datasets.Canonical.CanonicalDataset.Open(data.Folder), new Seminar.MLNet.Datasets.Canonical.DataIssues());
        var features = ml.Seminar().CrossFit(seed => ml.Seminar().FeaturizeSequences(catalog, new() { MaxHistory = 64 })
                .Append(ml.Seminar().PsuEmbedding(new PsuEmbeddingOptions
                {
                    Dimension = 8, Heads = 2, TopK = 4, HeadLayers = new[] { 8 }, PretrainingMaxEpoch = 1, MaxEpoch = 1, BatchSize = 32,
                    TrainingMaxHistory = 32, Threads = 1, Seed = seed,
                })),
            data.Train, SeminarColumns.UserId, folds: 2);

        var oof = features.OutOfFoldTrain.GetColumn<float[]>("SeminarScore").Select(s => s[0]).ToArray();
        Assert.Equal(data.Split.Train.Count, oof.Length);
        Assert.All(oof, s => Assert.True(float.IsFinite(s)));
        var users = data.Train.GetColumn<string>(SeminarColumns.UserId).ToArray();
        for (int f = 0; f < 2; f++)
        {
            // Each row's out-of-fold score is its fold network's score for it; the other networks score it differently.
            var own = features.FoldModels[f].Transform(data.Train).GetColumn<float[]>("SeminarScore").Select(s => s[0]).ToArray();
            var rowsOfFold = Enumerable.Range(0, oof.Length).Where(r => features.FoldOf(users[r]) == f).ToArray();
            Assert.NotEmpty(rowsOfFold);
            Assert.All(rowsOfFold, r => Assert.Equal(own[r], oof[r]));
        }
        var full = features.Model.Transform(data.Train).GetColumn<float[]>("SeminarScore").Select(s => s[0]).ToArray();
        Assert.Contains(Enumerable.Range(0, oof.Length), r => full[r] != oof[r]);
        Assert.Equal(data.Split.Test.Count, features.Model.Transform(data.Test).GetColumn<float[]>("SeminarScore").Count());
    }
}
