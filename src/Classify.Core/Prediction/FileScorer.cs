using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Training;
using Classify.Core.Uncertainty;

namespace Classify.Core.Prediction;

/// <summary>Settings of <see cref="FileScorer.Score"/>.</summary>
public sealed record FileScoringOptions
{
    /// <summary>Text column of the input file.</summary>
    public string TextColumn { get; init; } = "text";
    /// <summary>Id column of the input file (default: the row number).</summary>
    public string? IdColumn { get; init; }
    /// <summary>Conversation column, for a model trained with context (default: the training data's, from the package).</summary>
    public string? GroupColumn { get; init; }
    /// <summary>Turn-order column, for a model trained with context (default: the training data's; none = file order).</summary>
    public string? OrderColumn { get; init; }
    /// <summary>Speaker column, for a model trained with speaker tags (default: the training data's).</summary>
    public string? SpeakerColumn { get; init; }
    /// <summary>Rows handed to the model at a time (also the memory bound).</summary>
    public int BatchSize { get; init; } = 256;
    /// <summary>How uncertainty is estimated (default: from the deterministic pass; see <see cref="UncertaintyOptions"/>).</summary>
    public UncertaintyOptions Uncertainty { get; init; } = UncertaintyOptions.SinglePass;
    /// <summary>Seed of the Monte-Carlo dropout passes (used when <see cref="Uncertainty"/> samples).</summary>
    public ulong Seed { get; init; }
    /// <summary>
    /// Score only this contiguous slice of the rows (null: all of them). The file is then read twice: a first pass
    /// counts its rows (records, not lines: a quoted CSV field may span lines), the second scores the shard's range.
    /// Rows keep their whole-file ids and conversation context, and only shard 0 writes the CSV header, so the shards'
    /// outputs concatenated in index order equal the single-process output byte for byte.
    /// </summary>
    public FileShard? Shard { get; init; }
    /// <summary>Rows scored so far (stage "scoring", total unknown).</summary>
    public IProgress<ProgressUpdate>? Progress { get; init; }
}

/// <summary>
/// Scores a whole file: rows stream in, are predicted a batch at a time and stream out, so memory stays constant
/// whatever the file size. The output (<c>.csv</c>: id, text, labels, p_&lt;label&gt; …, then the
/// <see cref="UncertaintyColumns"/>, then <see cref="AbstainedColumn"/> for a model with an abstain rule; <c>.jsonl</c>:
/// the <see cref="PredictionJson"/> lines with ids and uncertainty)
/// appears atomically, only when every row is done. The rows' uncertainty is estimated as <see cref="FileScoringOptions.Uncertainty"/>
/// says; with the same seed the output is the same whatever the batch sizes.
/// </summary>
public static class FileScorer
{
    /// <summary>
    /// The last CSV column when the model has an abstain rule (<see cref="TextClassifier.ActiveAbstainRule"/>):
    /// <c>true</c> when the row was abstained (its <c>labels</c> cell is then empty), else <c>false</c>.
    /// </summary>
    public const string AbstainedColumn = "abstained";

    /// <summary>Scores <paramref name="inputPath"/> (or its <see cref="FileScoringOptions.Shard"/>) into <paramref name="outputPath"/> and returns the rows written.</summary>
    /// <exception cref="InputException">Bad input file, an output that is not .csv/.jsonl, or the output is the input.</exception>
    /// <exception cref="NotSupportedException">More than one MC sample for a model without dropout (checked before anything is read).</exception>
    public static long Score(TextClassifier classifier, string inputPath, string outputPath, FileScoringOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        options ??= new FileScoringOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ArgumentNullException.ThrowIfNull(options.Uncertainty);
        if (options.Uncertainty.FindProblem() is { } problem) throw new ArgumentException($"{problem.Key}: {problem.Reason}", nameof(options));
        if (options.Uncertainty.PredictorProblem(classifier.Predictor) is { } noDropout) throw new NotSupportedException(noDropout);
        var ext = Path.GetExtension(outputPath).ToLowerInvariant();
        bool jsonl = ext is ".jsonl" or ".ndjson" or ".json";
        if (!jsonl && ext != ".csv") throw new InputException("output must end in .csv or .jsonl", outputPath, field: "--output");
        if (SamePath(inputPath, outputPath))
            throw new InputException("the output would replace the input file; choose another --output", outputPath, field: "--output");
        if (options.Shard is { Count: < 1 }) throw new ArgumentException("Shard: not initialised (use new FileShard(index, count))", nameof(options));
        var readOptions = classifier.ReadingOptions(new DatasetOptions
        {
            TextColumn = options.TextColumn, IdColumn = options.IdColumn, GroupColumn = options.GroupColumn, OrderColumn = options.OrderColumn,
            SpeakerColumn = options.SpeakerColumn,
        });
        var labels = classifier.Schema.Labels;
        int batchSize = options.BatchSize;
        // The shard's rows, by their 0-based position in the file; the counting pass reads the file exactly as scoring
        // does, so both agree on what a row is (and a bad row fails every shard, as it fails a single process).
        var (start, end) = options.Shard is { Count: > 1 } shard
            ? shard.RangeOf(DatasetLoader.ReadUnlabelled(inputPath, readOptions, cancellationToken).LongCount())
            : (0L, long.MaxValue);
        bool header = options.Shard?.WritesHeader ?? true;
        long count = 0;
        AtomicFile.WriteText(outputPath, writer =>
        {
            var csv = new CsvWriter(writer);
            var uncertaintyHeader = UncertaintyColumns.Header(classifier.Schema);
            // Read once: the column is there for every row or for none.
            bool abstains = classifier.ActiveAbstainRule is not null;
            string[] abstainHeader = abstains ? [AbstainedColumn] : [];
            if (!jsonl && header) csv.WriteRow(["id", "text", "labels", .. labels.Select(l => "p_" + l), .. uncertaintyHeader, .. abstainHeader]);
            var row = new object?[3 + labels.Count + uncertaintyHeader.Length + abstainHeader.Length];
            var batch = new List<Example>(batchSize);
            void Flush()
            {
                if (batch.Count == 0) return;
                var inputs = batch.Select(e => new TextInput(e.Text, e.Context)).ToArray();
                var probabilities = classifier.PredictProbabilities(inputs, batchSize, cancellationToken);
                var uncertainty = classifier.PredictUncertainty(inputs, probabilities, options.Uncertainty, options.Seed, cancellationToken);
                for (int i = 0; i < batch.Count; i++)
                {
                    var p = classifier.ToPrediction(batch[i].Text, probabilities[i], uncertainty[i]);
                    if (jsonl)
                    {
                        writer.WriteLine(PredictionJson.Format(p, batch[i].Id));
                        continue;
                    }
                    row[0] = batch[i].Id;
                    row[1] = p.Text;
                    row[2] = string.Join("|", p.Labels);
                    for (int k = 0; k < labels.Count; k++) row[3 + k] = probabilities[i][k];
                    UncertaintyColumns.Fill(uncertainty[i], row, 3 + labels.Count);
                    if (abstains) row[^1] = p.Abstained ? "true" : "false";
                    csv.WriteValues(row);
                }
                count += batch.Count;
                batch.Clear();
                options.Progress?.Report(new ProgressUpdate("scoring", count, 0));
            }
            long position = 0;
            // Rows before the shard are still read (ids count rows, context comes from earlier turns), not scored.
            foreach (var example in DatasetLoader.ReadUnlabelled(inputPath, readOptions, cancellationToken))
            {
                if (position++ < start) continue;
                if (position > end) break;
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
