using Microsoft.ML;
using Seminar.MLNet.Datasets.Synthetic;
using Seminar.MLNet.Evaluation;
using Seminar.MLNet.Evaluation.Models;
using Seminar.MLNet.Evaluation.Protocol;
using Seminar.MLNet.Tests.Support;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Tests.Evaluation;

public class CrossFittingTests
{
    public sealed class TimedRow
    {
        public long Timestamp { get; set; }
    }

    public sealed class FlaggedRow
    {
        public long Timestamp { get; set; }
        public bool IsValidation { get; set; }
    }

    [Fact]
    public void Validation_rows_are_the_IsValidation_column_when_present_else_the_latest_tenth_by_time()
    {
        var ml = new MLContext(1);
        // 12 rows: the latest ceil(1.2) = 2 by time are rows 2 (t = 9) and 11 (t = 10); row 4 ties row 2 at t = 9 but comes
        // later in row order, so it is the later of the two and row 2 is not taken.
        long[] times = { 5, 1, 9, 3, 9, 2, 7, 8, 4, 6, 0, 10 };
        var timed = ml.Data.LoadFromEnumerable(times.Select(t => new TimedRow { Timestamp = t }));
        var expected = new bool[12];
        expected[4] = expected[11] = true;
        Assert.Equal(expected, StackingSelection.ValidationRows(timed));

        // The column wins over the timestamps, even where it disagrees with them.
        var flags = times.Select((t, i) => new FlaggedRow { Timestamp = t, IsValidation = i < 3 }).ToArray();
        Assert.Equal(flags.Select(f => f.IsValidation), StackingSelection.ValidationRows(ml.Data.LoadFromEnumerable(flags)));

        var neither = ml.Data.LoadFromEnumerable(new[] { new PsuTraining.PsuCrossFittingTests.Row() });
        var error = Assert.Throws<InvalidOperationException>(() => StackingSelection.ValidationRows(neither));
        Assert.Contains("needs a Boolean 'IsValidation' column or an Int64 'Timestamp' column", error.Message);
    }

    static EvaluationOptions Tiny(SeminarStacking stacking) => new()
    {
        Seed = 2, TrainFromQuantile = 0.5, Models = new[] { FastTreeSeminar.ModelName }, Stacking = stacking, CrossFitFolds = 2,
        Psu = new PsuEmbeddingOptions
        {
            Dimension = 8, Heads = 2, TopK = 4, HeadLayers = new[] { 8 }, PretrainingMaxEpoch = 1, MaxEpoch = 1, BatchSize = 64,
            TrainingMaxHistory = 32, Threads = 1,
        },
    };

