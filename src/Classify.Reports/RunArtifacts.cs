using Classify.Core.IO;
using Classify.Core.Runs;
using Classify.Reports.Html;
using Classify.Reports.ModelCard;
using Classify.Reports.Summary;

namespace Classify.Reports;

/// <summary>
/// The standard files derived from a run folder: report.html with its plots, the model card (when the run has a
/// model) and summary_report.txt with target checks. Give it to an <see cref="Experiment"/> (or call
/// <see cref="Write"/> on any finished run folder) and a C# caller gets exactly what <c>classify train</c> writes.
/// <code>
/// var artifacts = new RunArtifacts { Targets = [TargetCheck.Parse("test.macro_f1>=0.6")] };
/// new Experiment(config) { Artifacts = [artifacts] }.Run();
/// bool ok = artifacts.Summary!.AllTargetsMet;
/// </code>
/// </summary>
public sealed class RunArtifacts : IRunArtifactWriter
{
    /// <summary>Write report.html and its plots (default true); the model card and summary are always written.</summary>
    public bool WithReport { get; init; } = true;

    /// <summary>Targets checked in summary_report.txt (for example <c>macro_f1&gt;=0.6</c>).</summary>
    public IReadOnlyList<TargetCheck> Targets { get; init; } = [];

    /// <summary>The summary written by the last <see cref="Write"/> (target results included), or null before.</summary>
    public SummaryReportResult? Summary { get; private set; }

    /// <summary>Parses target texts (<c>macro_f1&gt;=0.6</c>, <c>test.log_loss&lt;0.5</c>); a bad one is an input error naming <c>--target</c>.</summary>
    /// <exception cref="InputException">A target that does not parse.</exception>
    public static IReadOnlyList<TargetCheck> ParseTargets(IEnumerable<string>? targets) => (targets ?? []).Select(t =>
    {
        try { return TargetCheck.Parse(t); }
        catch (FormatException e) { throw new InputException(e.Message, field: "--target", inner: e); }
    }).ToArray();

    /// <inheritdoc />
    public void Write(RunLayout layout, Action<string>? log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (WithReport)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var report = RunReport.Write(layout.Root);
            log?.Invoke($"report: {report.ReportPath} ({report.Charts.Count} charts, {report.Elapsed.TotalSeconds:0.0} s)");
        }
        if (Directory.Exists(layout.ModelDirectory))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var card = ModelCardWriter.Write(layout.Root);
            log?.Invoke($"model card: {card.Markdown}");
        }
        cancellationToken.ThrowIfCancellationRequested();
        Summary = SummaryReport.Write(layout.Root, Targets);
    }
}
