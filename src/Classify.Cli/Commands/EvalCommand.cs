using System.CommandLine;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.Core.Runs;
using Classify.Reports;

namespace Classify.Cli.Commands;

/// <summary><c>classify eval --model DIR --data FILE</c>: metrics of a trained model on labelled data, written as a run folder.</summary>
internal sealed class EvalCommand : ICommandFactory
{
    public Command Create(CommandContext context)
    {
        var model = new Option<string>("--model", "-m") { Description = "Model folder, hub id or scratch model.", Required = true };
        var data = new Option<FileInfo>("--data", "-d") { Description = "Labelled data file (.csv, .tsv, .jsonl).", Required = true };
        var textCol = new Option<string>("--text-col") { DefaultValueFactory = _ => "text", Description = "Text column." };
        var labelCol = new Option<string>("--label-col") { DefaultValueFactory = _ => "label", Description = "Label column." };
        var labelCols = new Option<string[]>("--label-cols") { Description = "One 0/1 column per label (multi-label).", AllowMultipleArgumentsPerToken = true };
        var idCol = new Option<string?>("--id-col") { Description = "Id column (default: row number)." };
        var labelsFile = new Option<string?>("--labels-file") { Description = "Label names file for integer labels." };
        var delimiter = new Option<string>("--label-delimiter") { DefaultValueFactory = _ => ",", Description = "Separator of multi-label lists." };
        var split = new Option<string>("--split") { DefaultValueFactory = _ => "test", Description = "Name of the evaluated split in the run folder (val or test)." };
        var name = new Option<string?>("--name") { Description = "Run name (default eval-<model>-<time>)." };
        var runsDir = new Option<string>("--runs-dir") { DefaultValueFactory = _ => "runs", Description = "Parent folder of runs." };
        var batchSize = new Option<int>("--batch-size") { DefaultValueFactory = _ => 256, Description = "Texts handed to the model at a time." };
        var noReport = new Option<bool>("--no-report") { Description = "Skip plots and report.html." };
        var target = new Option<string[]>("--target") { Description = "Target check, e.g. macro_f1>=0.6 (repeatable)." };
        var failOnTarget = new Option<bool>("--fail-on-target") { Description = "Exit with code 3 when a --target is not met." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace an existing run of the same name." };

        var command = new Command("eval", "Evaluate a trained model on labelled data.")
            { model, data, textCol, labelCol, labelCols, idCol, labelsFile, delimiter, split, name, runsDir, batchSize, noReport, target, failOnTarget, overwrite };
        var uncertainty = new UncertaintyFlags();
        uncertainty.AddTo(command);
        var conversation = new ConversationFlags();
        conversation.AddTo(command);
        command.SetAction(parse =>
        {
            var ui = context.Ui;
            var artifacts = new RunArtifacts { Targets = RunArtifacts.ParseTargets(parse.GetValue(target)), WithReport = !parse.GetValue(noReport) };
            var splitName = parse.GetValue(split)!;
            if (splitName is not ("val" or "test")) throw new InputException("expected val or test", field: "--split");
            var modelSpec = parse.GetValue(model)!;
            var runName = parse.GetValue(name) ?? $"eval-{Sanitize(modelSpec)}-{DateTime.UtcNow:yyyyMMdd-HHmmss}";
            if (RunLayout.NameProblem(runName) is { } problem) throw new InputException(problem, field: "--name");
            var layout = new RunLayout(Path.Combine(parse.GetValue(runsDir)!, runName));
            var existing = parse.GetValue(overwrite) ? ExistingRunPolicy.Overwrite : ExistingRunPolicy.Refuse;
            var mcFlags = uncertainty.Parse(parse);
            context.RecoverRuns(parse.GetValue(runsDir)!);
            ExistingRuns.Check(layout, existing);   // before a model is downloaded or loaded
            var modelDirectory = ModelSources.Resolve(modelSpec, Engines.SourceOptions(ui), context.Cancellation);
            using var classifier = TextClassifier.Load(modelDirectory);
            // Uncertainty columns when the package or a flag asks for them; the rejection curves are written either way.
            var mc = classifier.Manifest.Uncertainty is null && mcFlags.Samples is null && mcFlags.BatchSize is null ? null
                : UncertaintyFlags.Resolve(mcFlags, classifier.Predictor);
            var cols = parse.GetValue(labelCols);
            var turns = conversation.Parse(parse);
            var options = new DatasetOptions
            {
                TextColumn = parse.GetValue(textCol)!, LabelColumn = parse.GetValue(labelCol)!, LabelColumns = cols is { Length: > 0 } ? cols : null,
                IdColumn = parse.GetValue(idCol), LabelNamesFile = parse.GetValue(labelsFile), LabelDelimiter = parse.GetValue(delimiter)!,
                DropDuplicates = false, GroupColumn = turns.Group, OrderColumn = turns.Order, SpeakerColumn = turns.Speaker,
            };
            var evaluation = ui.WithProgress(p => EvaluationRun.Execute(classifier, modelDirectory,
                parse.GetValue(data)!.FullName, options, layout, splitName, parse.GetValue(batchSize), p, context.Cancellation, [artifacts], ui.Info,
                existingRun: existing, uncertainty: mc, seed: mcFlags.Seed));
            TrainCommand.PrintMetrics(ui, evaluation.Report);
            ui.Info($"run folder: {layout.Root}");
            var met = TargetOutput.Print(artifacts.Summary, ui);
            return !met && parse.GetValue(failOnTarget) ? 3 : 0;
        });
        return command;
    }

    private static string Sanitize(string s)
    {
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(s));
        if (name is "model" or "") name = Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(s))) ?? "model";
        var safe = string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '-'));
        return safe.Length > 60 ? safe[..60] : safe;   // the default run name stays well under the 100-character limit
    }
}