    [Trait("Category", "Slow")]
    [Fact]
    public void Auto_stacking_picks_the_candidate_with_the_higher_validation_AUC_and_reports_both()
    {
        using var tmp = new TempFolder();
        SyntheticDatasetGenerator.Generate(tmp.Path, new SyntheticDatasetOptions { Users = 24, Items = 200, MeanEventsPerUser = 60, Seed = 4 });
        var options = Tiny(SeminarStacking.Auto);
        var catalog = new CatalogDataView(Seminar.MLNet.Datasets.Canonical.CanonicalDataset.Open(tmp.Path), new Seminar.MLNet.Datasets.Canonical.DataIssues());
        var models = Evaluator.Models(catalog, options);
        var result = Evaluator.Run(tmp.Path, options, models);

        var model = Assert.IsType<FastTreeSeminar>(Assert.Single(models));
        var report = result.Report.Models[FastTreeSeminar.ModelName];
        var auc = report.StackingValidationAuc!;
        Assert.Equal(new[] { "cross_fitted", "in_sample_pretrained" }, auc.Keys.Order());
        Assert.All(auc.Values, v => Assert.InRange(v, 0.0, 1.0));
        string better = auc["cross_fitted"] >= auc["in_sample_pretrained"] ? "cross_fitted" : "in_sample_pretrained";
        Assert.Equal(better, report.Stacking);
        Assert.Equal(better, StackingOutcome.ReportName(model.Outcome!.Used));
        Assert.Equal(2, model.Stage.FoldPretrained.Count);   // one pretrained network per fold, for the in-sample candidate
        Assert.Contains("\"stacking_validation_auc\"", result.Report.ToJson());
        Assert.InRange(report.Auc, 0.0, 1.0);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void The_stacking_choice_and_the_stacked_trees_are_made_once_for_both_stacked_models()
    {
        var ml = new MLContext(1);
        var stage = new SeminarStage(ml.Data.LoadFromEnumerable(new[] { new TimedRow() }), new(), new());
        int choices = 0, fits = 0;
        var first = stage.ChooseStacking(() => { choices++; return new StackingOutcome(SeminarStacking.CrossFitted, null); });
        var second = stage.ChooseStacking(() => { choices++; return new StackingOutcome(SeminarStacking.InSamplePretrained, null); });
        Assert.Equal(1, choices);
        Assert.Same(first.Outcome, second.Outcome);
        Assert.Equal(first.Seconds, second.Seconds);   // the second model reports what the shared choice cost
        var trees = stage.FitStackedTrees(() => { fits++; return ml.Transforms.CopyColumns("Copied", nameof(FlaggedRow.Timestamp)).Fit(ml.Data.LoadFromEnumerable(new[] { new FlaggedRow() })); });
        Assert.Same(trees.Trees, stage.FitStackedTrees(() => { fits++; throw new InvalidOperationException("fitted twice"); }).Trees);
        Assert.Equal(1, fits);
    }

    [Fact]
    public void Auto_stacking_without_validation_rows_keeps_the_out_of_fold_features_instead_of_failing()
    {
        using var tmp = new TempFolder();
        SyntheticDatasetGenerator.Generate(tmp.Path, new SyntheticDatasetOptions { Users = 24, Items = 200, MeanEventsPerUser = 60, Seed = 4 });
        var options = Tiny(SeminarStacking.Auto);
        options.ValidationFraction = 0;   // IsValidation is false on every row: nothing to choose on
        var report = Evaluator.Run(tmp.Path, options).Report;

        Assert.Equal(0, report.Protocol!.ValidationSamples);
        var model = report.Models[FastTreeSeminar.ModelName];
        Assert.Equal("cross_fitted", model.Stacking);
        Assert.Null(model.StackingValidationAuc);
        Assert.InRange(model.Auc, 0.0, 1.0);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void Explicit_stackings_are_reported_without_a_validation_comparison_and_cross_fitting_feeds_only_the_score()
    {
        using var tmp = new TempFolder();
        SyntheticDatasetGenerator.Generate(tmp.Path, new SyntheticDatasetOptions { Users = 16, Items = 150, MeanEventsPerUser = 50, Seed = 6 });
        var inSample = Evaluator.Run(tmp.Path, Tiny(SeminarStacking.InSamplePretrained));
        var crossFitted = Evaluator.Run(tmp.Path, Tiny(SeminarStacking.CrossFitted));
        var a = inSample.Report.Models[FastTreeSeminar.ModelName];
        var b = crossFitted.Report.Models[FastTreeSeminar.ModelName];
        Assert.Equal("in_sample_pretrained", a.Stacking);
        Assert.Equal("cross_fitted", b.Stacking);
        Assert.Null(a.StackingValidationAuc);
        Assert.Null(b.StackingValidationAuc);

        // Out of fold, each network's interest coordinates are its own, so the trees read the score alone: the feature
        // vector is the in-sample one less the D = 8 interest components.
        int Features(EvaluationResult r) =>
            Assert.Single(r.Runs).Model.Transform(new SampleDataView(r.Split.Test)).Schema["Features"].Type is Microsoft.ML.Data.VectorDataViewType v ? v.Size : -1;
        Assert.Equal(Features(inSample) - 8, Features(crossFitted));
    }

    [Fact]
    public void The_stacking_flag_refuses_an_unknown_value_and_options_refuse_too_few_folds()
    {
        var (code, output) = CliRunner.Run("evaluate", "--data", "nowhere", "--stacking", "sometimes");
        Assert.NotEqual(0, code);
        Assert.Contains("Unknown --stacking 'sometimes'; use auto, cross-fitted or in-sample.", output);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new EvaluationOptions { CrossFitFolds = 1 }.Validate());
        Assert.Contains("Cross-fit folds must be between 2 and 255.", error.Message);
    }
}
