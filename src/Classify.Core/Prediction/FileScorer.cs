using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Training;

namespace Classify.Core.Prediction;

/// <summary>Settings of <see cref="FileScorer.Score"/>.</summary>
public sealed record FileScoringOptions
{
    /// <summary>Text column of the input file.</summary>
    public string TextColumn { get; init; } = "text";
    /// <summary>Id column of the input file (default: the row number).</summary>
    public string? IdColumn { get; init; }
    /// <summary>Rows handed to the model at a time (also the memory bound).</summary>
    public int BatchSize { get; init; } = 256;
    /// <summary>Rows scored so far (stage "scoring", total unknown).</summary>
    public IProgress<ProgressUpdate>? Progress { get; init; }
}

/// <summary>
/// Scores a whole file: rows stream in, are predicted a batch at a time and stream out, so memory stays constant
/// whatever the file size. The output (<c>.csv</c>: id, text, labels, p_&lt;label&gt; …; <c>.jsonl</c>: the
/// <see cref="PredictionJson"/> lines with ids) appears atomically, only when every row is done.
/// </summary>
public static class FileScorer
{
    /// <summary>Scores <paramref name="inputPath"/> into <paramref name="outputPath"/> and returns the row count.</summary>
    /// <exception cref="InputException">Bad input file, an output that is not .csv/.jsonl, or the output is the input.</exception>
    public static long Score(TextClassifier classifier, string inputPath, string outputPath, FileScoringOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        options ??= new FileScoringOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        var ext = Path.GetExtension(outputPath).ToLowerInvariant();
        bool jsonl = ext is ".jsonl" or ".ndjson" or ".json";
        if (!jsonl && ext != ".csv") throw new InputException("output must end in .csv or .jsonl", outputPath, field: "--output");
        if (SamePath(inputPath, outputPath))
            throw new InputException("the output would replace the input file; choose another --output", outputPath, field: "--output");
        var readOptions = new DatasetOptions { TextColumn = options.TextColumn, IdColumn = options.IdColumn };
        var labels = classifier.Schema.Labels;
        int batchSize = options.BatchSize;
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
                    if (jsonl) writer.WriteLine(PredictionJson.Format(p, batch[i].Id));
                    else csv.WriteValues([batch[i].Id, p.Text, string.Join("|", p.Labels), .. probabilities[i].Cast<object?>()]);
                }
                count += batch.Count;
                batch.Clear();
                options.Progress?.Report(new ProgressUpdate("scoring", count, 0));
            }
            foreach (var example in DatasetLoader.ReadUnlabelled(inputPath, readOptions, cancellationToken))
            {
                batch.Add(example);
                if (batch.Count == batchSize) Flush();
            }
            Flush();
        });
        return count;
    }

    internal static bool SamePath(string a, string b)
    {
        var fa = Path.GetFullPath(a);
        var fb = Path.GetFullPath(b);
        if (string.Equals(fa, fb, StringComparison.Ordinal)) return true;
        // A symbolic link to the input is the input too.
        try
        {
            if (!File.Exists(fa) || !File.Exists(fb)) return false;
            var ra = new FileInfo(fa).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? fa;
            var rb = new FileInfo(fb).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? fb;
            return string.Equals(ra, rb, StringComparison.Ordinal);
        }
        catch (IOException) { return false; }
    }
}
