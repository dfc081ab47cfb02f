using Classify.Cli.Terminal;
using Classify.Core.IO;
using Classify.Core.Runs;
using Classify.Reports.Html;
using Classify.Reports.ModelCard;
using Classify.Reports.Summary;
using Spectre.Console;

namespace Classify.Cli;

/// <summary>What the CLI writes after a run: report.html and plots, the model card, and summary_report.txt with targets.</summary>
internal static class RunArtifacts
{
    /// <summary>Parses <c>--target</c> values up front, so a typo fails before any training.</summary>
    public static IReadOnlyList<TargetCheck> ParseTargets(IEnumerable<string>? targets) => (targets ?? []).Select(t =>
    {
        try { return TargetCheck.Parse(t); }
        catch (FormatException e) { throw new InputException(e.Message, field: "--target", inner: e); }
    }).ToArray();

    /// <summary>Writes the artifacts and returns whether every target was met (true when there are none).</summary>
    public static bool WriteAll(RunLayout layout, IReadOnlyList<TargetCheck> checks, bool withReport, ConsoleUi ui)
    {
        if (withReport)
        {
            var report = RunReport.Write(layout.Root);
            ui.Info($"report: {report.ReportPath} ({report.Charts.Count} charts, {report.Elapsed.TotalSeconds:0.0} s)");
        }
        if (Directory.Exists(layout.ModelDirectory))
        {
            var card = ModelCardWriter.Write(layout.Root);
            ui.Info($"model card: {card.Markdown}");
        }
        var summary = SummaryReport.Write(layout.Root, checks);
        foreach (var t in summary.Targets)
        {
            if (t.Met) ui.Out.MarkupLine($"[green]target met:[/] {Markup.Escape(t.Target.ToString())} (actual {t.Actual:0.0000})");
            else ui.Out.MarkupLine($"[red]target not met:[/] {Markup.Escape(t.Target.ToString())} (actual {(t.Actual is { } a ? a.ToString("0.0000") : "n/a")})");
        }
        return summary.AllTargetsMet;
    }
}
