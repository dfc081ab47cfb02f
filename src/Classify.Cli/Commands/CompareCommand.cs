using System.CommandLine;
using Classify.Core.Metrics;
using System.Globalization;
using Classify.Core.IO;
using Classify.Reports.Comparison;
using Spectre.Console;

namespace Classify.Cli.Commands;

/// <summary><c>classify compare RUN_DIR...</c>: one table of val/test metrics with improvement over the first run, as CSV, XLSX and HTML.</summary>
internal sealed class CompareCommand : ICommandFactory
{
    public Command Create(CommandContext context)
    {
        var runs = new Argument<DirectoryInfo[]>("runs") { Description = "Run folders; the first is the baseline.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "Output folder.", DefaultValueFactory = _ => "runs/comparison" };
        var command = new Command("compare", "Compare runs: metrics table, improvement over the first, chart.") { runs, output };
        command.SetAction(parse =>
        {
            var dirs = parse.GetValue(runs)!;
            foreach (var d in dirs) if (!d.Exists) throw new InputException("run folder not found", d.FullName);
            foreach (var d in dirs) context.RecoverRun(d.FullName);
            var comparison = RunComparison.Load(dirs.Select(d => d.FullName).ToArray());
            var files = comparison.Write(parse.GetValue(output)!);

            var table = new Table().Border(TableBorder.Rounded).Title("comparison");
            table.AddColumn("run");
            foreach (var split in RunComparison.SplitNames)
                foreach (var metric in MetricKeys.Compared) table.AddColumn(new TableColumn($"{split} {metric}").RightAligned());
            for (int i = 0; i < comparison.Runs.Count; i++)
            {
                var r = comparison.Runs[i];
                var cells = new List<string> { Markup.Escape(r.Name) };
                foreach (var split in RunComparison.SplitNames)
                    foreach (var metric in MetricKeys.Compared)
                    {
                        var v = r.Get(split, metric);
                        var imp = i == 0 ? null : comparison.ImprovementPercent(i, split, metric);
                        cells.Add(v is null ? "–" : v.Value.ToString("0.0000", CultureInfo.InvariantCulture) +
                            (imp is { } p ? $" ({(p >= 0 ? "+" : "")}{p.ToString("0.0", CultureInfo.InvariantCulture)}%)" : ""));
                    }
                table.AddRow(cells.ToArray());
            }
            context.Ui.Out.Write(table);
            context.Ui.Info($"wrote {files.Csv}, {files.Xlsx}, {files.Html}");
            return 0;
        });
        return command;
    }
}
