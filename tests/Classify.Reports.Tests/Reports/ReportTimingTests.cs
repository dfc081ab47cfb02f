using System.Diagnostics;
using Classify.Reports.Html;

namespace Classify.Reports.Tests.Reports;

/// <summary>Runs alone (no other test class in parallel) so the timing measures the report, not the test run.</summary>
[CollectionDefinition(nameof(ReportTimingCollection), DisableParallelization = true)]
public sealed class ReportTimingCollection;

[Collection(nameof(ReportTimingCollection))]
public class ReportTimingTests
{
    [Fact]
    public void TwentyEightLabelReport_With5000TestRows_IsWrittenInUnderTenSeconds()
    {
        using var tmp = new TempDirectory("report28");
        var dir = SyntheticRun.GoEmotions28(tmp.Path);
        // Warm up ScottPlot/Skia (font and native library loading) so the timing measures the report itself.
        using (var warm = new TempDirectory("warm")) RunReport.Write(SyntheticRun.Sentiment3(warm.Path, rows: 50, withLog: false));

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var result = RunReport.Write(dir);
        clock.Stop();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;

        // The issue asks for < 10 s on a normal machine. When other processes saturate the CPUs, wall time says
        // little, so then the CPU time this process spent must fit in 10 s on the cores it may use.
        double load = LoadPerCore();
        string figures = $"28-label report: {clock.Elapsed.TotalSeconds:0.0} s wall, {cpu.TotalSeconds:0.0} s CPU, load {load:0.0} per core";
        Console.WriteLine(figures);
        if (load < 1.5) Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), figures);
        else Assert.True(cpu < TimeSpan.FromSeconds(10 * Math.Min(Environment.ProcessorCount, 4)), figures);
        string[] expected = ["cooccurrence_val", "cooccurrence_test", "threshold_f1_test", "per_label_f1_test", "roc_test", "pr_test", "training_curves", "analysis_grid"];
        foreach (var name in expected) Assert.Contains(result.Charts, c => c.Name == name);
        Assert.DoesNotContain(result.Charts, c => c.Name.StartsWith("confusion_matrix", StringComparison.Ordinal));
        foreach (var chart in result.Charts) RunReportTests.AssertValidChart(chart.PngPath, chart.SvgPath);
        // Curves are downsampled for drawing: 28 curves of ~5,000 thresholds must not bloat the SVG.
        Assert.True(new FileInfo(Path.Combine(dir, "plots", "pr_test.svg")).Length < 1_500_000);
        var html = File.ReadAllText(result.ReportPath);
        RunReportTests.AssertSelfContained(html);
        Assert.Contains("samples avg", html);
        Assert.Contains("grief", html);
    }

    /// <summary>1-minute load average per core (Linux), 0 when unknown.</summary>
    private static double LoadPerCore()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(first, System.Globalization.CultureInfo.InvariantCulture) / Environment.ProcessorCount;
        }
        catch (IOException) { return 0; }
        catch (UnauthorizedAccessException) { return 0; }
    }
}
