using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Classify.Cli.Terminal;
using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.Core.Uncertainty;
using Spectre.Console;

namespace Classify.Cli.Commands;

/// <summary>
/// <c>classify suggest --model DIR --input unlabelled.csv --k 500 --strategy entropy|epistemic|margin|random [--output queue.csv]</c>:
/// active learning, the unlabelled rows a human coder should label first, most informative first. Without
/// <c>--output</c> the queue is printed as a table.
/// </summary>
internal sealed class SuggestCommand : ICommandFactory
{
    public Command Create(CommandContext context)
    {
        var model = new Option<string>("--model", "-m") { Description = "Model folder, hub id org/name, or scratch:<family>-<size>.", Required = true };
        // Checked in the action rather than by the parser, so that a missing --input is a bad-input error (exit 2).
        var input = new Option<FileInfo?>("--input", "-i") { Description = "Unlabelled rows: a CSV, TSV or JSONL file, streamed (required)." };
        var k = new Option<int>("--k") { Description = "How many rows to suggest.", DefaultValueFactory = _ => 100 };
        var strategy = new Option<string>("--strategy") { Description = $"Ranking: {ActiveLearning.StrategyNames}.", DefaultValueFactory = _ => "entropy" };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Write the queue to this .csv file (atomically) instead of printing a table." };
        var textCol = new Option<string>("--text-col") { Description = "Text column of --input.", DefaultValueFactory = _ => "text" };
        var idCol = new Option<string?>("--id-col") { Description = "Id column of --input (default: the row number)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the dropout passes and of --strategy random.", DefaultValueFactory = _ => 42 };
        var mcSamples = new Option<int?>("--mc-samples")
        {
            Description = $"Monte Carlo dropout passes per row ({SuggestionOptions.MinMcSamples}–{MonteCarloDropout.MaxPasses}); " +
                          $"default {SuggestionOptions.DefaultMcSamples} for epistemic, one deterministic pass otherwise.",
        };
        var mcBatchSize = new Option<int>("--mc-batch-size") { Description = "Most (row, pass) pairs in one dropout forward pass.", DefaultValueFactory = _ => Core.Uncertainty.UncertaintyOptions.DefaultMcBatchSize };
        var batchSize = new Option<int>("--batch-size") { Description = "Rows read and scored at a time (memory: k + batch size rows).", DefaultValueFactory = _ => 256 };

        var command = new Command("suggest", "Active learning: rank unlabelled texts for human coders, most informative first.")
            { model, input, k, strategy, output, textCol, idCol, seed, mcSamples, mcBatchSize, batchSize };
        var conversation = new ConversationFlags();
        conversation.AddTo(command);
        command.SetAction(parse =>
        {
            var ui = context.Ui;
            var ct = context.Cancellation;
            var columns = conversation.Parse(parse);
            var options = new SuggestionOptions
            {
                GroupColumn = columns.Group, OrderColumn = columns.Order, SpeakerColumn = columns.Speaker,
                Strategy = ActiveLearning.ParseStrategy(parse.GetValue(strategy)), K = parse.GetValue(k), TextColumn = parse.GetValue(textCol)!,
                IdColumn = parse.GetValue(idCol), Seed = parse.GetValue(seed), McSamples = parse.GetValue(mcSamples),
                McBatchSize = parse.GetValue(mcBatchSize), BatchSize = parse.GetValue(batchSize), Progress = EveryFewSeconds(ui),
            };
            options.Validate();
            var inFile = (parse.GetValue(input) ?? throw new InputException("give the unlabelled rows as --input FILE (.csv, .tsv or .jsonl)", field: "--input")).FullName;
            var outFile = parse.GetValue(output)?.FullName;
            ActiveLearning.CheckFiles(inFile, outFile);   // before a model is downloaded or loaded
            using var classifier = TextClassifier.Load(parse.GetValue(model)!, Engines.SourceOptions(ui), ct);
            var queue = ActiveLearning.Suggest(classifier, inFile, options, ct);
            var passes = queue.Passes > 1 ? $" over {queue.Passes} dropout passes" : "";
            ui.Info($"ranked {queue.RowsRead:N0} rows by {queue.Strategy.Name()}{passes} (score: {ScoreMeaning(queue.Strategy)})");
            if (outFile is not null)
            {
                queue.WriteCsv(outFile, inFile);
                ui.Info($"wrote {queue.Suggestions.Count:N0} suggestions to {outFile}");
            }
            else WriteTable(ui, queue);
            return 0;
        });
        return command;
    }

    private static string ScoreMeaning(SuggestionStrategy strategy) => strategy switch
    {
        SuggestionStrategy.Entropy => "predictive entropy in nats, highest first",
        SuggestionStrategy.Epistemic => "epistemic uncertainty (mutual information) in nats, highest first",
        SuggestionStrategy.Margin => "margin, smallest first",
        _ => "a seeded random draw",
    };

    /// <summary>A "rows ranked" line on stderr at most every 10 seconds, so a long file shows it is alive.</summary>
    private static ConsoleUi.SynchronousProgress EveryFewSeconds(ConsoleUi ui)
    {
        var clock = Stopwatch.StartNew();
        return new ConsoleUi.SynchronousProgress(u =>
        {
            if (clock.Elapsed < TimeSpan.FromSeconds(10)) return;
            clock.Restart();
            ui.Info($"{u.Completed:N0} rows ranked");
        });
    }

    private static void WriteTable(ConsoleUi ui, SuggestionQueue queue)
    {
        if (queue.Suggestions.Count == 0)
        {
            ui.Info("the input has no rows: nothing to suggest");
            return;
        }
        static string F(double x) => x.ToString("0.000", CultureInfo.InvariantCulture);
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn(new TableColumn("rank").RightAligned());
        table.AddColumn("id");
        table.AddColumn("text");
        table.AddColumn(new TableColumn("score").RightAligned());
        table.AddColumn("prediction");
        table.AddColumn(new TableColumn("entropy").RightAligned());
        table.AddColumn(new TableColumn("epistemic").RightAligned());
        table.AddColumn(new TableColumn("margin").RightAligned());
        foreach (var s in queue.Suggestions)
        {
            var text = s.Text.Length > 60 ? s.Text[..57] + "…" : s.Text;
            table.AddRow(s.Rank.ToString(CultureInfo.InvariantCulture), Markup.Escape(s.Id), Markup.Escape(text), F(s.Score),
                s.Labels.Count == 0 ? "[grey](none)[/]" : Markup.Escape(string.Join(", ", s.Labels)),
                F(s.Uncertainty.PredictiveEntropy), F(s.Uncertainty.Epistemic), F(s.Margin));
        }
        ui.Out.Write(table);
    }
}
