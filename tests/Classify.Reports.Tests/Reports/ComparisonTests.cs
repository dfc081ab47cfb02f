using System.Text.Json;
using ClosedXML.Excel;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Reports.Comparison;

namespace Classify.Reports.Tests.Reports;

public class ComparisonTests
{
    private static double Metric(string runDir, string split, string key)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(runDir, "metrics", split + ".json")));
        return doc.RootElement.GetProperty(key).GetDouble();
    }

    [Fact]
    public void ImprovementIsRelativeToTheFirstRun_AndAllFilesAreWritten()
    {
        using var tmp = new TempDirectory("compare");
        var baseline = SyntheticRun.Sentiment3(tmp.Path, rows: 150, withLog: false, name: "baseline", skill: 1.0, seed: 3);
        var better = SyntheticRun.Sentiment3(tmp.Path, rows: 150, withLog: false, name: "better", skill: 2.0, seed: 4);

        var comparison = RunComparison.Load([baseline, better]);

        Assert.Equal(["baseline", "better"], comparison.Runs.Select(r => r.Name));
        foreach (var split in new[] { "val", "test" })
        foreach (var metric in Core.Metrics.MetricKeys.Compared)
        {
            double b = Metric(baseline, split, metric), v = Metric(better, split, metric);
            Assert.Equal((v - b) / b * 100, comparison.ImprovementPercent(1, split, metric)!.Value, 10);
            Assert.Equal(0, comparison.ImprovementPercent(0, split, metric)!.Value, 12);
        }
        Assert.True(comparison.ImprovementPercent(1, "test", "macro_f1") > 0);

        var outDir = Path.Combine(tmp.Path, "comparison");
        var files = comparison.Write(outDir);
        var written = CsvTable.Read(files.Csv);
        Assert.Equal(2, written.Rows.Count);
        int column = written.Header.IndexOf("test_macro_f1_change_pct");
        Assert.True(column > 0);
        Assert.Equal(comparison.ImprovementPercent(1, "test", "macro_f1")!.Value, double.Parse(written.Rows[1][column]!, System.Globalization.CultureInfo.InvariantCulture), 12);
        using (var workbook = new XLWorkbook(files.Xlsx))
        {
            var cell = workbook.Worksheet(1).Cell(3, column + 1);
            Assert.Equal(XLDataType.Number, cell.DataType);
            Assert.Equal(comparison.ImprovementPercent(1, "test", "macro_f1")!.Value, cell.GetDouble(), 12);
        }
        RunReportTests.AssertValidChart(files.Chart.PngPath, files.Chart.SvgPath);
        var html = File.ReadAllText(files.Html);
        RunReportTests.AssertSelfContained(html);
        Assert.Contains("better", html);
        Assert.Contains("%)", html);
    }

    [Fact]
    public void A_run_folder_is_refused_as_output_and_left_as_it_was()
    {
        using var tmp = new TempDirectory("compare-into-run");
        var baseline = SyntheticRun.Sentiment3(tmp.Path, rows: 60, withLog: false, name: "baseline", skill: 1.0, seed: 3);
        var other = SyntheticRun.Sentiment3(tmp.Path, rows: 60, withLog: false, name: "comparison", skill: 2.0, seed: 4);
        var before = Directory.GetFiles(other, "*", SearchOption.AllDirectories).Order().ToArray();

        var e = Assert.Throws<InputException>(() => RunComparison.Load([baseline, other]).Write(other));

        Assert.Equal("--output", e.Field);
        Assert.Contains("run folder", e.Message);
        Assert.Equal(before, Directory.GetFiles(other, "*", SearchOption.AllDirectories).Order().ToArray());
    }

    [Fact]
    public void MissingMetricOrZeroBaseline_GivesNoImprovement()
    {
        var runs = new List<ComparedRun>
        {
            new("a", "/runs/a", "multiclass", new Dictionary<string, IReadOnlyDictionary<string, double?>>
            {
                ["test"] = new Dictionary<string, double?> { ["accuracy"] = 0.0, ["macro_f1"] = 0.5 },
            }),
            new("b", "/runs/b", "multiclass", new Dictionary<string, IReadOnlyDictionary<string, double?>>
            {
                ["test"] = new Dictionary<string, double?> { ["accuracy"] = 0.4, ["macro_f1"] = 0.55 },
            }),
        };
        var comparison = RunComparison.FromRuns(runs);
        Assert.Null(comparison.ImprovementPercent(1, "test", "accuracy"));
        Assert.Null(comparison.ImprovementPercent(1, "val", "macro_f1"));
        Assert.Equal(10.0, comparison.ImprovementPercent(1, "test", "macro_f1")!.Value, 10);
    }

    [Fact]
    public void NotARunFolder_IsAnInputError()
    {
        using var tmp = new TempDirectory("notrun");
        var e = Assert.Throws<InputException>(() => RunComparison.Load([tmp.Path]));
        Assert.Contains(tmp.Path, e.Message);
    }
}
