using Seminar.MLNet.Evaluation;
using Spectre.Console;

namespace Seminar.Cli.Terminal;

/// <summary>
/// Shows each evaluation stage as a Spectre.Console progress bar. Reports arrive on the worker's own
/// thread; Spectre redraws on its own timer. Where output is redirected (CI, logs), a line per stage
/// is printed instead, so logs stay readable. A stage text "name | detail" (PSU training: rows done of total, rows per
/// second, time left, losses) keeps one bar per name and shows the latest detail beside it; redirected output gets the
/// detail at most every 30 seconds.
/// </summary>
sealed class StageProgressDisplay : IProgress<EvaluationProgress>
{
    readonly ProgressContext? _context;
    readonly Dictionary<string, ProgressTask> _tasks = new();
    readonly HashSet<string> _announced = new();
    readonly Dictionary<string, DateTime> _detailed = new();

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
        int bar = value.Stage.IndexOf(" | ", StringComparison.Ordinal);
        string name = bar < 0 ? value.Stage : value.Stage[..bar];
        if (_context == null)
        {
            if (_announced.Add(name)) Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {name} ...");
            if (bar >= 0 && (!_detailed.TryGetValue(name, out var last) || DateTime.UtcNow - last >= TimeSpan.FromSeconds(30)))
            {
                _detailed[name] = DateTime.UtcNow;
                Console.WriteLine($"[{DateTime.Now:HH:mm:ss}]   {value.Stage[(bar + 3)..]}");
            }
            return;
        }
        if (!_tasks.TryGetValue(name, out var task))
        {
            foreach (var other in _tasks.Values) if (!other.IsFinished) { other.Value = other.MaxValue; other.StopTask(); }
            task = _context.AddTask(Markup.Escape(name), maxValue: 1);
            _tasks[name] = task;
        }
        if (bar >= 0) task.Description = Markup.Escape(value.Stage);
        if (double.IsNaN(value.Fraction)) task.IsIndeterminate = true;
        else
        {
            task.IsIndeterminate = false;
            task.Value = value.Fraction;
            if (value.Fraction >= 1) task.StopTask();
        }
    }
}
