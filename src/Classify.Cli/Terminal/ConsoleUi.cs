using Classify.Core.Training;
using Spectre.Console;

namespace Classify.Cli.Terminal;

/// <summary>
/// Everything the CLI prints goes through here: tables and messages to stdout, progress and errors to stderr, so
/// that piped output (for example <c>predict --format json</c>) stays machine-readable.
/// </summary>
internal sealed class ConsoleUi
{
    public ConsoleUi(TextWriter output, TextWriter error)
    {
        Out = Create(output, ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected, InteractionSupport.No);
        Err = Create(error, ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected, InteractionSupport.Detect);
        RawOut = output;
        RawError = error;
    }

    /// <summary>
    /// A console over a writer. Off a terminal (pipes, CI logs, captured output) there is no colour and no wrapping at
    /// 80 columns, so messages and paths stay on one greppable line.
    /// </summary>
    private static IAnsiConsole Create(TextWriter writer, bool isTerminal, InteractionSupport interaction)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = isTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = isTerminal ? interaction : InteractionSupport.No,
        });
        if (!isTerminal) console.Profile.Width = 4096;
        return console;
    }

    /// <summary>Standard output (tables, summaries).</summary>
    public IAnsiConsole Out { get; }
    /// <summary>Standard error (progress, warnings, errors).</summary>
    public IAnsiConsole Err { get; }
    /// <summary>Unformatted standard output for machine-readable lines.</summary>
    public TextWriter RawOut { get; }
    /// <summary>Unformatted standard error.</summary>
    public TextWriter RawError { get; }

    public void Info(string message) => Err.MarkupLine($"[grey]{Markup.Escape(message)}[/]");
    public void Warn(string message) => Err.MarkupLine($"[yellow]warning:[/] {Markup.Escape(message)}");
    public void Error(string message) => Err.MarkupLine($"[red]error:[/] {Markup.Escape(message)}");

    /// <summary>
    /// Runs <paramref name="work"/> while drawing progress reports as a bar with ETA on stderr when it is a
    /// terminal, or as occasional plain lines when it is not (CI logs).
    /// </summary>
    public T WithProgress<T>(Func<IProgress<ProgressUpdate>, T> work)
    {
        if (!Err.Profile.Capabilities.Interactive || Console.IsErrorRedirected)
            return work(new PlainProgress(RawError));
        T result = default!;
        Err.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                var progress = new SynchronousProgress(u =>
                {
                    lock (tasks)
                    {
                        if (!tasks.TryGetValue(u.Stage, out var task))
                            tasks[u.Stage] = task = ctx.AddTask(Markup.Escape(u.Stage), maxValue: Math.Max(1, u.Total));
                        if (u.Total > 0) task.MaxValue = u.Total;
                        task.Value = u.Completed;
                        task.Description = Markup.Escape(u.Detail is null ? u.Stage : $"{u.Stage} {u.Detail}");
                    }
                });
                result = work(progress);
                lock (tasks) foreach (var t in tasks.Values) t.Value = t.MaxValue;
            });
        return result;
    }

    /// <summary>An IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool, out of order).</summary>
    internal sealed class SynchronousProgress(Action<ProgressUpdate> report) : IProgress<ProgressUpdate>
    {
        public void Report(ProgressUpdate value) => report(value);
    }

    /// <summary>
    /// Progress for non-terminals (CI logs, pipes): a line at most every 15 seconds per stage, and a closing line for
    /// stages that took more than 2 seconds, so short steps stay silent and long ones show they are alive.
    /// </summary>
    private sealed class PlainProgress(TextWriter writer) : IProgress<ProgressUpdate>
    {
        private readonly Dictionary<string, (DateTime Started, DateTime Printed)> _stages = new();
        private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

        public void Report(ProgressUpdate u)
        {
            lock (_stages)
            {
                var now = DateTime.UtcNow;
                if (!_stages.TryGetValue(u.Stage, out var stage)) _stages[u.Stage] = stage = (now, now);
                bool finished = u.Total > 0 && u.Completed >= u.Total;
                bool due = (now - stage.Printed).TotalSeconds >= 15 || (finished && (now - stage.Started).TotalSeconds >= 2);
                if (!due) return;
                _stages[u.Stage] = (stage.Started, now);
                var total = u.Total > 0 ? $"{u.Completed}/{u.Total} ({u.Completed * 100 / u.Total}%)" : $"{u.Completed}";
                writer.WriteLine($"[{_clock.Elapsed:hh\\:mm\\:ss}] {u.Stage}: {total}{(u.Detail is null ? "" : " " + u.Detail)}");
            }
        }
    }
}
