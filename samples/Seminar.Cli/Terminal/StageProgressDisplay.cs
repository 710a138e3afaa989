using Seminar.MLNet.Evaluation;
using Spectre.Console;

namespace Seminar.Cli.Terminal;

/// <summary>
/// Shows each evaluation stage as a Spectre.Console progress bar. Reports arrive on the worker's own
/// thread; Spectre redraws on its own timer. Where output is redirected (CI, logs), a line per stage
/// is printed instead, so logs stay readable.
/// </summary>
sealed class StageProgressDisplay : IProgress<EvaluationProgress>
{
    readonly ProgressContext? _context;
    readonly Dictionary<string, ProgressTask> _tasks = new();
    readonly HashSet<string> _announced = new();

    StageProgressDisplay(ProgressContext? context) => _context = context;

    /// <summary>Runs <paramref name="work"/> with a live display when the terminal supports it.</summary>
    public static T Run<T>(Func<IProgress<EvaluationProgress>, T> work)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
            return work(new StageProgressDisplay(null));
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .Start(ctx => result = work(new StageProgressDisplay(ctx)));
        return result;
    }

    public void Report(EvaluationProgress value)
    {
        if (_context == null)
        {
            if (_announced.Add(value.Stage)) Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {value.Stage} ...");
            return;
        }
        if (!_tasks.TryGetValue(value.Stage, out var task))
        {
            foreach (var other in _tasks.Values) if (!other.IsFinished) { other.Value = other.MaxValue; other.StopTask(); }
            task = _context.AddTask(Markup.Escape(value.Stage), maxValue: 1);
            _tasks[value.Stage] = task;
        }
        if (double.IsNaN(value.Fraction)) task.IsIndeterminate = true;
        else
        {
            task.IsIndeterminate = false;
            task.Value = value.Fraction;
            if (value.Fraction >= 1) task.StopTask();
        }
    }
}
