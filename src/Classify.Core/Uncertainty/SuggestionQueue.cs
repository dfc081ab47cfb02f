using Classify.Core.IO;

namespace Classify.Core.Uncertainty;

/// <summary>One row of a suggestion queue: an unlabelled row a coder should label, and why.</summary>
/// <param name="Rank">1 for the most informative row.</param>
/// <param name="Row">The 1-based position of the row among the input's data rows.</param>
/// <param name="Id">The row's id (the id column, or the 1-based data row number when there is none).</param>
/// <param name="Text">The text as given in the input (before cleaning).</param>
/// <param name="Score">The strategy's score: predictive entropy, epistemic uncertainty (nats), margin, or the random draw.</param>
/// <param name="Labels">The model's predicted labels (from the mean probabilities and the model's decision rule).</param>
/// <param name="Margin">The row's margin (<see cref="ActiveLearning.Margin"/>) whatever the strategy.</param>
/// <param name="Uncertainty">Mean probabilities, predictive entropy, aleatoric and epistemic parts.</param>
public sealed record Suggestion(int Rank, long Row, string Id, string Text, double Score, IReadOnlyList<string> Labels, double Margin,
    ExampleUncertainty Uncertainty);

/// <summary>
/// The outcome of <see cref="ActiveLearning"/>: the K most informative rows, most informative first, and what it took to
/// find them.
/// </summary>
public sealed class SuggestionQueue
{
    internal SuggestionQueue(SuggestionStrategy strategy, int passes, IReadOnlyList<string> labelNames, IReadOnlyList<Suggestion> suggestions,
        long rowsRead, int peakRowsHeld)
    {
        Strategy = strategy;
        Passes = passes;
        LabelNames = labelNames;
        Suggestions = suggestions;
        RowsRead = rowsRead;
        PeakRowsHeld = peakRowsHeld;
    }

    /// <summary>The strategy that ranked the rows.</summary>
    public SuggestionStrategy Strategy { get; }

    /// <summary>Probability sets per row: the Monte Carlo dropout passes, or 1 for one deterministic pass.</summary>
    public int Passes { get; }

    /// <summary>The model's labels, in schema order (the order of <see cref="ExampleUncertainty.MeanProbabilities"/>).</summary>
    public IReadOnlyList<string> LabelNames { get; }

    /// <summary>The queue, most informative first (at most K rows; fewer when the input has fewer).</summary>
    public IReadOnlyList<Suggestion> Suggestions { get; }

    /// <summary>Rows read from the input (every one was ranked).</summary>
    public long RowsRead { get; }

    /// <summary>
    /// The most rows held at once while ranking: candidates kept plus the batch being scored. At most
    /// K + <see cref="SuggestionOptions.BatchSize"/>, whatever the input size (the memory bound).
    /// </summary>
    public int PeakRowsHeld { get; }

    /// <summary>
    /// The CSV columns: <c>rank, id, text, score, labels</c> (predicted labels joined with <c>|</c>),
    /// <c>predictive_entropy, aleatoric, epistemic, margin</c>, then <c>p_&lt;label&gt;</c> (mean probability) per label.
    /// </summary>
    public IReadOnlyList<string> CsvHeader =>
        ["rank", "id", "text", "score", "labels", .. UncertaintyColumns.ExampleColumns, "margin", .. LabelNames.Select(l => "p_" + l)];

    /// <summary>Writes the queue as CSV (columns: <see cref="CsvHeader"/>; numbers in invariant round-trip form).</summary>
    public void WriteCsv(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var csv = new CsvWriter(writer);
        csv.WriteRow(CsvHeader);
        foreach (var s in Suggestions)
        {
            var u = s.Uncertainty;
            csv.WriteValues([s.Rank, s.Id, s.Text, s.Score, string.Join("|", s.Labels), u.PredictiveEntropy, u.Aleatoric, u.Epistemic, s.Margin,
                .. u.MeanProbabilities.Cast<object?>()]);
        }
    }

    /// <summary>
    /// Writes the queue as CSV to <paramref name="outputPath"/> atomically (the file appears complete or not at all).
    /// Pass the input file as <paramref name="inputPath"/> to refuse overwriting it.
    /// </summary>
    /// <exception cref="InputException">The output is not a .csv file, or is the input.</exception>
    public void WriteCsv(string outputPath, string? inputPath = null)
    {
        ArgumentNullException.ThrowIfNull(outputPath);
        if (inputPath is not null) ActiveLearning.CheckFiles(inputPath, outputPath);
        AtomicFile.WriteText(outputPath, WriteCsv);
    }
}
