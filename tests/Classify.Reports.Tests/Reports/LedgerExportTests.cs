using System.Globalization;
using ClosedXML.Excel;
using Classify.Core.Data;
using Classify.Core.Runs;
using Classify.Reports.Ledger;

namespace Classify.Reports.Tests.Reports;

public class LedgerExportTests
{
    private static IReadOnlyList<LedgerTable> Tables()
    {
        var created = new DateTime(2025, 3, 4, 5, 6, 7, DateTimeKind.Utc);
        var runs = new LedgerTable("runs",
        [
            new("run_id", LedgerColumnType.Text), new("name", LedgerColumnType.Text), new("created_utc", LedgerColumnType.DateTime),
            new("seed", LedgerColumnType.Integer), new("n_test", LedgerColumnType.Integer), new("test_macro_f1", LedgerColumnType.Real),
            new("test_log_loss", LedgerColumnType.Real), new("config_json", LedgerColumnType.Text),
        ],
        [
            ["r1", "baseline, \"quoted\"", created, 42L, 4123L, 0.7231234567890123, 0.61, "{\"C\": 1.0}"],
            ["r2", "007", created.AddHours(1), 7L, 4123L, 0.745, null, "line1\nline2"],
        ]);
        var trials = new LedgerTable("trials",
        [
            new("run_id", LedgerColumnType.Text), new("trial_number", LedgerColumnType.Integer), new("params_json", LedgerColumnType.Text),
            new("mean_score", LedgerColumnType.Real), new("std_score", LedgerColumnType.Real), new("fit_seconds", LedgerColumnType.Real),
            new("state", LedgerColumnType.Text),
        ],
        Enumerable.Range(0, 12).Select(i => new object?[] { "r1", (long)i, $"{{\"C\": {i}}}", 0.6 + i / 100.0, 0.01 * i, 1.5 * i, "complete" }).ToList());
        var perClass = new LedgerTable("per_class_metrics",
        [
            new("run_id", LedgerColumnType.Text), new("split", LedgerColumnType.Text), new("label", LedgerColumnType.Text),
            new("precision", LedgerColumnType.Real), new("recall", LedgerColumnType.Real), new("f1", LedgerColumnType.Real),
            new("support", LedgerColumnType.Integer), new("roc_auc", LedgerColumnType.Real), new("pr_auc", LedgerColumnType.Real),
        ],
        [
            ["r1", "test", "negative", 0.8, 0.75, 0.7741935483870968, 300L, 0.91, 0.85],
            ["r1", "test", "neutral", 0.0, 0.0, 0.0, 0L, null, null],
        ]);
        return [runs, trials, perClass];
    }

    [Fact]
    public void XlsxHoldsTheSameTypedValuesAsTheCsvFiles()
    {
        using var tmp = new TempDirectory("ledger");
        var tables = Tables();
        var csvPaths = LedgerExport.WriteCsv(tables, Path.Combine(tmp.Path, "csv"));
        var xlsx = Path.Combine(tmp.Path, "ledger.xlsx");
        LedgerExport.WriteXlsx(tables, xlsx);

        Assert.Equal(["runs.csv", "trials.csv", "per_class_metrics.csv"], csvPaths.Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(tmp.Path, "*.tmp", SearchOption.AllDirectories));
        using var workbook = new XLWorkbook(xlsx);
        Assert.Equal(["runs", "trials", "per_class_metrics"], workbook.Worksheets.Select(w => w.Name));
        for (int t = 0; t < tables.Count; t++)
        {
            var table = tables[t];
            var sheet = workbook.Worksheet(table.Name);
            var written = CsvTable.Read(csvPaths[t]);
            Assert.Equal(table.Rows.Count, written.Rows.Count);
            Assert.Equal(table.Columns.Select(c => c.Name), written.Header);
            Assert.Equal(1, sheet.SheetView.SplitRow);
            for (int c = 0; c < table.Columns.Count; c++)
            {
                var header = sheet.Cell(1, c + 1);
                Assert.Equal(table.Columns[c].Name, header.GetString());
                Assert.True(header.Style.Font.Bold);
                Assert.True(sheet.Column(c + 1).Width >= table.Columns[c].Name.Length, $"column {table.Columns[c].Name} is too narrow");
            }
            for (int r = 0; r < table.Rows.Count; r++)
            for (int c = 0; c < table.Columns.Count; c++)
            {
                var cell = sheet.Cell(r + 2, c + 1);
                var csv = written.Rows[r][c]!;
                var what = $"{table.Name}[{r}].{table.Columns[c].Name}";
                if (table.Rows[r][c] == null)
                {
                    Assert.True(cell.IsEmpty(), what);
                    Assert.Equal("", csv);
                    continue;
                }
                switch (table.Columns[c].Type)
                {
                    case LedgerColumnType.Real or LedgerColumnType.Integer:
                        Assert.Equal(XLDataType.Number, cell.DataType);
                        // Excel keeps 15 significant digits; the CSV keeps all 17.
                        double number = double.Parse(csv, CultureInfo.InvariantCulture);
                        Assert.True(Math.Abs(number - cell.GetDouble()) <= 1e-14 * Math.Max(1, Math.Abs(number)), $"{what}: {cell.GetDouble():R} vs {csv}");
                        break;
                    case LedgerColumnType.DateTime:
                        Assert.Equal(XLDataType.DateTime, cell.DataType);
                        var expected = DateTime.Parse(csv, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);
                        Assert.Equal(expected, cell.GetDateTime());
                        break;
                    default:
                        Assert.Equal(XLDataType.Text, cell.DataType);
                        Assert.Equal(csv, cell.GetString());
                        break;
                }
            }
        }
        // Values survive exactly: a text that looks like a number stays text, doubles round-trip.
        Assert.Equal("007", workbook.Worksheet("runs").Cell(3, 2).GetString());
        Assert.Equal(0.7231234567890123, workbook.Worksheet("runs").Cell(2, 6).GetDouble(), 14);
        Assert.Equal("baseline, \"quoted\"", workbook.Worksheet("runs").Cell(2, 2).GetString());
        Assert.Equal("line1\nline2", CsvTable.Read(csvPaths[0]).Rows[1][7]);
    }
}
