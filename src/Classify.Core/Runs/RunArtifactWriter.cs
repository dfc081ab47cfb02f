namespace Classify.Core.Runs;

/// <summary>
/// Writes files derived from a finished run folder (report.html and plots, the model card, summary_report.txt …).
/// An <see cref="Experiment"/> or an evaluation calls its writers after run.json says completed; Classify.Reports
/// provides the standard set (<c>Classify.Reports.RunArtifacts</c>). A writer reads only the run folder, so it can
/// also be run again later on an old run (<c>classify report</c>).
/// </summary>
public interface IRunArtifactWriter
{
    /// <summary>Writes the artifacts of the run in <paramref name="layout"/>; <paramref name="log"/> gets one line per file written.</summary>
    void Write(RunLayout layout, Action<string>? log, CancellationToken cancellationToken);
}
