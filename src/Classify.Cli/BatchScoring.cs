using System.Text.Json;
using Classify.Cli.Commands;
using Classify.Cli.Terminal;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Prediction;

namespace Classify.Cli;

/// <summary>
/// <c>predict --input FILE --output FILE</c>: streams rows in, predicts a batch at a time and streams results out,
/// so memory stays constant whatever the file size. The output appears (atomically) only when every row is done.
/// </summary>
internal static class BatchScoring
{
    public static long ScoreFile(TextClassifier classifier, string inputPath, string outputPath, string textColumn, string? idColumn,
        int batchSize, ConsoleUi ui, CancellationToken cancellationToken)
    {
        var ext = Path.GetExtension(outputPath).ToLowerInvariant();
        bool jsonl = ext is ".jsonl" or ".ndjson" or ".json";
        if (!jsonl && ext != ".csv") throw new InputException("output must end in .csv or .jsonl", outputPath, field: "--output");
        var options = new DatasetOptions { TextColumn = textColumn, IdColumn = idColumn };
        var labels = classifier.Schema.Labels;
        long count = 0;
        AtomicFile.WriteText(outputPath, writer =>
        {
            var csv = new CsvWriter(writer);
            if (!jsonl) csv.WriteRow(["id", "text", "labels", .. labels.Select(l => "p_" + l)]);
            var batch = new List<Example>(batchSize);
            void Flush()
            {
                if (batch.Count == 0) return;
                var inputs = batch.Select(e => new TextInput(e.Text, e.Context)).ToArray();
                var probabilities = classifier.PredictProbabilities(inputs, batchSize, cancellationToken);
                for (int i = 0; i < batch.Count; i++)
                {
                    var p = classifier.ToPrediction(batch[i].Text, probabilities[i]);
                    if (jsonl)
                        writer.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                        {
                            ["id"] = batch[i].Id, ["text"] = p.Text, ["labels"] = p.Labels, ["probabilities"] = p.Probabilities,
                        }, PredictCommand.JsonLineOptions));
                    else
                        csv.WriteValues([batch[i].Id, p.Text, string.Join("|", p.Labels), .. probabilities[i].Cast<object?>()]);
                }
                count += batch.Count;
                batch.Clear();
                if (count % (batchSize * 50) == 0) ui.Info($"{count:N0} rows scored");
            }
            foreach (var example in DatasetLoader.ReadUnlabelled(inputPath, options, cancellationToken))
            {
                batch.Add(example);
                if (batch.Count == batchSize) Flush();
            }
            Flush();
        });
        return count;
    }
}
