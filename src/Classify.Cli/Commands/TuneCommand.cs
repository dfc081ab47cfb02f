using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Classify.Cli.Terminal;
using Classify.Core.Configuration;
using Classify.Reports;
using Classify.Reports.Tuning;
using Classify.Tuning.Space;
using Classify.Tuning.Study;
using Classify.Tuning.Trials;
using Spectre.Console;

namespace Classify.Cli.Commands;

/// <summary>
/// <c>classify tune</c>: one worker of a hyperparameter study over a config's <c>tune:</c> section (docs/tuning.md).
/// Several processes with the same config and storage share the study; rerunning continues it. Progress is a live table
/// on a terminal and plain lines otherwise; Ctrl+C marks the running trial failed (it is queued again) and stops after
/// writing the tables of the trials that finished.
/// </summary>
internal sealed class TuneCommand : ICommandFactory
{
    // Rows of the live table: the latest trials (the tables in the tuning folder hold them all).
    private const int LiveRows = 12;

    public Command Create(CommandContext context)
    {
        var config = new Option<FileInfo>("--config", "-c") { Description = "YAML experiment config with a tune: section (see examples/tweets-tune.yaml).", Required = true };
        var set = new Option<string[]>("--set") { Description = "Override any config key, tune.* included: --set tune.n_trials=10 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var noReport = new Option<bool>("--no-report") { Description = "Skip the best run's plots and report.html." };
        var flags = new Dictionary<string, Option<string?>>
        {
            ["tune.study"] = new("--study") { Description = "Study name (default <name>-<sampler>); the tuning run folder is runs_dir/<study>." },
            ["tune.sampler.name"] = new("--sampler") { Description = "grid, random or tpe." },
            ["tune.n_trials"] = new("--n-trials") { Description = "Trials the study aims at, across all workers." },
            ["tune.storage"] = new("--storage") { Description = "Study storage: a SQLite path or sqlite:///path, or postgresql://user@host/db (default: the runs ledger, runs_dir/ledger.db)." },
            ["runs_dir"] = new("--runs-dir") { Description = "Parent folder of runs and the ledger (default runs)." },
        };
        var command = new Command("tune", "Tune hyperparameters: run trials of a study, then retrain the best configuration.") { config, set, noReport };
        foreach (var o in flags.Values) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var ui = context.Ui;
            var flagTree = ConfigFlags.Tree(parse, flags, "tune.n_trials");
            var cfg = ExperimentConfig.Load(parse.GetValue(config)!.FullName, parse.GetValue(set), flagTree);
            context.RecoverRuns(cfg.RunsDirectory);
            var display = TrialDisplay.For(ui);
            var session = new TuningSession(cfg)
            {
                Log = display.Log, TrialStarted = display.Started, TrialFinished = display.Finished,
                StudyOpened = (storage, trials) => display.Log($"study storage: {storage}; {trials.Count} trials so far"),
                Artifacts = [new TuningCharts()],
                BestRunArtifacts = [new RunArtifacts { WithReport = !parse.GetValue(noReport) }],
            };
            display.Begin(session.Settings);
            var result = display.Run(() => session.Run(context.Cancellation));
            PrintSummary(ui, result);
            context.Cancellation.ThrowIfCancellationRequested();
            if (result.Outcome.Reason == StudyStopReason.RepeatedFailures)
            {
                ui.Error($"{StudyDriver.MaxConsecutiveFailures} trials in a row failed; the last error: {result.Outcome.LastError}");
                return 1;
            }
            return 0;
        });
        return command;
    }

    private static void PrintSummary(ConsoleUi ui, TuningResult result)
    {
        var snapshot = result.Snapshot;
        var settings = snapshot.Settings;
        ui.Info($"stopped: {Reason(result.Outcome.Reason)}; this worker ran {result.Outcome.TrialsRun} trials in {result.Outcome.Elapsed:hh\\:mm\\:ss}");
        if (snapshot.Best is { } best)
        {
            var table = new Table().Border(TableBorder.Rounded).Title($"best of {snapshot.Study.Definition.Name}");
            table.AddColumn("parameter");
            table.AddColumn("value");
            foreach (var p in settings.Space.Parameters)
                table.AddRow(Markup.Escape(p.Key), Markup.Escape(TuningOutputs.ValueText(best.Parameters.GetValueOrDefault(p.Key)) ?? "null"));
            table.AddRow($"[bold]{Markup.Escape(snapshot.Study.Definition.Metric)}[/]", $"[bold]{Value(best.Value)}[/] (trial {best.Number})");
            ui.Out.Write(table);
        }
        else ui.Warn("no trial completed yet");
        if (snapshot.Comparison.Count > 1)
        {
            var table = new Table().Border(TableBorder.Rounded).Title("studies of this task");
            foreach (var c in new[] { "study", "sampler", "best", "trial", "complete", "pruned", "failed", "trial time", "wall time" }) table.AddColumn(c);
            foreach (var r in snapshot.Comparison)
                table.AddRow(Markup.Escape(r.Study), r.Sampler, Value(r.BestValue), r.BestTrial?.ToString(CultureInfo.InvariantCulture) ?? "–",
                    Count(r.Complete), Count(r.Pruned), Count(r.Failed), Duration(r.TrialSeconds), Duration(r.WallSeconds));
            ui.Out.Write(table);
        }
        if (result.BestRun is { } run)
        {
            TrainCommand.PrintMetrics(ui, run.Validation, run.Test);
            ui.Info($"best run: {run.Layout.Root}");
        }
        else if (result.BestRunNote is { } note) ui.Info($"best configuration not retrained: {note}");
        ui.Info($"tuning run folder: {result.Layout.Root}");
    }

    private static string Reason(StudyStopReason reason) => reason switch
    {
        StudyStopReason.TrialBudget => "the study has its n_trials",
        StudyStopReason.SamplerExhausted => "the sampler has nothing left to propose",
        StudyStopReason.Timeout => "timeout",
        StudyStopReason.Interrupted => "cancelled (the running trial is queued again)",
        _ => "repeated failures",
    };

    internal static string Value(double? value) => value is { } v ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "–";
    private static string Count(int n) => n.ToString(CultureInfo.InvariantCulture);
    private static string Duration(double seconds) => TimeSpan.FromSeconds(Math.Round(seconds)).ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);

    /// <summary>Parameters as <c>key=value</c> with each key's last segment, for one-line displays.</summary>
    internal static string ShortParameters(IReadOnlyDictionary<string, object?> parameters) =>
        string.Join(" ", parameters.Select(kv => $"{kv.Key[(kv.Key.LastIndexOf('.') + 1)..]}={FormatValue(kv.Value)}"));

    private static string FormatValue(object? value) => value switch
    {
        double d => d.ToString("0.####", CultureInfo.InvariantCulture) is var s && (s != "0" || d == 0) ? s : d.ToString("0.###e+0", CultureInfo.InvariantCulture),
        _ => TuningOutputs.ValueText(value) ?? "null",
    };

    /// <summary>
    /// Shows the study's progress: a live table (trial, parameters, value, best so far, ETA) on an interactive terminal,
    /// plain lines (one per trial) in logs and pipes.
    /// </summary>
    private abstract class TrialDisplay
    {
        public static TrialDisplay For(ConsoleUi ui) =>
            ui.Err.Profile.Capabilities.Interactive && !Console.IsErrorRedirected ? new LiveTable(ui) : new PlainLines(ui);

        public abstract void Log(string message);
        public abstract void Started(TrialProgress progress);
        public abstract void Finished(TrialProgress progress);
        public virtual void Begin(TuneSettings settings) { }
        public virtual T Run<T>(Func<T> work) => work();

        protected static string State(StudyTrial t) => t.State.ToString().ToLowerInvariant();
        protected static string Eta(TrialProgress p) => p.Eta is { } eta ? eta.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "–";
    }

    private sealed class PlainLines(ConsoleUi ui) : TrialDisplay
    {
        public override void Log(string message) => ui.Info(message);

        public override void Begin(TuneSettings settings) =>
            ui.Info($"study {settings.Study}: {settings.Sampler.Name} sampler, {settings.Pruner.Name} pruner, {settings.Trials} trials, " +
                    $"{(settings.Direction == StudyDirection.Maximize ? "maximise" : "minimise")} {settings.Metric} on {(settings.On == ObjectiveSplit.CrossValidation ? $"{settings.Folds}-fold cv" : "val")}");

        public override void Started(TrialProgress p) => ui.Info($"trial {p.Trial.Number} started: {ShortParameters(p.Trial.Parameters)}");

        public override void Finished(TrialProgress p)
        {
            var t = p.Trial;
            var seconds = TuningOutputs.Seconds(t) is { } s ? s.ToString("0.0", CultureInfo.InvariantCulture) : "?";
            ui.Info($"trial {t.Number} {State(t)}: value {Value(t.Value)}, best {Value(p.Best?.Value)}" +
                    (p.Best is null ? "" : $" (trial {p.Best.Number})") + $", {seconds} s, {p.Finished}/{p.Target} done, ETA {Eta(p)}" +
                    (t.Error is null ? "" : $" — {t.Error}"));
        }
    }

    private sealed class LiveTable(ConsoleUi ui) : TrialDisplay
    {
        private readonly List<string[]> _rows = [];
        private readonly List<string> _messages = [];
        private LiveDisplayContext? _context;
        private string _title = "";
        private string _status = "";

        public override void Begin(TuneSettings settings) =>
            _title = $"{settings.Study}: {settings.Sampler.Name}, {(settings.Direction == StudyDirection.Maximize ? "max" : "min")} {settings.Metric}";

        public override void Log(string message)
        {
            lock (_rows)
            {
                _messages.Add(message);
                if (_messages.Count > 3) _messages.RemoveAt(0);
            }
            Refresh();
        }

        public override void Started(TrialProgress p)
        {
            lock (_rows)
            {
                _rows.Add([p.Trial.Number.ToString(CultureInfo.InvariantCulture), "running", Markup.Escape(ShortParameters(p.Trial.Parameters)), "…", Value(p.Best?.Value), "…"]);
                if (_rows.Count > LiveRows) _rows.RemoveAt(0);
                _status = $"{p.Finished}/{p.Target} done";
            }
            Refresh();
        }

        public override void Finished(TrialProgress p)
        {
            var t = p.Trial;
            lock (_rows)
            {
                var row = _rows.FindLast(r => r[0] == t.Number.ToString(CultureInfo.InvariantCulture));
                if (row is not null)
                {
                    row[1] = t.State == TrialState.Failed ? "[red]failed[/]" : t.State == TrialState.Pruned ? "[grey]pruned[/]" : "[green]complete[/]";
                    row[3] = Value(t.Value);
                    row[4] = Value(p.Best?.Value);
                    row[5] = TuningOutputs.Seconds(t) is { } s ? s.ToString("0.0", CultureInfo.InvariantCulture) : "–";
                }
                _status = $"{p.Finished}/{p.Target} done · ETA {Eta(p)}";
            }
            Refresh();
        }

        public override T Run<T>(Func<T> work)
        {
            T result = default!;
            ui.Err.Live(Build()).AutoClear(false).Start(context =>
            {
                _context = context;
                try { result = work(); }
                finally
                {
                    Refresh();
                    _context = null;
                }
            });
            return result;
        }

        private void Refresh()
        {
            if (_context is not { } context) return;
            context.UpdateTarget(Build());
        }

        private Table Build()
        {
            var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(_title));
            foreach (var (name, right) in new[] { ("trial", true), ("state", false), ("parameters", false), ("value", true), ("best so far", true), ("seconds", true) })
                table.AddColumn(right ? new TableColumn(name).RightAligned() : new TableColumn(name));
            lock (_rows)
            {
                foreach (var row in _rows) table.AddRow(row);
                table.Caption(Markup.Escape(string.Join("\n", _messages.Prepend(_status).Where(m => m.Length > 0))));
            }
            return table;
        }
    }
}
