using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Core.Randomness;
using Classify.Core.Training;

namespace Classify.Core.Uncertainty;

/// <summary>
/// Active learning: ranks unlabelled rows by how much a human label would teach the model, and keeps the
/// <see cref="SuggestionOptions.K"/> most informative ones as a queue for coders. Rows stream in and are scored a
/// batch at a time; only the best K candidates are kept (a bounded heap), so memory is O(K + batch size) whatever the
/// file size. See docs/uncertainty.md ("Active learning") for the strategies and their scores.
/// </summary>
/// <remarks>
/// <para>Ranking is deterministic: rows are ordered by the strategy's priority (most informative first) and rows of equal
/// priority by input order (the earlier row first). The same input, model, settings and seed give the same queue;
/// Monte Carlo passes are reproducible for the same seed and batch sizes.</para>
/// <para>Scores: <see cref="SuggestionStrategy.Entropy"/> = predictive entropy (nats, higher first);
/// <see cref="SuggestionStrategy.Epistemic"/> = mutual information over the dropout passes (nats, higher first);
/// <see cref="SuggestionStrategy.Margin"/> = <see cref="Margin"/> (lower first); <see cref="SuggestionStrategy.Random"/> =
/// a uniform draw in [0, 1) per row from <see cref="SeededRandom.ForPurpose"/>(seed, <c>"suggest"</c>), in row order (higher
/// first), so the sample does not depend on the batch size. The random strategy runs the model only on the K rows it
/// picked.</para>
/// </remarks>
public static class ActiveLearning
{
    /// <summary>The strategy names as the CLI spells them: entropy, epistemic, margin, random.</summary>
    public static readonly IReadOnlyList<string> StrategyNameList = ["entropy", "epistemic", "margin", "random"];

    /// <summary>The strategy names for messages: "entropy, epistemic, margin or random".</summary>
    public static string StrategyNames => string.Join(", ", StrategyNameList.Take(StrategyNameList.Count - 1)) + " or " + StrategyNameList[^1];

    /// <summary>Parses a strategy name (case-insensitive).</summary>
    /// <exception cref="InputException">An unknown name; the message lists the valid ones.</exception>
    public static SuggestionStrategy ParseStrategy(string? name) =>
        name?.Trim().ToLowerInvariant() switch
        {
            "entropy" => SuggestionStrategy.Entropy,
            "epistemic" => SuggestionStrategy.Epistemic,
            "margin" => SuggestionStrategy.Margin,
            "random" => SuggestionStrategy.Random,
            _ => throw new InputException($"unknown strategy '{name}'; expected {StrategyNames}", field: "--strategy"),
        };

    /// <summary>The CLI name of a strategy (lower case).</summary>
    public static string Name(this SuggestionStrategy strategy) => StrategyNameList[(int)strategy];

    /// <summary>
    /// The margin of one row of (mean) probabilities, in [0, 1]; a small margin is a close call.
    /// <list type="bullet">
    /// <item>Single-label (binary, multiclass): the gap between the two largest probabilities, p₍₁₎ − p₍₂₎.</item>
    /// <item>Binary with a tuned threshold t on the positive label: 2·|p₁ − t|, the distance to the decision boundary,
    /// scaled to equal the gap above when t = 0.5.</item>
    /// <item>Multi-label: minⱼ |pⱼ − tⱼ|, the distance of the label closest to its threshold (0.5 unless tuned): the one
    /// yes/no decision of the row most likely to flip.</item>
    /// </list>
    /// </summary>
    /// <param name="task">The task kind.</param>
    /// <param name="probabilities">One probability per label, in schema order.</param>
    /// <param name="thresholds">The model's per-label thresholds (<see cref="ModelManifest.Thresholds"/>), or null.</param>
    /// <exception cref="ArgumentException">Fewer than two probabilities for a single-label task, none for a multi-label one,
    /// or thresholds of another length.</exception>
    public static double Margin(TaskKind task, ReadOnlySpan<double> probabilities, IReadOnlyList<double>? thresholds = null)
    {
        if (thresholds is not null && thresholds.Count != probabilities.Length)
            throw new ArgumentException($"{thresholds.Count} thresholds for {probabilities.Length} probabilities", nameof(thresholds));
        if (task == TaskKind.Multilabel)
        {
            if (probabilities.Length == 0) throw new ArgumentException("a multi-label row needs one probability per label", nameof(probabilities));
            double closest = double.PositiveInfinity;
            for (int j = 0; j < probabilities.Length; j++) closest = Math.Min(closest, Math.Abs(probabilities[j] - (thresholds?[j] ?? 0.5)));
            return closest;
        }
        if (probabilities.Length < 2) throw new ArgumentException("a single-label row needs at least two probabilities", nameof(probabilities));
        if (task == TaskKind.Binary && thresholds is not null) return 2 * Math.Abs(probabilities[1] - thresholds[1]);
        double first = double.NegativeInfinity, second = double.NegativeInfinity;
        foreach (double p in probabilities)
        {
            if (p > first) (first, second) = (p, first);
            else if (p > second) second = p;
        }
        return first - second;
    }

