using System.CommandLine;
using System.Globalization;
using Classify.Core.IO;
using Classify.Core.Runs;
using Classify.Reports.Ledger;
using Spectre.Console;

namespace Classify.Cli.Commands;

/// <summary><c>classify runs list</c> and <c>classify runs export --csv DIR --xlsx FILE</c> over runs/ledger.db.</summary>
internal sealed class RunsCommand : ICommandFactory
{
    public Command Create(CommandContext context)
    {
        var runsDir = new Option<string>("--runs-dir") { DefaultValueFactory = _ => "runs", Description = "Folder holding ledger.db.", Recursive = true };

        var list = new Command("list", "List the runs in the ledger.");
        list.SetAction(parse =>
        {
            using var ledger = OpenExisting(context, parse.GetValue(runsDir)!);
            var runs = ledger.ReadRuns();
            int Col(string name) => runs.Columns.Select((c, i) => (c, i)).First(x => x.c.Name == name).i;
            var table = new Table().Border(TableBorder.Rounded);
            string[] shown = ["name", "created_utc", "status", "engine", "task", "n_train", "val_macro_f1", "test_macro_f1", "test_accuracy", "total_seconds"];
            foreach (var s in shown) table.AddColumn(s);
            foreach (var row in runs.Rows)
                table.AddRow(shown.Select(s => Markup.Escape(Format(row[Col(s)]))).ToArray());
            context.Ui.Out.Write(table);
            context.Ui.Info($"{runs.Rows.Count} run(s) in {ledger.Path}");
            return 0;
        });

        var csv = new Option<string?>("--csv") { Description = "Folder for runs.csv, trials.csv and per_class_metrics.csv." };
        var xlsx = new Option<string?>("--xlsx") { Description = "Workbook path (.xlsx) with one sheet per table." };
        var export = new Command("export", "Export every run and trial to CSV and/or XLSX.") { csv, xlsx };
        export.SetAction(parse =>
        {
            var csvDir = parse.GetValue(csv);
            var xlsxPath = parse.GetValue(xlsx);
            if (csvDir is null && xlsxPath is null) throw new InputException("give --csv DIR and/or --xlsx FILE", field: "export");
            using var ledger = OpenExisting(context, parse.GetValue(runsDir)!);
            var tables = ledger.ReadTables();
            if (csvDir is not null)
            {
                LedgerExport.WriteCsv(tables, csvDir);
                context.Ui.Info($"wrote {string.Join(", ", tables.Select(t => t.Name + ".csv"))} to {Path.GetFullPath(csvDir)}");
            }
            if (xlsxPath is not null)
            {
                if (!xlsxPath.EndsWith(".xlsx", StringComparison.OrdinalIgnoreCase)) throw new InputException("the workbook name must end in .xlsx", xlsxPath, field: "--xlsx");
                LedgerExport.WriteXlsx(tables, xlsxPath);
                context.Ui.Info($"wrote {Path.GetFullPath(xlsxPath)}");
            }
            return 0;
        });

        return new Command("runs", "The run ledger.") { runsDir, list, export };
    }

    private static Ledger OpenExisting(CommandContext context, string runsDir)
    {
        var path = Path.Combine(runsDir, RunLayout.LedgerFileName);
        if (!File.Exists(path)) throw new InputException("no ledger yet: train a model first (or pass --runs-dir)", path);
        context.RecoverRuns(runsDir);   // runs whose process is gone are listed as interrupted, not running
        return Ledger.Open(path);
    }

    private static string Format(object? value) => value switch
    {
        null => "–",
        double d => d.ToString("0.####", CultureInfo.InvariantCulture),
        DateTime t => t.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}
