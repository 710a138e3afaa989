using Microsoft.ML;
using Seminar.MLNet.Training.PsuTraining;

namespace Seminar.MLNet.Tests.PsuTraining;

public class TrainingLoopTests
{
    [Fact]
    public void Flagged_rows_are_never_trained_on_and_are_exactly_the_validation_rows()
    {
        var f = new TrainingLoopFixture(flag: (_, i) => i % 5 == 2);
        var o = TrainingLoopFixture.Options();
        o.Patience = 5;
        var run = f.Train(o);
        var flagged = Enumerable.Range(0, f.Rows.Length).Where(i => f.Rows[i].IsValidation).Select(i => (long)i).ToHashSet();
        var unflagged = Enumerable.Range(0, f.Rows.Length).Select(i => (long)i).Where(i => !flagged.Contains(i)).ToArray();
        Assert.Equal(flagged.Count, run.Split.HeldOutRows);
        Assert.DoesNotContain(run.Positions("pretraining", 1), flagged.Contains);
        for (int epoch = 1; epoch <= 2; epoch++)
        {
            Assert.Equal(unflagged, run.Positions("fine-tuning", epoch).Order());
            Assert.Equal(flagged.Order(), run.Positions("validation", epoch).Order());
        }
        // Progress counts the rows each pass really had.
        var tuned = run.Progress.Last(p => p.Stage == "fine-tuning");
        Assert.Equal((unflagged.Length, unflagged.Length), (tuned.Rows, tuned.TotalRows));
        var validated = run.Progress.Last(p => p.Stage == "validation");
        Assert.Equal((flagged.Count, flagged.Count), (validated.Rows, validated.TotalRows));
    }

    [Fact]
    public void Without_the_column_the_last_share_of_rows_is_held_out()
    {
        var f = new TrainingLoopFixture();
        var o = TrainingLoopFixture.Options();
        o.ValidationFraction = 0.25;
        o.MaxEpoch = 1;
        var noFlags = f.Ml.Transforms.DropColumns(nameof(LoopRow.IsValidation)).Fit(f.Featurized).Transform(f.Featurized);
        var run = f.Train(o, noFlags);
        int n = f.Rows.Length, tail = (int)Math.Round(n * 0.25);
        Assert.Equal(Enumerable.Range(n - tail, tail).Select(i => (long)i), run.Positions("validation", 1).Order());
        Assert.Equal(Enumerable.Range(0, n - tail).Select(i => (long)i), run.Positions("fine-tuning", 1).Order());
        Assert.All(run.Positions("pretraining", 1), p => Assert.True(p < n - tail, $"held-out row {p} pretrained"));

        // ValidationFraction = 0: no validation, every row trained on (flags or not).
        o.ValidationFraction = 0;
        var all = f.Train(o);
        Assert.Empty(all.Positions("validation", 1));
        Assert.Equal(Enumerable.Range(0, n).Select(i => (long)i), all.Positions("fine-tuning", 1).Order());
    }

    [Fact]
    public void Early_stopping_keeps_the_epoch_with_the_best_validation_loss()
    {
        // Validation rows are copies of training rows with the opposite label: the better fine-tuning fits, the worse validation gets.
        var f = new TrainingLoopFixture(users: 4);
        var rows = f.Rows.Select((r, i) =>
        {
            if (i % 4 != 0 || i + 1 == f.Rows.Length) return r;
            var copied = f.Rows[i + 1];
            return new LoopRow
            {
                HistoryItems = copied.HistoryItems, HistoryQueries = copied.HistoryQueries, TargetItem = copied.TargetItem, Query = copied.Query,
                UserId = copied.UserId, Label = !copied.Label, IsValidation = true,
            };
        }).ToArray();
        var data = f.Featurizer.Transform(f.Ml.Data.LoadFromEnumerable(rows));
        var o = TrainingLoopFixture.Options();
        o.Pretrain = false;
        o.MaxEpoch = 6;
        o.FineTuningLearningRate = 0.01;
        o.Patience = 1;
        var run = f.Train(o, data);
        var losses = run.Progress.Where(p => p.Stage == "fine-tuning" && p.Losses.ContainsKey("validation_bce")).Select(p => p.Losses["validation_bce"]).ToArray();
        int best = Array.IndexOf(losses, losses.Min()) + 1;
        Assert.True(losses.Length > best, $"the best epoch ({best}) should not be the last run ({losses.Length}): {string.Join(", ", losses)}");
        Assert.Equal(best, run.BestEpoch);
        Assert.Equal(losses.Min(), run.FinalValidationLoss, 4);
    }

    [Fact]
    public void Weight_decay_shrinks_an_unused_id_row_by_the_AdamW_factor_per_step()
    {
        var f = new TrainingLoopFixture();
        int unused = f.Vocabularies.Items.IndexOf("c11");
        foreach (var decay in new[] { 0.0, 0.9 })
        {
            var o = TrainingLoopFixture.Options();
            o.Pretrain = false;
            o.ValidationFraction = 0;
            o.WeightDecay = decay;
            o.FineTuningLearningRate = 0.02;
            var run = f.Train(o);
            int steps = run.Steps.Count(s => s.Stage == "fine-tuning");
            Assert.DoesNotContain(run.Steps.SelectMany(s => s.Rows), r => r.Target == unused || r.Items.Contains(unused));
            int d = o.Dimension;
            var before = run.Initial!.ItemIds.AsSpan(unused * d, d).ToArray();
            var after = run.Final.ItemIds.AsSpan(unused * d, d).ToArray();
            // Adam moves a row without gradient by nothing; AdamW's decoupled decay multiplies it by (1 - lr·decay) every step.
            double factor = Math.Pow(1 - 0.02 * decay, steps);
            for (int j = 0; j < d; j++) Assert.Equal(before[j] * factor, after[j], 1e-5);
            if (decay > 0) Assert.True(factor < 0.9, $"{steps} steps shrink by only {factor}");
        }
    }

