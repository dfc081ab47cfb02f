using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Classify.Cli.Terminal;
using Classify.Core.Configuration;
using Classify.Core.Metrics;
using Classify.Core.Runs;
using Classify.Core.Splitting;
using Classify.Reports;
using Spectre.Console;

namespace Classify.Cli.Commands;

/// <summary>
/// <c>classify train</c>: runs an experiment from a YAML config and/or flags, writes the run folder, the report and
/// the ledger row, and prints a summary. Every config key can be set with <c>--set key.path=value</c>; the common
/// ones also have their own flags.
/// </summary>
internal sealed class TrainCommand : ICommandFactory
{
    public Command Create(CommandContext context)
    {
        var config = new Option<FileInfo?>("--config", "-c") { Description = "YAML experiment config (see examples/)." };
        var set = new Option<string[]>("--set") { Description = "Override any config key: --set linear.search.cv=5 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var target = new Option<string[]>("--target") { Description = "Target check for summary_report.txt, e.g. macro_f1>=0.6 (repeatable)." };
        var failOnTarget = new Option<bool>("--fail-on-target") { Description = "Exit with code 3 when a --target is not met." };
        var noReport = new Option<bool>("--no-report") { Description = "Skip plots and report.html." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing run of the same name (its saved split in splits/ is kept)." };
        var flags = new Dictionary<string, Option<string?>>
        {
            ["name"] = new("--name") { Description = "Run name (folder under runs_dir)." },
            ["seed"] = new("--seed") { Description = "Seed for splits, initialisation and shuffling (default 42)." },
            ["runs_dir"] = new("--runs-dir") { Description = "Parent folder of runs and the ledger (default runs)." },
            ["engine"] = new("--engine") { Description = "linear or transformer." },
            ["data.path"] = new("--data") { Description = "Data file: .csv, .tsv or .jsonl." },
            ["data.text_col"] = new("--text-col") { Description = "Text column (default text)." },
            ["data.label_col"] = new("--label-col") { Description = "Label column (default label)." },
            ["data.id_col"] = new("--id-col") { Description = "Id column (default: row number)." },
            ["data.group_col"] = new("--group-col") { Description = "Group column: a group never spans two splits." },
            ["data.split_col"] = new("--split-col") { Description = "Predefined split column (train/val/test)." },
            ["data.labels_file"] = new("--labels-file") { Description = "Label names, one per line (integer labels index into it)." },
            ["data.label_delimiter"] = new("--label-delimiter") { Description = "Separator of multi-label lists (default ,)." },
            ["data.format"] = new("--format") { Description = "csv, tsv or jsonl (default: from the extension)." },
        };
        var multilabel = new Option<bool>("--multilabel") { Description = "Multi-label task (labels are lists)." };

        var command = new Command("train", "Train a classifier: data → split → train → evaluate → run folder.") { config, set, target, failOnTarget, noReport, multilabel, overwrite };
        foreach (var o in flags.Values) command.Options.Add(o);
        command.SetAction(parse =>
        {
            var ui = context.Ui;
            var artifacts = new RunArtifacts { Targets = RunArtifacts.ParseTargets(parse.GetValue(target)), WithReport = !parse.GetValue(noReport) };
            // Dedicated flags are literal text (only --set values are YAML): --name 'exp #2' names the run "exp #2".
            var flagTree = ConfigFlags.Tree(parse, flags, "seed");
            if (parse.GetValue(multilabel)) ConfigDocument.Set(flagTree, "data.multilabel", true);
            var cfg = ExperimentConfig.Load(parse.GetValue(config)?.FullName, parse.GetValue(set), flagTree);
            context.RecoverRuns(cfg.RunsDirectory);
            var experiment = new Experiment(cfg)
            {
                Log = ui.Info, SplitReady = s => PrintSplit(ui, s), Artifacts = [artifacts],
                ExistingRun = parse.GetValue(overwrite) ? ExistingRunPolicy.Overwrite : ExistingRunPolicy.Refuse,
            };
            var result = ui.WithProgress(p => experiment.Run(p, context.Cancellation));
            PrintMetrics(ui, result.Validation, result.Test);
            ui.Info($"run folder: {result.Layout.Root}");
            var targetsMet = TargetOutput.Print(artifacts.Summary, ui);
            return !targetsMet && parse.GetValue(failOnTarget) ? 3 : 0;
        });
        return command;
    }

    internal static void PrintSplit(ConsoleUi ui, SplitSummary summary)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("split");
        table.AddColumn("split");
        table.AddColumn(new TableColumn("n").RightAligned());
        bool showLabels = summary.Labels.Count <= 8;
        if (showLabels) foreach (var l in summary.Labels) table.AddColumn(new TableColumn(Markup.Escape(l)).RightAligned());
        else table.AddColumn("labels (top 5 %)");
        foreach (var row in summary.Rows)
        {
            var cells = new List<string> { row.Split, row.Count.ToString("N0", CultureInfo.InvariantCulture) };
            if (showLabels) cells.AddRange(row.LabelPercentages.Select(p => p.ToString("0.0", CultureInfo.InvariantCulture) + "%"));
            else cells.Add(Markup.Escape(string.Join("  ", row.LabelPercentages.Select((p, k) => (p, k)).OrderByDescending(x => x.p).Take(5)
                .Select(x => $"{summary.Labels[x.k]} {x.p.ToString("0.0", CultureInfo.InvariantCulture)}%"))));
            table.AddRow(cells.ToArray());
        }
        ui.Err.Write(table);
    }

    internal static void PrintMetrics(ConsoleUi ui, params MetricReport?[] reports)
    {
        var present = reports.Where(r => r is not null).Cast<MetricReport>().ToArray();
        if (present.Length == 0) return;
        var table = new Table().Border(TableBorder.Rounded).Title("metrics");
        table.AddColumn("metric");
        foreach (var r in present) table.AddColumn(new TableColumn(r.Split).RightAligned());
        var keys = MetricKeys.Headline;
        foreach (var key in keys)
        {
            if (!present.Any(r => r.TryGet(key, out _))) continue;
            table.AddRow([key, .. present.Select(r => r.TryGet(key, out var v) ? v.ToString("0.0000", CultureInfo.InvariantCulture) : "–")]);
        }
        // A model with an abstain rule: the metrics above are on every example; these on the kept ones.
        if (present.Any(r => r.Abstention is not null))
        {
            static string Cell(double? v) => v?.ToString("0.0000", CultureInfo.InvariantCulture) ?? "–";
            table.AddRow(["coverage (abstain)", .. present.Select(r => Cell(r.Abstention?.Coverage))]);
            table.AddRow(["selective accuracy", .. present.Select(r => Cell(r.Abstention?.SelectiveAccuracy))]);
            table.AddRow(["selective macro_f1", .. present.Select(r => Cell(r.Abstention?.SelectiveMacroF1))]);
        }
        ui.Out.Write(table);
    }
}
