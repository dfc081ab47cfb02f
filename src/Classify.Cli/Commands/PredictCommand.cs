using System.CommandLine;
using System.Globalization;
using Classify.Cli.Terminal;
using Classify.Core.IO;
using Classify.Core.Prediction;
using Spectre.Console;

namespace Classify.Cli.Commands;

/// <summary>
/// <c>classify predict --model DIR "text" …</c>: labels and probabilities as a table, or one JSON object per line;
/// <c>--input FILE --output FILE</c> scores a whole file in constant memory.
/// </summary>
internal sealed class PredictCommand : ICommandFactory
{
    public Command Create(CommandContext context)
    {
        var model = new Option<string>("--model", "-m") { Description = "Model folder (a Classify package or a Hugging Face classifier folder), hub id org/name, or scratch:<family>-<size>.", Required = true };
        var format = new Option<string>("--format") { Description = "Output for texts given as arguments: table or json (one object per line).", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "json");
        var batchSize = new Option<int>("--batch-size") { Description = "Texts handed to the model at a time (transformers sort each batch by length and pad per sub-batch).", DefaultValueFactory = _ => 256 };
        var input = new Option<FileInfo?>("--input", "-i") { Description = "Score every row of a CSV, TSV or JSONL file." };
        var output = new Option<FileInfo?>("--output", "-o") { Description = "Where --input results go: .csv or .jsonl (written atomically)." };
        var textCol = new Option<string>("--text-col") { Description = "Text column of --input.", DefaultValueFactory = _ => "text" };
        var idCol = new Option<string?>("--id-col") { Description = "Id column of --input (default: the row number)." };
        var shard = new Option<string?>("--shard")
        {
            Description = "Score only shard i of n (0-based: 0/4 … 3/4) of --input: contiguous row ranges, every row in exactly one shard; "
                + "only shard 0 writes the CSV header, so the outputs concatenated in shard order equal the whole file's. "
                + "The file is read twice (a first pass counts its rows).",
            HelpName = "i/n",
        };
        var noAbstain = new Option<bool>("--no-abstain") { Description = "Ignore the package's abstain rule: every text gets the labels of the decision rule." };
        var texts = new Argument<string[]>("texts") { Description = "Texts to classify (or one per line on standard input).", Arity = ArgumentArity.ZeroOrMore };

        var uncertainty = new UncertaintyFlags();
        var conversation = new ConversationFlags();
        var command = new Command("predict", "Predict labels for texts or a file.") { model, format, batchSize, input, output, textCol, idCol, shard, noAbstain, texts };
        conversation.AddTo(command);
        uncertainty.AddTo(command);
        command.SetAction(parse =>
        {
            var ui = context.Ui;
            var ct = context.Cancellation;
            if (parse.GetValue(batchSize) < 1) throw new InputException("must be at least 1", field: "--batch-size");
            // Checked before the model loads: a bad shard fails at once and writes nothing.
            FileShard? slice = parse.GetResult(shard) is null ? null : FileShard.Parse(parse.GetValue(shard));
            if (slice is not null && parse.GetValue(input) is null) throw new InputException("--shard goes with --input FILE --output FILE", field: "--shard");
            if (slice is not null && parse.GetValue(output) is null) throw new InputException("--input needs --output FILE (.csv or .jsonl)", field: "--output");
            var mcFlags = uncertainty.Parse(parse);
            using var classifier = TextClassifier.Load(parse.GetValue(model)!, Engines.SourceOptions(ui), ct);
            var mc = UncertaintyFlags.Resolve(mcFlags, classifier.Predictor);
            classifier.ApplyAbstention = !parse.GetValue(noAbstain);
            if (parse.GetValue(input) is { } inFile)
            {
                var outFile = parse.GetValue(output) ?? throw new InputException("--input needs --output FILE (.csv or .jsonl)", field: "--output");
                int batch = parse.GetValue(batchSize);
                var columns = conversation.Parse(parse);
                var count = FileScorer.Score(classifier, inFile.FullName, outFile.FullName, new FileScoringOptions
                {
                    TextColumn = parse.GetValue(textCol)!, IdColumn = parse.GetValue(idCol), BatchSize = batch, Uncertainty = mc, Seed = mcFlags.Seed,
                    GroupColumn = columns.Group, OrderColumn = columns.Order, SpeakerColumn = columns.Speaker, Shard = slice,
                    Progress = new ConsoleUi.SynchronousProgress(u => { if (u.Completed % (batch * 50L) == 0) ui.Info($"{u.Completed:N0} rows scored"); }),
                }, ct);
                ui.Info(slice is { } s ? $"wrote {count:N0} predictions (shard {s}) to {outFile.FullName}" : $"wrote {count:N0} predictions to {outFile.FullName}");
                return 0;
            }
            if (parse.GetValue(output) is not null) throw new InputException("--output goes with --input", field: "--output");

            var items = parse.GetValue(texts) ?? [];
            if (items.Length == 0 && Console.IsInputRedirected)
                items = ReadLines(Console.In).ToArray();
            if (items.Length == 0) throw new InputException("give texts to classify as arguments, on standard input, or use --input FILE", field: "texts");
            if (ConversationFlags.BareTextWarning(classifier.Manifest) is { } warning) ui.Warn(warning);

            var predictions = classifier.Predict(items.Select(t => new TextInput(t)).ToArray(), mc, mcFlags.Seed, parse.GetValue(batchSize), ct);
            if (parse.GetValue(format) == "json") PredictionJson.Write(ui.RawOut, predictions);
            else WriteTable(ui, classifier, predictions, mc.Sampled || classifier.Predictor.EnsembleMembers() > 0);   // an ensemble: its members
            return 0;
        });
        return command;
    }

    private static IEnumerable<string> ReadLines(TextReader reader)
    {
        while (reader.ReadLine() is { } line)
            if (line.Length > 0) yield return line;
    }

    private static void WriteTable(ConsoleUi ui, TextClassifier classifier, IReadOnlyList<Prediction> predictions, bool sampled)
    {
        var labels = classifier.Schema.Labels;
        bool allColumns = labels.Count <= 6;
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn("text");
        table.AddColumn("prediction");
        if (allColumns) foreach (var l in labels) table.AddColumn(new TableColumn(Markup.Escape(l)).RightAligned());
        else table.AddColumn("top probabilities");
        if (sampled)
        {
            table.AddColumn(new TableColumn("entropy").RightAligned());
            table.AddColumn(new TableColumn("epistemic").RightAligned());
        }
        foreach (var p in predictions)
        {
            var text = p.Text.Length > 60 ? p.Text[..57] + "…" : p.Text;
            var decided = p.Abstained ? "[yellow]abstained[/]" : p.Labels.Count == 0 ? "[grey](none)[/]" : $"[bold]{Markup.Escape(string.Join(", ", p.Labels))}[/]";
            var row = new List<string> { Markup.Escape(text), decided };
            if (allColumns) row.AddRange(labels.Select(l => p.Probabilities[l].ToString("0.000", CultureInfo.InvariantCulture)));
            else row.Add(Markup.Escape(string.Join("  ", p.Probabilities.OrderByDescending(kv => kv.Value).Take(3)
                .Select(kv => $"{kv.Key} {kv.Value.ToString("0.000", CultureInfo.InvariantCulture)}"))));
            if (sampled && p.Uncertainty is { } u)
            {
                row.Add(u.PredictiveEntropy.ToString("0.000", CultureInfo.InvariantCulture));
                row.Add(u.Epistemic.ToString("0.000", CultureInfo.InvariantCulture));
            }
            table.AddRow(row.ToArray());
        }
        ui.Out.Write(table);
    }
}
