using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core.Calibration;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Core.Runs;
using Classify.Reports.Html;

namespace Classify.Reports.Tests.Reports;

public class ReliabilityReportTests
{
    /// <summary>Adds a <c>calibration</c> object, as a calibrated run writes it, to a split's metrics file.</summary>
    internal static void AddCalibration(string runDirectory, string split, double temperature)
    {
        var random = new Random(4);
        var schema = new LabelSchema(TaskKind.Multiclass, SyntheticRun.Sentiment);
        var scores = Enumerable.Range(0, 300).Select(_ => Enumerable.Range(0, 3).Select(_ => 3 * random.NextDouble()).ToArray()).ToArray();
        var gold = scores.Select(s => new[] { random.NextDouble() < 0.6 ? DecisionRule.ArgMax(s) : random.Next(3) }).ToArray();
        var summary = CalibrationSummary.Compute(schema, gold, scores, ScoreLink.Softmax, temperature);
        var path = new RunLayout(runDirectory).Metrics(split);
        var metrics = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        metrics["calibration"] = JsonSerializer.SerializeToNode(summary, AtomicFile.JsonOptions);
        AtomicFile.WriteAllText(path, metrics.ToJsonString(AtomicFile.JsonOptions));
    }

    [Fact]
    public void A_calibrated_split_gets_a_reliability_diagram_and_an_uncalibrated_one_does_not()
    {
        using var tmp = new TempDirectory("reliability");
        var dir = SyntheticRun.Sentiment3(tmp.Path, rows: 200, withLog: false);
        Assert.DoesNotContain(RunReport.Write(dir).Charts, c => c.Name.StartsWith("reliability", StringComparison.Ordinal));

        AddCalibration(dir, "test", 1.7);
        var result = RunReport.Write(dir);

        var chart = Assert.Single(result.Charts, c => c.Name.StartsWith("reliability", StringComparison.Ordinal));
        Assert.Equal("reliability_test", chart.Name);
        RunReportTests.AssertValidChart(chart.PngPath, chart.SvgPath);
        var html = File.ReadAllText(result.ReportPath);
        Assert.Contains("Reliability diagram, test", html);
        Assert.Contains("temperature 1.7", html);
        Assert.Contains("ECE", File.ReadAllText(chart.SvgPath));
    }

    [Fact]
    public void A_malformed_calibration_block_is_an_input_error_naming_the_field()
    {
        using var tmp = new TempDirectory("reliability-bad");
        var dir = SyntheticRun.Sentiment3(tmp.Path, rows: 100, withLog: false);
        AddCalibration(dir, "val", 0.8);
        var path = new RunLayout(dir).Metrics("val");
        var metrics = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        metrics["calibration"]!["after"]!.AsObject().Remove("reliability");
        AtomicFile.WriteAllText(path, metrics.ToJsonString(AtomicFile.JsonOptions));

        var e = Assert.Throws<InputException>(() => RunReport.Write(dir));
        Assert.Equal("calibration.after.reliability", e.Field);
        Assert.Equal(path, e.File);
    }
}
