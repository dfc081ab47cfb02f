using System.Globalization;
using System.Text;
using Classify.Core.IO;
using Classify.Core.Metrics;
using Classify.Core.Runs;
using Classify.Reports.Charts;
using Classify.Reports.Ledger;
using Classify.Reports.RunData;

namespace Classify.Reports.Comparison;

/// <summary>One run's headline metrics as read for a comparison.</summary>
/// <param name="Name">Run name (run.json, else the folder name).</param>
/// <param name="Directory">Full path of the run folder.</param>
/// <param name="Task">Task name.</param>
/// <param name="Metrics">Per split ("val", "test"), per metric key, the value (null when absent or undefined).</param>
public sealed record ComparedRun(string Name, string Directory, string Task, IReadOnlyDictionary<string, IReadOnlyDictionary<string, double?>> Metrics)
{
    /// <summary>The value of <paramref name="metric"/> on <paramref name="split"/>, or null.</summary>
    public double? Get(string split, string metric) =>
        Metrics.TryGetValue(split, out var m) && m.TryGetValue(metric, out var v) ? v : null;
}

/// <summary>The files <see cref="RunComparison.Write"/> produced.</summary>
/// <param name="Csv">comparison.csv</param>
/// <param name="Xlsx">comparison.xlsx</param>
/// <param name="Html">comparison.html (self-contained, chart inlined)</param>
/// <param name="Chart">The grouped bar chart (comparison.png and comparison.svg).</param>
public sealed record ComparisonFiles(string Csv, string Xlsx, string Html, ChartFile Chart);

/// <summary>
/// Compares several runs side by side: validation and test accuracy, macro precision, macro recall and macro F1
/// (<see cref="Core.Metrics.MetricKeys.Compared"/>), each with its relative change over the FIRST run in percent ((value − first) / first
/// × 100; the first run is the baseline). Written as CSV, XLSX, a grouped bar chart and a self-contained HTML page.
/// </summary>
public sealed class RunComparison
{

    /// <summary>The compared splits, in column order.</summary>
    public static readonly IReadOnlyList<string> SplitNames = ["val", "test"];

    private RunComparison(IReadOnlyList<ComparedRun> runs) => Runs = runs;

    /// <summary>The runs in the order given; the first is the baseline.</summary>
    public IReadOnlyList<ComparedRun> Runs { get; }

    /// <summary>Reads metrics/*.json (and run.json) of each run folder.</summary>
    /// <exception cref="ArgumentException">No run folder was given.</exception>
    /// <exception cref="InputException">A folder is not a run folder or a file in it is malformed.</exception>
    public static RunComparison Load(IReadOnlyList<string> runDirectories)
    {
        ArgumentNullException.ThrowIfNull(runDirectories);
        if (runDirectories.Count == 0) throw new ArgumentException("Give at least one run folder to compare.", nameof(runDirectories));
        var runs = runDirectories.Select(dir =>
        {
            var run = RunFolder.Load(dir, withPredictions: false);
            var metrics = run.Metrics.ToDictionary(kv => kv.Key, kv => kv.Value.Scalars, StringComparer.Ordinal);
            return new ComparedRun(run.Name, run.Layout.Root, run.Task, metrics);
        }).ToList();
        return new RunComparison(runs);
    }

