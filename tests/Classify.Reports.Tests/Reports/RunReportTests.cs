using System.Diagnostics;
using System.Text.RegularExpressions;
using Classify.Core.Runs;
using Classify.Reports.Html;

namespace Classify.Reports.Tests.Reports;

public class RunReportTests
{
    internal static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    internal static void AssertValidChart(string png, string svg)
    {
        var bytes = File.ReadAllBytes(png);
        Assert.True(bytes.AsSpan(0, 8).SequenceEqual(PngSignature), $"{png} is not a PNG");
        Assert.True(bytes.Length > 5_000, $"{png} is only {bytes.Length} bytes");
        var text = File.ReadAllText(svg);
        Assert.Contains("<svg", text);
        Assert.EndsWith("</svg>", text.TrimEnd());
        Assert.True(text.Length > 2_000, $"{svg} is only {text.Length} characters");
        System.Xml.Linq.XDocument.Parse(text); // well-formed XML
    }

    [Fact]
    public void ThreeClassReport_WritesEveryChartAndASelfContainedPage()
    {
        using var tmp = new TempDirectory("report3");
        var dir = SyntheticRun.Sentiment3(tmp.Path);

        var result = RunReport.Write(dir);

        var names = result.Charts.Select(c => c.Name).ToHashSet();
        string[] expected =
        [
            "analysis_grid", "metrics_val_vs_test", "class_distribution", "confusion_matrix_val", "confusion_matrix_val_normalized",
            "confusion_matrix_test", "confusion_matrix_test_normalized", "roc_val", "roc_test", "pr_val", "pr_test",
            "per_label_f1_val", "per_label_f1_test", "training_curves",
        ];
        foreach (var name in expected) Assert.Contains(name, names);
        foreach (var chart in result.Charts)
        {
            Assert.Equal(Path.Combine(dir, "plots", chart.Name + ".png"), chart.PngPath);
            AssertValidChart(chart.PngPath, chart.SvgPath);
        }

        var html = File.ReadAllText(result.ReportPath);
        AssertSelfContained(html);
        foreach (var section in new[] { "id=\"manifest\"", "id=\"metrics\"", "id=\"per-class\"", "id=\"charts\"", "id=\"errors\"", "id=\"config\"" })
            Assert.Contains(section, html);
        Assert.Equal(result.Charts.Count, Regex.Matches(html, "<img src=\"data:image/png;base64,").Count);
        Assert.Contains("macro avg", html);
        Assert.Contains("weighted avg", html);
        Assert.Contains("sentiment-3", html);
        // Texts are escaped: the synthetic data holds a <script> tag.
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;", html);
        Assert.Contains("&quot;ngram_range&quot;", html);
    }

    [Fact]
    public void LinearRunWithoutLog_HasNoTrainingCurves()
    {
        using var tmp = new TempDirectory("nolog");
        var dir = SyntheticRun.Sentiment3(tmp.Path, rows: 120, withLog: false);
        var result = RunReport.Write(dir);
        Assert.DoesNotContain(result.Charts, c => c.Name == "training_curves");
        Assert.Contains(result.Charts, c => c.Name == "analysis_grid");
    }

    [Fact]
    public void Every_run_status_has_a_style()
    {
        var statuses = typeof(RunStatus).GetFields().Select(f => (string)f.GetValue(null)!).ToArray();
        Assert.Contains(RunStatus.Interrupted, statuses);
        foreach (var status in statuses)
            Assert.Matches($@"\.status-{status}\b[^{{]*\{{[^}}]*color:", Html.Html.StyleSheet);
    }

    [Fact]
    public void RunWithTestSplitOnly_StillRendersTheGrid()
    {
        using var tmp = new TempDirectory("testonly");
        var dir = SyntheticRun.Sentiment3(tmp.Path, rows: 100, withLog: false);
        var layout = new RunLayout(dir);
        File.Delete(layout.Metrics("val"));
        File.Delete(layout.Predictions("val"));
        var result = RunReport.Write(dir);
        Assert.DoesNotContain(result.Charts, c => c.Name.EndsWith("_val", StringComparison.Ordinal));
        AssertValidChart(Path.Combine(dir, "plots", "analysis_grid.png"), Path.Combine(dir, "plots", "analysis_grid.svg"));
    }

    internal static void AssertSelfContained(string html)
    {
        Assert.DoesNotMatch(new Regex(@"\b(src|href)\s*=\s*[""']?\s*(https?:)?//", RegexOptions.IgnoreCase), html);
        Assert.DoesNotMatch(new Regex(@"url\(\s*[""']?(https?:)?//", RegexOptions.IgnoreCase), html);
        Assert.DoesNotMatch(new Regex(@"@import", RegexOptions.IgnoreCase), html);
        Assert.DoesNotMatch(new Regex(@"<link\b", RegexOptions.IgnoreCase), html);
    }
}
