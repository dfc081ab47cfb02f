using System.CommandLine;
using Classify.Cli.Terminal;
using Classify.Reports;

namespace Classify.Cli.Commands;

/// <summary>
/// <c>classify report RUN_DIR</c>: (re)writes plots, report.html, the model card and summary_report.txt of a run, after
/// recovering it (a dead "running" run becomes interrupted, temporary files left by a killed writer are removed).
/// </summary>
internal sealed class ReportCommand : ICommandFactory
{
    public Command Create(CommandContext context)
    {
        var run = new Argument<DirectoryInfo>("run") { Description = "The run folder (runs/<name>)." };
        var target = new Option<string[]>("--target") { Description = "Target check, e.g. macro_f1>=0.85 or val.accuracy>0.7 (repeatable)." };
        var failOnTarget = new Option<bool>("--fail-on-target") { Description = "Exit with code 3 when a target is not met." };
        var command = new Command("report", "Write the HTML report, charts, model card and summary of a run.") { run, target, failOnTarget };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(run)!;
            var artifacts = new RunArtifacts { Targets = RunArtifacts.ParseTargets(parse.GetValue(target)) };
            if (!dir.Exists) throw new Core.IO.InputException("run folder not found", dir.FullName);
            var layout = new Core.Runs.RunLayout(dir.FullName);
            if (!File.Exists(layout.RunJson)) throw new Core.IO.InputException("no run.json: not a Classify run folder", layout.Root);
            // A run left "running" by a dead process is marked interrupted and its temporary files go; then the folder is
            // locked while the report is written, so a concurrent train or eval of that name waits its turn.
            context.RecoverRun(layout.Root);
            using (Core.Runs.RunLock.Acquire(layout, "report"))
                artifacts.Write(layout, context.Ui.Info, context.Cancellation);
            var met = TargetOutput.Print(artifacts.Summary, context.Ui);
            return !met && parse.GetValue(failOnTarget) ? 3 : 0;
        });
        return command;
    }
}