    /// <summary>
    /// Checks the files of a suggestion before any work: the input exists, the output (when given) is a <c>.csv</c> file
    /// and is not the input.
    /// </summary>
    /// <exception cref="InputException">The problem, naming the file and its flag.</exception>
    public static void CheckFiles(string inputPath, string? outputPath)
    {
        ArgumentNullException.ThrowIfNull(inputPath);
        if (Directory.Exists(inputPath)) throw new InputException("is a folder, not a data file", inputPath, field: "--input");
        if (!File.Exists(inputPath)) throw new InputException("file not found", inputPath, field: "--input");
        if (outputPath is null) return;
        if (!string.Equals(Path.GetExtension(outputPath), ".csv", StringComparison.OrdinalIgnoreCase))
            throw new InputException("the queue is written as CSV: the output must end in .csv", outputPath, field: "--output");
        if (FileScorer.SamePath(inputPath, outputPath))
            throw new InputException("the output would replace the input file; choose another --output", outputPath, field: "--output");
    }

    /// <summary>Ranks the rows of an unlabelled file (CSV, TSV or JSON Lines; read as <c>predict --input</c> reads it).</summary>
    /// <param name="classifier">The model (its cleaning and decision rules apply).</param>
    /// <param name="inputPath">The unlabelled data file.</param>
    /// <param name="options">Strategy, K, columns, batch sizes, seed, progress.</param>
    /// <param name="cancellationToken">Checked between rows and batches.</param>
    /// <exception cref="InputException">A bad setting, a missing file or column, or a strategy the model cannot run.</exception>
    public static SuggestionQueue Suggest(TextClassifier classifier, string inputPath, SuggestionOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CheckFiles(inputPath, null);
        var read = classifier.ReadingOptions(new DatasetOptions
        {
            TextColumn = options.TextColumn, IdColumn = options.IdColumn, GroupColumn = options.GroupColumn, OrderColumn = options.OrderColumn,
            SpeakerColumn = options.SpeakerColumn,
        });
        return Suggest(classifier, DatasetLoader.ReadUnlabelled(inputPath, read, cancellationToken), options, cancellationToken);
    }

    /// <summary>
    /// Ranks a stream of unlabelled rows (<see cref="Example.Id"/>, <see cref="Example.Text"/> and
    /// <see cref="Example.Context"/> are used). The rows are enumerated once, <see cref="SuggestionOptions.BatchSize"/> at a
    /// time.
    /// </summary>
    /// <exception cref="InputException">A bad setting, or a Monte Carlo strategy on a model without dropout.</exception>
    public static SuggestionQueue Suggest(TextClassifier classifier, IEnumerable<Example> rows, SuggestionOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var strategy = options.Strategy;
        var scorer = new BatchScorer(classifier, options);
        var queue = new TopK<Candidate>(options.K, Candidate.Compare);
        var random = strategy == SuggestionStrategy.Random ? SeededRandom.ForPurpose(options.Seed, "suggest") : null;
        var batch = new List<Example>(Math.Min(options.BatchSize, 4096));
        long read = 0;
        int peak = 0;

        void Flush()
        {
            if (batch.Count == 0) return;
            var scored = random is null ? scorer.Score(batch, cancellationToken) : null;
            for (int i = 0; i < batch.Count; i++)
                queue.Offer(scored is null
                    ? new Candidate(read + i, random!.NextDouble(), batch[i], null)
                    : new Candidate(read + i, Priority(strategy, scored[i]), batch[i], scored[i]));
            // Counted while the batch is still held (rows kept from it are counted twice): an upper bound.
            peak = Math.Max(peak, queue.Count + batch.Count);
            read += batch.Count;
            batch.Clear();
            options.Progress?.Report(new ProgressUpdate("suggesting", read, 0));
        }

        foreach (var row in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            batch.Add(row);
            if (batch.Count == options.BatchSize) Flush();
        }
        Flush();

        var best = queue.ToSortedList();
        // The random strategy picked its rows without the model: score just those, a batch at a time.
        var unscored = best.Where(c => c.Scored is null).ToList();
        foreach (var chunk in unscored.Chunk(options.BatchSize))
        {
            var scored = scorer.Score(chunk.Select(c => c.Row).ToList(), cancellationToken);
            for (int i = 0; i < chunk.Length; i++) chunk[i].Scored = scored[i];
        }
        var suggestions = new Suggestion[best.Count];
        for (int r = 0; r < best.Count; r++)
        {
            var c = best[r];
            var s = c.Scored!.Value;
            double score = strategy == SuggestionStrategy.Margin ? s.Margin : c.Priority;
            suggestions[r] = new Suggestion(r + 1, c.Index + 1, c.Row.Id, c.Row.Text, score, s.Labels, s.Margin, s.Uncertainty);
        }
        return new SuggestionQueue(strategy, Math.Max(1, scorer.Passes), classifier.Schema.Labels, suggestions, read, peak);
    }

