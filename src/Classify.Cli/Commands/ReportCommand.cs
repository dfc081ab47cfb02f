using System.CommandLine;
using Classify.Cli.Terminal;
using Classify.Reports;

namespace Classify.Cli.Commands;

/// <summary><c>classify report RUN_DIR</c>: (re)writes plots, report.html, the model card and summary_report.txt of a run.</summary>
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
            artifacts.Write(new Core.Runs.RunLayout(dir.FullName), context.Ui.Info, context.Cancellation);
            var met = TargetOutput.Print(artifacts.Summary, context.Ui);
            return !met && parse.GetValue(failOnTarget) ? 3 : 0;
        });
        return command;
    }
}
