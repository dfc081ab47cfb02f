using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Classify.Core.IO;
using Classify.Core.Metrics;
using Classify.Core.Uncertainty;
using Classify.Reports.Charts;
using Classify.Reports.RunData;

namespace Classify.Reports.Html;

/// <summary>What <see cref="RunReport.Write"/> produced.</summary>
/// <param name="ReportPath">Full path of report.html.</param>
/// <param name="Charts">The charts written to plots/ (PNG and SVG each), in report order.</param>
/// <param name="Elapsed">Wall-clock time taken.</param>
public sealed record RunReportResult(string ReportPath, IReadOnlyList<ChartFile> Charts, TimeSpan Elapsed);

/// <summary>
/// The report of one run: every chart written to <c>plots/</c> (PNG + SVG) and one self-contained
/// <c>report.html</c> (images inlined as data: URIs, inline CSS, no script, no external request) with the run
/// manifest, metric tables, per-class reports, charts, the Uncertainty section (when the run has rejection curves or
/// uncertainty columns), the most confident errors and the resolved config.
/// </summary>
public static class RunReport
{
    /// <summary>How many confident errors the report lists per split.</summary>
    public const int ErrorsPerSplit = 20;

    /// <summary>How many of the most uncertain examples the Uncertainty section lists per split.</summary>
    public const int UncertainPerSplit = 20;

    /// <summary>Writes plots/*.png|svg and report.html for the run in <paramref name="runDirectory"/>.</summary>
    /// <exception cref="InputException">The folder is not a run folder or one of its files is malformed.</exception>
    public static RunReportResult Write(string runDirectory)
    {
        var clock = Stopwatch.StartNew();
        var run = RunFolder.Load(runDirectory);
        var charts = RunCharts.Render(run);
        var files = new ChartFile[charts.Count];
        Parallel.For(0, charts.Count, i => files[i] = charts[i].Save(run.Layout.PlotsDirectory));
        var html = Build(run, charts);
        AtomicFile.WriteAllText(run.Layout.ReportHtml, html);
        return new RunReportResult(run.Layout.ReportHtml, files, clock.Elapsed);
    }

    internal static string Build(RunFolder run, IReadOnlyList<RenderedChart> charts)
    {
        var html = new StringBuilder(1 << 20);
        Html.BeginPage(html, $"{run.Name} — Classify run report");
        var info = run.Info;
        html.Append("<h1>").Append(Html.Escape(run.Name)).Append("</h1>\n<p class=\"subtitle\">")
            .Append(Html.Escape($"{run.Task} · {run.Labels.Count} labels · engine {info?.Engine ?? "?"} · "))
            .Append(StatusSpan(info?.Status)).Append(Html.Escape(info != null ? $" · {info.CreatedUtc:yyyy-MM-dd HH:mm} UTC" : ""))
            .Append("</p>\n");
        html.Append("<nav><a href=\"#overview\">Overview</a><a href=\"#manifest\">Manifest</a><a href=\"#metrics\">Metrics</a>")
            .Append("<a href=\"#per-class\">Per-class report</a><a href=\"#charts\">Charts</a>")
            .Append(HasUncertainty(run) ? "<a href=\"#uncertainty\">Uncertainty</a>" : "")
            .Append("<a href=\"#errors\">Confident errors</a><a href=\"#config\">Config</a></nav>\n");

        // Results first: the headline numbers and the analysis grid fit on the first screen.
        Overview(html, run, charts.FirstOrDefault(c => c.Name == OverviewChart));
        Manifest(html, run);
        MetricTables(html, run);
        PerClass(html, run);
        Charts(html, charts.Where(c => c.Name != OverviewChart && !UncertaintyCharts.IsUncertaintyChart(c.Name)).ToList());
        Uncertainty(html, run, charts);
        Errors(html, run);
        Config(html, run);
        Html.EndPage(html);
        return html.ToString();
    }

    /// <summary>The chart shown in the overview (and not repeated under Charts).</summary>
    private const string OverviewChart = "analysis_grid";

    private static readonly string[] OverviewKeys =
        [MetricKeys.Accuracy, MetricKeys.MacroPrecision, MetricKeys.MacroRecall, MetricKeys.MacroF1, MetricKeys.RocAucMacro];

