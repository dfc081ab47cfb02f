using System.Globalization;
using System.Text;
using Classify.Core.IO;
using Classify.Core.Metrics;
using Classify.Reports.RunData;

namespace Classify.Reports.Summary;

/// <summary>What <see cref="SummaryReport.Write"/> produced.</summary>
/// <param name="Path">Full path of summary_report.txt.</param>
/// <param name="Text">The text written.</param>
/// <param name="Targets">One result per target, in the order given (empty without targets).</param>
public sealed record SummaryReportResult(string Path, string Text, IReadOnlyList<TargetResult> Targets)
{
    /// <summary>True when every target was met (also true without targets). The CLI maps false to a non-zero exit code.</summary>
    public bool AllTargetsMet => Targets.All(t => t.Met);
}

/// <summary>
/// <c>summary_report.txt</c>: the headline figures of a run in plain text (status, data, splits, metric table for
/// val and test, weakest labels, uncertainty: calibration and selective prediction) and, when targets are given, "met"/"not met" per target.
/// </summary>
public static class SummaryReport
{
    /// <summary>Writes summary_report.txt into the run folder and checks <paramref name="targets"/> against its metrics.</summary>
    /// <exception cref="InputException">The folder is not a run folder or a file in it is malformed.</exception>
    public static SummaryReportResult Write(string runDirectory, IReadOnlyList<TargetCheck>? targets = null)
    {
        var run = RunFolder.Load(runDirectory, withPredictions: false);
        var results = (targets ?? []).Select(t =>
        {
            double? actual = run.Metrics.TryGetValue(t.Split, out var m) ? m.Get(t.Metric) : null;
            return new TargetResult(t, actual, actual is { } a && t.IsMet(a));
        }).ToList();
        var text = Build(run, results, targets != null && targets.Count > 0);
        AtomicFile.WriteAllText(run.Layout.SummaryReport, text);
        return new SummaryReportResult(run.Layout.SummaryReport, text, results);
    }

    private static string Build(RunFolder run, IReadOnlyList<TargetResult> results, bool hasTargets)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        var info = run.Info;
        sb.Append(inv, $"Classify run summary: {run.Name}\n");
        sb.Append('=', 22 + run.Name.Length).Append('\n');
        sb.Append(inv, $"Status:  {info?.Status ?? "unknown"}{(info?.Error is { } e ? $" ({e})" : "")}\n");
        sb.Append(inv, $"Task:    {run.Task}, {run.Labels.Count} labels ({string.Join(", ", run.Labels.Take(10))}{(run.Labels.Count > 10 ? ", …" : "")})\n");
        if (info != null)
        {
            sb.Append(inv, $"Engine:  {info.Engine ?? "?"}    Seed: {info.Seed}\n");
            if (info.Data is { } d) sb.Append(inv, $"Data:    {d.Path} (sha256 {Short(d.Sha256)}), {d.RowsUsed:N0} of {d.RowsRead:N0} rows used\n");
            if (info.SplitSizes is { Count: > 0 } s) sb.Append(inv, $"Splits:  {string.Join(", ", s.Select(kv => $"{kv.Key} {kv.Value:N0}"))}\n");
            if (info.Timings is { } t && t.TryGetValue("total_seconds", out var total))
                sb.Append(inv, $"Time:    {total:0.0} s total{(t.TryGetValue("train_seconds", out var train) ? $", {train:0.0} s training" : "")}\n");
        }

        var splits = RunFolder.EvaluationSplits.Where(run.Metrics.ContainsKey).ToList();
        sb.Append('\n');
        if (splits.Count == 0) sb.Append("No metrics/*.json in this run.\n");
        else
        {
            var keys = MetricKeys.Headline.Where(k => splits.Any(s => run.Metrics[s].Get(k) != null)).ToList();
            sb.Append("Metric".PadRight(20));
            foreach (var s in splits) sb.Append(s.PadLeft(10));
            sb.Append('\n');
            foreach (var k in keys)
            {
                sb.Append(k.PadRight(20));
                foreach (var s in splits) sb.Append((run.Metrics[s].Get(k) is { } v ? v.ToString("0.0000", inv) : "—").PadLeft(10));
                sb.Append('\n');
            }
            var last = run.Metrics[splits[^1]];
            if (last.PerClass.Count > 1)
            {
                var weakest = last.PerClass.OrderBy(c => c.F1).ThenBy(c => c.Label, StringComparer.Ordinal).Take(3);
                sb.Append(inv, $"\nWeakest labels ({splits[^1]} F1): {string.Join(", ", weakest.Select(c => $"{c.Label} {c.F1.ToString("0.000", inv)} (n={c.Support})"))}\n");
            }
        }

        if (UncertaintyDigest.Of(run, run.LoadManifest()) is { } u)
        {
            sb.Append("\nUncertainty\n");
            foreach (var line in u.Lines()) sb.Append("  ").Append(line).Append('\n');
        }

        if (hasTargets)
        {
            sb.Append("\nTargets\n");
            foreach (var r in results)
            {
                var actual = r.Actual is { } a ? a.ToString("0.0000", inv) : $"missing (no {r.Target.Metric} in metrics/{r.Target.Split}.json)";
                sb.Append(inv, $"  {r.Target.ToString().PadRight(30)} actual {actual.PadRight(10)} {(r.Met ? "met" : "not met")}\n");
            }
            sb.Append(inv, $"All targets met: {(results.All(r => r.Met) ? "yes" : "no")}\n");
        }
        return sb.ToString();
    }

    private static string Short(string? sha) => string.IsNullOrEmpty(sha) ? "?" : sha.Length > 12 ? sha[..12] : sha;
}