    /// <summary>Creates a comparison from runs already in memory (the first is the baseline).</summary>
    public static RunComparison FromRuns(IReadOnlyList<ComparedRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0) throw new ArgumentException("Give at least one run to compare.", nameof(runs));
        return new RunComparison(runs);
    }

    /// <summary>
    /// Relative change of run <paramref name="runIndex"/> over the first run in percent, or null when either value
    /// is missing or the baseline is 0. Positive means better for every compared metric (all are higher-is-better).
    /// </summary>
    public double? ImprovementPercent(int runIndex, string split, string metric)
    {
        var baseline = Runs[0].Get(split, metric);
        var value = Runs[runIndex].Get(split, metric);
        if (baseline is not { } b || value is not { } v || b == 0) return null;
        return (v - b) / b * 100.0;
    }

    /// <summary>
    /// The comparison as a typed table: run, run_dir, task, then per split and metric the value
    /// (<c>test_macro_f1</c>) and its change over the first run (<c>test_macro_f1_change_pct</c>).
    /// </summary>
    public LedgerTable ToTable()
    {
        var columns = new List<LedgerColumn>
        {
            new("run", LedgerColumnType.Text), new("run_dir", LedgerColumnType.Text), new("task", LedgerColumnType.Text),
        };
        foreach (var split in SplitNames)
        foreach (var metric in Core.Metrics.MetricKeys.Compared)
        {
            var column = new SplitMetric(split, metric).Column;
            columns.Add(new(column, LedgerColumnType.Real));
            columns.Add(new($"{column}_change_pct", LedgerColumnType.Real));
        }
        var rows = new List<object?[]>();
        for (int r = 0; r < Runs.Count; r++)
        {
            var row = new List<object?> { Runs[r].Name, Runs[r].Directory, Runs[r].Task };
            foreach (var split in SplitNames)
            foreach (var metric in Core.Metrics.MetricKeys.Compared)
            {
                row.Add(Runs[r].Get(split, metric));
                row.Add(ImprovementPercent(r, split, metric));
            }
            rows.Add(row.ToArray());
        }
        return new LedgerTable("comparison", columns, rows);
    }

    /// <summary>Writes comparison.csv, comparison.xlsx, comparison.png/.svg and comparison.html into <paramref name="outputDirectory"/>.</summary>
    /// <exception cref="InputException"><paramref name="outputDirectory"/> is a run folder (its files would mix with the run's).</exception>
    public ComparisonFiles Write(string outputDirectory)
    {
        if (File.Exists(new RunLayout(outputDirectory).RunJson))
            throw new InputException("this is a run folder; write the comparison elsewhere", Path.GetFullPath(outputDirectory), field: "--output");
        var table = ToTable();
        var csv = LedgerExport.WriteCsv([table], outputDirectory)[0];
        var xlsx = Path.GetFullPath(Path.Combine(outputDirectory, "comparison.xlsx"));
        LedgerExport.WriteXlsx([table], xlsx);
        var rendered = RenderChart();
        var chart = rendered.Save(outputDirectory);
        var html = Path.GetFullPath(Path.Combine(outputDirectory, "comparison.html"));
        AtomicFile.WriteAllText(html, BuildHtml(rendered));
        return new ComparisonFiles(csv, xlsx, html, chart);
    }

    internal RenderedChart RenderChart()
    {
        var categories = SplitNames.SelectMany(s => Core.Metrics.MetricKeys.Compared.Select(m => $"{(s == "val" ? "val" : "test")} {Core.Metrics.MetricKeys.DisplayName(m)}")).ToList();
        var series = Runs.Select((run, i) => new BarSeries(
            i == 0 ? $"{run.Name} (baseline)" : run.Name,
            SplitNames.SelectMany(s => Core.Metrics.MetricKeys.Compared.Select(m => run.Get(s, m))).ToList())).ToList();
        var plot = BarChart.Grouped("Run comparison", "Score", categories, series, yMax: 1.18, valueFormat: "0.00");
        var (w, h) = BarChart.GroupedSize(categories, Runs.Count);
        return ChartKit.Render(plot, Math.Max(w, 1000), h, "comparison", "Run comparison",
            "Validation and test metrics per run; the first run is the baseline.");
    }

    private string BuildHtml(RenderedChart chart)
    {
        var html = new StringBuilder();
        Html.Html.BeginPage(html, "Classify run comparison");
        html.Append("<h1>Run comparison</h1>\n<p class=\"subtitle\">")
            .Append(Html.Html.Escape($"{Runs.Count} runs · baseline: {Runs[0].Name} · change = (value − baseline) / baseline × 100"))
            .Append("</p>\n");
        foreach (var split in SplitNames)
        {
            html.Append("<h2>").Append(split == "val" ? "Validation" : "Test").Append("</h2>\n");
            var header = new List<string> { "Run" };
            header.AddRange(Core.Metrics.MetricKeys.Compared.Select(Core.Metrics.MetricKeys.DisplayName));
            var rows = Runs.Select((run, r) =>
            {
                var row = new List<string> { run.Name };
                foreach (var metric in Core.Metrics.MetricKeys.Compared)
                {
                    var value = Html.Html.Number(run.Get(split, metric));
                    row.Add(r == 0 || ImprovementPercent(r, split, metric) is not { } pct
                        ? value
                        : $"{value} ({pct.ToString("+0.0;-0.0;0.0", CultureInfo.InvariantCulture)}%)");
                }
                return (IReadOnlyList<string>)row;
            });
            Html.Html.Table(html, header, rows, Enumerable.Range(1, Core.Metrics.MetricKeys.Compared.Count).ToHashSet());
        }
        html.Append("<h2>Chart</h2>\n<figure>").Append(Html.Html.InlinePng(chart.Png, chart.Title, Math.Min(chart.Width, 1100)))
            .Append("<figcaption>").Append(Html.Html.Escape(chart.Caption)).Append("</figcaption></figure>\n");
        html.Append("<h2>Run folders</h2>\n<ol>");
        foreach (var run in Runs) html.Append("<li><code>").Append(Html.Html.Escape(run.Directory)).Append("</code></li>");
        html.Append("</ol>\n");
        Html.Html.EndPage(html);
        return html.ToString();
    }
}