    private static void Overview(StringBuilder html, RunFolder run, RenderedChart? grid)
    {
        html.Append("<h2 id=\"overview\">Overview</h2>\n");
        var splits = RunFolder.EvaluationSplits.Where(run.Metrics.ContainsKey).ToList();
        if (splits.Count > 0)
        {
            var keys = OverviewKeys.Where(k => splits.Any(s => run.Metrics[s].Get(k) != null)).ToList();
            var header = new List<string> { "Split" };
            header.AddRange(keys.Select(MetricKeys.DisplayName));
            Html.Table(html, header, splits.Select(s =>
            {
                var row = new List<string> { $"{s} (n={run.Metrics[s].N:N0})" };
                row.AddRange(keys.Select(k => Html.Number(run.Metrics[s].Get(k))));
                return (IReadOnlyList<string>)row;
            }), Enumerable.Range(1, keys.Count).ToHashSet());
        }
        if (grid != null) Figure(html, grid);
    }

    private static string StatusSpan(string? status) =>
        status == null ? "" : $"<span class=\"status-{Html.Escape(status)}\">{Html.Escape(status)}</span>";

    private static void Manifest(StringBuilder html, RunFolder run)
    {
        html.Append("<h2 id=\"manifest\">Run manifest</h2>\n");
        var info = run.Info;
        if (info == null)
        {
            html.Append("<p>This folder has no run.json.</p>\n");
            return;
        }
        var rows = new List<IReadOnlyList<string>>
        {
            new[] { "Name", info.Name },
            new[] { "Run id", info.RunId },
            new[] { "Status", info.Status + (info.Error is { } e ? $" — {e}" : "") },
            new[] { "Created (UTC)", info.CreatedUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) },
            new[] { "Finished (UTC)", info.FinishedUtc?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "—" },
            new[] { "Task", info.Task ?? run.Task },
            new[] { "Labels", $"{run.Labels.Count:N0}: {ReportLimits.JoinNames(run.Labels)}" },
            new[] { "Engine", info.Engine ?? "—" },
            new[] { "Seed", info.Seed.ToString(CultureInfo.InvariantCulture) },
        };
        if (info.Data is { } d)
        {
            rows.Add(["Data file", d.Path]);
            rows.Add(["Data SHA-256", d.Sha256 ?? "—"]);
            rows.Add(["Rows read / used", $"{d.RowsRead:N0} / {d.RowsUsed:N0}"]);
            rows.Add(["Dropped", $"{d.EmptyDropped:N0} empty, {d.DuplicatesDropped:N0} duplicates; {d.ConflictingDuplicates:N0} conflicting duplicates kept; {d.InvalidUtf8Replaced:N0} invalid UTF-8 replaced"]);
        }
        if (info.SplitSizes is { Count: > 0 } sizes)
            rows.Add(["Split sizes", string.Join(", ", sizes.Select(kv => $"{kv.Key} {kv.Value:N0}"))]);
        if (info.Timings is { Count: > 0 } timings)
            rows.Add(["Timings", string.Join(", ", timings.Select(kv => $"{kv.Key.Replace("_seconds", "")} {FormatSeconds(kv.Value)}"))]);
        if (info.Versions is { Count: > 0 } versions)
            rows.Add(["Versions", string.Join(", ", versions.Select(kv => $"{kv.Key} {kv.Value}"))]);
        if (info.Calibration is { } calibration)
            rows.Add(["Calibration", $"{calibration.Method} fitted on validation: " +
                (calibration.LabelTemperatures is { Count: > 0 } lt
                    ? $"{lt.Count} label temperatures, {lt.Min().ToString("0.###", CultureInfo.InvariantCulture)}–{lt.Max().ToString("0.###", CultureInfo.InvariantCulture)}"
                    : $"temperature {calibration.Temperature.ToString("0.####", CultureInfo.InvariantCulture)}") +
                $"; validation NLL {calibration.NllBefore.ToString("0.####", CultureInfo.InvariantCulture)} → {calibration.NllAfter.ToString("0.####", CultureInfo.InvariantCulture)}"]);
        if (info.Best is { } best)
            rows.Add(["Best (search)", best.ToJsonString()]);
        Html.Table(html, ["Field", "Value"], rows.Select(r => (IReadOnlyList<string>)r.ToList()), cssClass: "kv");
    }

    private static string FormatSeconds(double s) =>
        s < 120 ? s.ToString("0.0", CultureInfo.InvariantCulture) + " s" : TimeSpan.FromSeconds(s).ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture);

    private static void MetricTables(StringBuilder html, RunFolder run)
    {
        html.Append("<h2 id=\"metrics\">Metrics</h2>\n");
        if (run.Metrics.Count == 0)
        {
            html.Append("<p>No metrics/*.json in this run.</p>\n");
            return;
        }
        var splits = RunFolder.EvaluationSplits.Where(run.Metrics.ContainsKey).ToList();
        var keys = MetricKeys.All.Where(k => splits.Any(s => run.Metrics[s].Scalars.ContainsKey(k))).ToList();
        var header = new List<string> { "Metric" };
        header.AddRange(splits.Select(s => $"{s} (n={run.Metrics[s].N:N0})"));
        var rows = keys.Select(k =>
        {
            var row = new List<string> { k + (!MetricKeys.GreaterIsBetter(k) ? " (lower is better)" : "") };
            row.AddRange(splits.Select(s => Html.Number(run.Metrics[s].Get(k))));
            return (IReadOnlyList<string>)row;
        }).ToList();
        // A model with an abstain rule: the metrics above are on every example, these on the ones it kept.
        bool abstains = splits.Any(s => run.Metrics[s].Abstention is not null);
        if (abstains)
            foreach (var key in SplitMetrics.AbstentionKeys)
                rows.Add([$"abstention: {key}", .. splits.Select(s => Html.Number(run.Metrics[s].Abstention?.GetValueOrDefault(key)))]);
        Html.Table(html, header, rows, Enumerable.Range(1, splits.Count).ToHashSet());
        if (abstains)
            html.Append("<p>The model abstains (gives no labels) when its confidence is below the threshold chosen on validation: ")
                .Append("the metrics are those of every example; the <code>abstention</code> rows are the share kept and the metrics of the kept examples ")
                .Append("(accuracy: the whole label set must match).</p>\n");
    }

    private static void PerClass(StringBuilder html, RunFolder run)
    {
        html.Append("<h2 id=\"per-class\">Per-class report</h2>\n");
        foreach (var split in RunFolder.EvaluationSplits.Where(run.Metrics.ContainsKey))
        {
            var m = run.Metrics[split];
            html.Append("<h3>").Append(Html.Escape(split)).Append("</h3>\n");
            // Many labels: the most frequent ones here, every label in the per-class CSV (written for older runs that lack it).
            var listed = PerClassTable.Listed(m.PerClass);
            if (listed.Count < m.PerClass.Count)
            {
                var csv = MetricReport.PerClassCsvPath(run.Layout.Metrics(split));
                if (!File.Exists(csv)) PerClassTable.WriteCsv(csv, m.PerClass);
                var relative = Path.GetRelativePath(run.Layout.Root, csv).Replace('\\', '/');
                html.Append("<p>The ").Append(listed.Count).Append(" labels with the most ").Append(Html.Escape(split)).Append(" examples of the ")
                    .Append(m.PerClass.Count.ToString("N0", CultureInfo.InvariantCulture)).Append(" with examples or predictions; every label is in <a href=\"")
                    .Append(Html.Escape(relative)).Append("\"><code>").Append(Html.Escape(relative)).Append("</code></a>.</p>\n");
            }
            var rows = listed.Select(c => (IReadOnlyList<string>)new[]
            {
                c.Label, Html.Number(c.Precision), Html.Number(c.Recall), Html.Number(c.F1), c.Support.ToString("N0", CultureInfo.InvariantCulture),
                Html.Number(c.RocAuc), Html.Number(c.PrAuc),
            }).ToList();
            long support = m.PerClass.Sum(c => c.Support);
            string total = support.ToString("N0", CultureInfo.InvariantCulture);
            // Summary rows as in scikit-learn's classification_report.
            if (m.IsMultilabel)
                rows.Add(["micro avg", Html.Number(m.Get("micro_precision")), Html.Number(m.Get("micro_recall")), Html.Number(m.Get("micro_f1")), total, "", ""]);
            else
                rows.Add(["accuracy", "", "", Html.Number(m.Get("accuracy")), m.N.ToString("N0", CultureInfo.InvariantCulture), "", ""]);
            rows.Add(["macro avg", Html.Number(m.Get("macro_precision")), Html.Number(m.Get("macro_recall")), Html.Number(m.Get("macro_f1")), total,
                Html.Number(m.Get("roc_auc_macro")), Html.Number(m.Get("pr_auc_macro"))]);
            rows.Add(["weighted avg", Html.Number(m.Get("weighted_precision")), Html.Number(m.Get("weighted_recall")), Html.Number(m.Get("weighted_f1")), total, "", ""]);
            if (m.IsMultilabel && m.Get("samples_f1") is { } samples)
                rows.Add(["samples avg", "", "", Html.Number(samples), m.N.ToString("N0", CultureInfo.InvariantCulture), "", ""]);
            Html.Table(html, ["Label", "Precision", "Recall", "F1", "Support", "ROC AUC", "PR AUC"], rows, new HashSet<int> { 1, 2, 3, 4, 5, 6 });
        }
    }

    private static void Charts(StringBuilder html, IReadOnlyList<RenderedChart> charts)
    {
        html.Append("<h2 id=\"charts\">Charts</h2>\n");
        html.Append("<p>Every chart is also in plots/ as PNG and SVG.</p>\n");
        foreach (var c in charts) Figure(html, c);
    }

    private static void Figure(StringBuilder html, RenderedChart c)
    {
        html.Append("<figure id=\"chart-").Append(Html.Escape(c.Name)).Append("\">\n<h3>").Append(Html.Escape(c.Title)).Append("</h3>\n");
        // Shown at most 1100 px wide; big grids scale down with the page.
        html.Append(Html.InlinePng(c.Png, c.Title, Math.Min(c.Width, 1100)));
        html.Append("\n<figcaption>").Append(Html.Escape(c.Caption)).Append(" <code>plots/").Append(Html.Escape(c.Name)).Append(".png|svg</code></figcaption>\n</figure>\n");
    }

    /// <summary>True when the run has rejection curves or uncertainty columns: the Uncertainty section is shown.</summary>
    private static bool HasUncertainty(RunFolder run) =>
        run.Rejection.Count > 0 || run.Predictions.Values.Any(p => p.Uncertainty != null);

    private static void Uncertainty(StringBuilder html, RunFolder run, IReadOnlyList<RenderedChart> charts)
    {
        if (!HasUncertainty(run)) return;
        html.Append("<h2 id=\"uncertainty\">Uncertainty</h2>\n");
        html.Append("<p>How far the model's uncertainty can be acted on: rejecting the most uncertain predictions, and where the uncertainty lies. ")
            .Append("Entropies are in nats; predictive entropy = aleatoric (ambiguity of the text) + epistemic (what the model has not learnt, ")
            .Append("measured by disagreement between Monte-Carlo dropout passes). See docs/uncertainty.md.</p>\n");
        if (run.Predictions.Values.FirstOrDefault(p => p.Uncertainty != null)?.Uncertainty is { SinglePass: true })
            html.Append("<p><strong>One pass:</strong> this run sampled no Monte-Carlo dropout passes (or has no dropout), so epistemic ")
                .Append("uncertainty is 0 everywhere and the predictive entropy is all aleatoric; the epistemic charts are left out. ")
                .Append("Set <code>uncertainty: {mc_samples: 50}</code> for a transformer to see them.</p>\n");
        var reliability = charts.Where(c => c.Name.StartsWith("reliability_", StringComparison.Ordinal)).ToList();
        if (reliability.Count > 0)
            html.Append("<p>Calibration, whether the probabilities can be read as frequencies: ")
                .Append(string.Join(", ", reliability.Select(c => $"<a href=\"#chart-{Html.Escape(c.Name)}\">{Html.Escape(c.Title)}</a>")))
                .Append(" (under Charts).</p>\n");
        foreach (var split in RunFolder.EvaluationSplits.Where(s => run.Rejection.ContainsKey(s) || run.Predictions.TryGetValue(s, out var p) && p.Uncertainty != null))
        {
            html.Append("<h3>").Append(Html.Escape(split)).Append("</h3>\n");
            if (run.Rejection.TryGetValue(split, out var sets))
            {
                var rankers = sets.SelectMany(s => s.Curves.Select(c => c.Ranker)).Distinct().ToList();
                var header = new List<string> { "AURC (lower is better)" };
                header.AddRange(rankers.Select(r => r.ToName()));
                Html.Table(html, header, sets.Select(s =>
                {
                    var row = new List<string> { $"per {s.Unit.ToName()}" };
                    row.AddRange(rankers.Select(r => Html.Number(s.Curves.FirstOrDefault(c => c.Ranker == r)?.Aurc, "0.0000")));
                    return (IReadOnlyList<string>)row;
                }), Enumerable.Range(1, rankers.Count).ToHashSet());
            }
            foreach (var c in charts.Where(c => UncertaintyCharts.IsUncertaintyChart(c.Name) && c.Name.EndsWith("_" + split, StringComparison.Ordinal)))
                Figure(html, c);
            if (run.Predictions.TryGetValue(split, out var predictions) && predictions.Uncertainty is { } u)
            {
                var rows = MostUncertain.Find(predictions, UncertainPerSplit);
                html.Append("<h4>Most uncertain examples</h4>\n<p>The ").Append(rows.Count).Append(" examples of ")
                    .Append(predictions.Count.ToString("N0", CultureInfo.InvariantCulture)).Append(" with the highest ")
                    .Append(u.SinglePass ? "predictive entropy" : "epistemic uncertainty (ties: predictive entropy)")
                    .Append(", most uncertain first; all of them are in <code>predictions/").Append(Html.Escape(split)).Append(".csv</code>.</p>\n");
                Html.Table(html, ["Text", "Id", "Gold", "Predicted", "Predictive entropy", "Aleatoric", "Epistemic"],
                    rows.Select(e => (IReadOnlyList<string>)new[]
                    {
                        e.Text, e.Id, e.Gold, e.Predicted, Html.Number(e.PredictiveEntropy, "0.0000"), Html.Number(e.Aleatoric, "0.0000"), Html.Number(e.Epistemic, "0.0000"),
                    }), new HashSet<int> { 4, 5, 6 }, "errors uncertain");
            }
        }
    }

    private static void Errors(StringBuilder html, RunFolder run)
    {
        html.Append("<h2 id=\"errors\">Most confident errors</h2>\n");
        if (run.Predictions.Count == 0)
        {
            html.Append("<p>No predictions/*.csv in this run.</p>\n");
            return;
        }
        html.Append("<p>The wrong predictions the model was most sure about — often label noise or a systematic confusion.</p>\n");
        foreach (var split in RunFolder.EvaluationSplits.Where(run.Predictions.ContainsKey))
        {
            var errors = ConfidentErrors.Find(run.Predictions[split], ErrorsPerSplit);
            html.Append("<h3>").Append(Html.Escape(split)).Append("</h3>\n");
            if (errors.Count == 0)
            {
                html.Append("<p>No errors.</p>\n");
                continue;
            }
            Html.Table(html, ["Text", "Id", "Gold", "Predicted", "Wrong decision", "Confidence"],
                errors.Select(e => (IReadOnlyList<string>)new[] { e.Text, e.Id, e.Gold, e.Predicted, e.WrongDecision, Html.Number(e.Confidence, "0.000") }),
                new HashSet<int> { 5 }, "errors");
        }
    }

    private static void Config(StringBuilder html, RunFolder run)
    {
        html.Append("<h2 id=\"config\">Resolved config</h2>\n");
        var config = run.Info?.Config;
        if (config == null)
        {
            html.Append("<p>run.json has no config.</p>\n");
            return;
        }
        html.Append("<pre>").Append(Html.Escape(config.ToJsonString(AtomicFile.JsonOptions))).Append("</pre>\n");
    }
}
