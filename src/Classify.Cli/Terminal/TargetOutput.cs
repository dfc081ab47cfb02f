using Classify.Cli.Terminal;
using Classify.Reports.Summary;
using Spectre.Console;

namespace Classify.Cli;

/// <summary>Console output of the run artifacts: one line per target, met or not.</summary>
internal static class TargetOutput
{
    /// <summary>Prints the target results and returns whether every target was met (true when there are none).</summary>
    public static bool Print(SummaryReportResult? summary, ConsoleUi ui)
    {
        if (summary is null) return true;
        foreach (var t in summary.Targets)
        {
            if (t.Met) ui.Out.MarkupLine($"[green]target met:[/] {Markup.Escape(t.Target.ToString())} (actual {t.Actual:0.0000})");
            else ui.Out.MarkupLine($"[red]target not met:[/] {Markup.Escape(t.Target.ToString())} (actual {(t.Actual is { } a ? a.ToString("0.0000") : "n/a")})");
        }
        return summary.AllTargetsMet;
    }
}