    [Fact]
    public void Weight_decay_out_of_range_is_refused()
    {
        var ml = new MLContext(1);
        foreach (var bad in new[] { -0.1, 1.0, double.NaN })
        {
            var e = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Seminar().PsuEmbedding(new PsuEmbeddingOptions { WeightDecay = bad }));
            Assert.StartsWith("WeightDecay must be in [0, 1)", e.Message);
        }
        var stride = Assert.Throws<ArgumentOutOfRangeException>(() => ml.Seminar().PsuEmbedding(new PsuEmbeddingOptions { CutPointStride = 0 }));
        Assert.StartsWith("CutPointStride must be at least 1.", stride.Message);
    }

    [Fact]
    public void Pretraining_on_user_sequences_takes_each_users_longest_history_once_per_epoch()
    {
        // One user's longest row is held out for validation: pretraining takes that user's longest remaining row.
        int longest = new TrainingLoopFixture(users: 5).Sequences["u1"].Length - 1;
        var flaggedData = new TrainingLoopFixture(users: 5, flag: (row, _) => row.UserId == "u1" && row.HistoryItems.Length == longest);
        var o = TrainingLoopFixture.Options();
        o.PretrainingUserColumnName = "UserId";
        o.PretrainingMaxEpoch = 2;
        o.TrainingMaxHistory = 15;
        o.CutPointStride = 3;
        o.MaxCutPointsPerSequence = 8;
        var run = flaggedData.Train(o);
        var v = flaggedData.Vocabularies;
        for (int epoch = 1; epoch <= 2; epoch++)
        {
            var stretches = run.Steps.Where(s => s.Stage == "pretraining" && s.Epoch == epoch).SelectMany(s => s.Stretches!).ToList();
            Assert.Equal(flaggedData.Sequences.Keys.Order(), stretches.Select(s => s.Row.User!).Distinct().Order());
            foreach (var user in stretches.GroupBy(s => s.Row.User!))
            {
                int expectedLength = user.Key == "u1" ? longest - 1 : flaggedData.Sequences[user.Key].Length - 1;
                var history = flaggedData.Sequences[user.Key][..expectedLength].TakeLast(15).Select(v.Items.IndexOf).ToArray();
                Assert.All(user, s => Assert.Equal(history, s.Row.Items));
                // The stretches tile the sequence once: [0, a), [a, b), ..., [z, length).
                var tiles = user.OrderBy(s => s.From).ToList();
                Assert.Equal(0, tiles[0].From);
                Assert.Equal(history.Length, tiles[^1].To);
                for (int i = 1; i < tiles.Count; i++) Assert.Equal(tiles[i - 1].To, tiles[i].From);
                // Cuts: max(2, length / 3) at most 8, in stretches of 2.
                int cuts = Math.Clamp(history.Length / 3, 2, 8);
                Assert.Equal((cuts + 1) / 2, tiles.Count);
                // By hand: a sequence truncated to 15 behaviours gets 5 cuts, so 3 stretches.
                if (history.Length == 15) Assert.Equal(3, tiles.Count);
            }
        }
        Assert.Contains(flaggedData.Sequences.Values, s => s.Length - 1 > 15);
        var read = run.Progress.Last(p => p.Stage == "reading sequences");
        Assert.Equal((flaggedData.Rows.Length, flaggedData.Rows.Length), (read.Rows, read.TotalRows));
    }

    [Fact]
    public void Columns_of_the_wrong_type_are_refused_with_their_name()
    {
        var f = new TrainingLoopFixture(users: 2);
        var floatFlag = f.Ml.Transforms.Conversion.ConvertType(nameof(LoopRow.IsValidation), outputKind: Microsoft.ML.Data.DataKind.Single).Fit(f.Featurized).Transform(f.Featurized);
        var e = Assert.Throws<ArgumentException>(() => f.Ml.Seminar().PsuEmbedding(TrainingLoopFixture.Options()).Fit(floatFlag));
        Assert.StartsWith("Validation column 'IsValidation' must be Boolean (true = held out for validation), not Single.", e.Message);

        var o = TrainingLoopFixture.Options();
        o.PretrainingUserColumnName = "Label";
        var user = Assert.Throws<ArgumentException>(() => f.Ml.Seminar().PsuEmbedding(o).Fit(f.Featurized));
        Assert.StartsWith("Pretraining user column 'Label' must be text or a key, not Boolean.", user.Message);
    }

    [Fact]
    public void Time_left_is_the_rows_still_to_do_at_the_rate_so_far()
    {
        double now = 100;
        var clock = new StageClock(() => now);
        Assert.True(double.IsNaN(clock.Estimate(0, 200, 2).SecondsLeft));
        now = 110;
        var (rate, left) = clock.Estimate(50, 200, 2);
        Assert.Equal(5, rate, 12);
        Assert.Equal((150 + 2 * 200) / 5.0, left, 12);
        clock.Restart();
        now = 114;
        Assert.Equal((20.0, 9.0), clock.Estimate(80, 260, 0));
    }
}