    // Higher = more informative.
    private static double Priority(SuggestionStrategy strategy, ScoredRow row) => strategy switch
    {
        SuggestionStrategy.Entropy => row.Uncertainty.PredictiveEntropy,
        SuggestionStrategy.Epistemic => row.Uncertainty.Epistemic,
        SuggestionStrategy.Margin => -row.Margin,
        _ => throw new ArgumentOutOfRangeException(nameof(strategy), strategy, "no model-based priority"),
    };

    internal readonly record struct ScoredRow(ExampleUncertainty Uncertainty, IReadOnlyList<string> Labels, double Margin);

    private sealed class Candidate(long index, double priority, Example row, ScoredRow? scored)
    {
        public long Index { get; } = index;
        public double Priority { get; } = priority;
        public Example Row { get; } = row;
        public ScoredRow? Scored { get; set; } = scored;

        // > 0 when a is more informative than b: the higher priority, then the earlier row.
        public static int Compare(Candidate a, Candidate b)
        {
            int byPriority = a.Priority.CompareTo(b.Priority);
            return byPriority != 0 ? byPriority : b.Index.CompareTo(a.Index);
        }
    }

    /// <summary>Scores batches of rows: one deterministic pass, or Monte Carlo dropout passes, through the model's link.</summary>
    private sealed class BatchScorer
    {
        private readonly TextClassifier _classifier;
        private readonly SuggestionOptions _options;

        public BatchScorer(TextClassifier classifier, SuggestionOptions options)
        {
            _classifier = classifier;
            _options = options;
            if (classifier.Predictor.EnsembleMembers() is > 0 and var members)
            {
                // An ensemble's members are its passes (MonteCarloUncertainty uses them for every strategy).
                if (options.McSamples is not null)
                    throw new InputException($"this model is an ensemble: its uncertainty always comes from its {members} members, " +
                                             "so Monte Carlo samples do not apply; leave --mc-samples out", field: "--mc-samples");
                Passes = 0;
                return;
            }
            Passes = options.Passes;
            // HasDropout, the rule MonteCarloUncertainty enforces: a transformer whose dropouts are all 0 is refused here,
            // as a bad flag, not later as an unexpected error.
            if (Passes > 0 && !classifier.Predictor.HasDropout)
            {
                var field = options.Strategy == SuggestionStrategy.Epistemic ? "--strategy" : "--mc-samples";
                throw new InputException(
                    $"the {classifier.Manifest.Engine} model has no dropout, so Monte Carlo passes cannot measure its epistemic uncertainty; " +
                    "use --strategy entropy or margin without --mc-samples, or a transformer model", field: field);
            }
        }

        /// <summary>Monte Carlo passes per row, 0 for one deterministic pass (or an ensemble's members).</summary>
        public int Passes { get; }

        public ScoredRow[] Score(IReadOnlyList<Example> rows, CancellationToken cancellationToken)
        {
            var inputs = rows.Select(e => new TextInput(e.Text, e.Context)).ToArray();
            var probabilities = _classifier.PredictProbabilities(inputs, _options.BatchSize, cancellationToken);
            // The one estimate predict and eval use (passes through the package's temperatures, label temperatures included).
            var passes = Passes == 0 ? UncertaintyOptions.SinglePass : new UncertaintyOptions { McSamples = Passes, McBatchSize = _options.McBatchSize };
            var uncertainty = _classifier.PredictUncertainty(inputs, probabilities, passes, _options.Seed, cancellationToken);
            var schema = _classifier.Schema;
            var thresholds = _classifier.Manifest.Thresholds;
            var result = new ScoredRow[rows.Count];
            for (int i = 0; i < result.Length; i++)
            {
                var mean = uncertainty[i].MeanProbabilities.ToArray();
                var labels = DecisionRule.Apply(schema, mean, thresholds).Select(k => schema.Labels[k]).ToArray();
                result[i] = new ScoredRow(uncertainty[i], labels, Margin(schema.Kind, mean, thresholds));
            }
            return result;
        }
    }
}
