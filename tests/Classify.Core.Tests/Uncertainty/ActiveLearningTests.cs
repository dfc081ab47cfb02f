using System.Text;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Core.Randomness;
using Classify.Core.Tests.Data;
using Classify.Core.Uncertainty;

namespace Classify.Core.Tests.Uncertainty;

public sealed class ActiveLearningTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>
    /// A three-label softmax model whose logits are a fixed random function of the text; with dropout, each pass adds
    /// noise seeded by (pass seed, text) and scaled per text, so epistemic uncertainty varies from row to row. It
    /// records how many rows it scored and, at each call, how many rows the test's row stream had produced.
    /// </summary>
    private sealed class FakePredictor(bool supportsDropout = false, string task = "multiclass", string[]? labels = null,
        IReadOnlyList<double>? thresholds = null, bool hasDropout = true) : IPredictor
    {
        public ModelManifest Manifest { get; } = new()
            { Engine = "fake", Task = task, Labels = labels ?? ["a", "b", "c"], Thresholds = thresholds };
        public ScoreLink Link => Manifest.Task == "multilabel" ? ScoreLink.Sigmoid : ScoreLink.Softmax;
        public bool SupportsDropout => supportsDropout;
        public bool HasDropout => supportsDropout && hasDropout;
        public long RowsScored { get; private set; }
        public Func<long>? Produced { get; set; }
        public long MostReadAhead { get; private set; }

        public double[][] PredictScores(IReadOnlyList<TextInput> inputs, ForwardMode mode = default, CancellationToken cancellationToken = default)
        {
            if (mode.Dropout && !supportsDropout) throw new NotSupportedException();
            if (Produced is { } produced) MostReadAhead = Math.Max(MostReadAhead, produced() - RowsScored);
            if (!mode.Dropout) RowsScored += inputs.Count;
            return inputs.Select(i => Logits(i.Text, mode)).ToArray();
        }

        private double[] Logits(string text, ForwardMode mode)
        {
            var random = SeededRandom.ForPurpose(1, text);
            var logits = Manifest.Labels.Select(_ => 4 * random.NextDouble() - 2).ToArray();
            if (!mode.Dropout) return logits;
            double spread = 2 * random.NextDouble();
            var noise = SeededRandom.ForPurpose(mode.Seed, text);
            return logits.Select(z => z + spread * (noise.NextDouble() - 0.5)).ToArray();
        }

        public void Dispose() { }
    }

    private static IEnumerable<Example> Rows(int count, Func<int, string>? text = null) =>
        Enumerable.Range(1, count).Select(i => new Example($"id{i}", text?.Invoke(i) ?? $"text {i}", []));

    /// <summary>The expected queue by brute force: every row scored at once, sorted (most informative first, then row order).</summary>
    private static string[] FullSort(TextClassifier classifier, IReadOnlyList<Example> rows, SuggestionStrategy strategy, int k, int passes = 0)
    {
        var inputs = rows.Select(r => new TextInput(r.Text)).ToArray();
        var probabilities = passes == 0
            ? [classifier.PredictProbabilities(inputs)]
            : classifier.Predictor.PredictPasses(inputs, passes, 42, 1000).Select(p => LinkFunction.Apply(p, ScoreLink.Softmax)).ToArray();
        var u = UncertaintyCalculator.FromPasses(probabilities, classifier.Schema.Kind);
        double Key(int i) => strategy switch
        {
            SuggestionStrategy.Entropy => u[i].PredictiveEntropy,
            SuggestionStrategy.Epistemic => u[i].Epistemic,
            _ => -ActiveLearning.Margin(classifier.Schema.Kind, u[i].MeanProbabilities.ToArray()),
        };
        return Enumerable.Range(0, rows.Count).OrderByDescending(Key).ThenBy(i => i).Take(k).Select(i => rows[i].Id).ToArray();
    }

    [Theory]
    [InlineData(SuggestionStrategy.Entropy, 37, 64)]
    [InlineData(SuggestionStrategy.Entropy, 1, 1)]
    [InlineData(SuggestionStrategy.Margin, 37, 50)]
    [InlineData(SuggestionStrategy.Margin, 3000, 500)]   // K larger than the input: every row, sorted
    [InlineData(SuggestionStrategy.Epistemic, 25, 100)]
    public void The_queue_is_the_first_k_of_a_full_sort(SuggestionStrategy strategy, int k, int batchSize)
    {
        using var classifier = new TextClassifier(new FakePredictor(supportsDropout: strategy == SuggestionStrategy.Epistemic));
        var rows = Rows(2000).ToList();
        var queue = ActiveLearning.Suggest(classifier, rows, new SuggestionOptions { Strategy = strategy, K = k, BatchSize = batchSize });
        var expected = FullSort(classifier, rows, strategy, k, strategy == SuggestionStrategy.Epistemic ? SuggestionOptions.DefaultMcSamples : 0);
        Assert.Equal(expected, queue.Suggestions.Select(s => s.Id));
        Assert.Equal(Enumerable.Range(1, expected.Length), queue.Suggestions.Select(s => s.Rank));
        Assert.Equal(2000, queue.RowsRead);
        // The score is the strategy's own quantity, ordered most informative first.
        var scores = queue.Suggestions.Select(s => s.Score).ToArray();
        if (strategy == SuggestionStrategy.Margin)
        {
            Assert.Equal(queue.Suggestions.Select(s => s.Margin), scores);
            Assert.Equal(scores.Order(), scores);
        }
        else
        {
            Assert.Equal(queue.Suggestions.Select(s => strategy == SuggestionStrategy.Entropy ? s.Uncertainty.PredictiveEntropy : s.Uncertainty.Epistemic), scores);
            Assert.Equal(scores.OrderDescending(), scores);
        }
    }

    [Fact]
    public void Epistemic_runs_monte_carlo_passes_and_finds_model_uncertainty()
    {
        using var classifier = new TextClassifier(new FakePredictor(supportsDropout: true));
        var queue = ActiveLearning.Suggest(classifier, Rows(200), new SuggestionOptions { Strategy = SuggestionStrategy.Epistemic, K = 10, McSamples = 8 });
        Assert.Equal(8, queue.Passes);
        Assert.All(queue.Suggestions, s => Assert.True(s.Uncertainty.Epistemic > 0));
        Assert.All(queue.Suggestions, s => Assert.Equal(8, s.Uncertainty.Passes));
        // One deterministic pass for entropy: no epistemic part.
        var entropy = ActiveLearning.Suggest(classifier, Rows(200), new SuggestionOptions { K = 10 });
        Assert.Equal(1, entropy.Passes);
        Assert.All(entropy.Suggestions, s => Assert.Equal(0.0, s.Uncertainty.Epistemic));
    }

    [Theory]
    [InlineData(SuggestionStrategy.Entropy)]
    [InlineData(SuggestionStrategy.Margin)]
    [InlineData(SuggestionStrategy.Random)]
    public void Ties_go_to_the_earlier_row_whatever_the_batch_size(SuggestionStrategy strategy)
    {
        using var classifier = new TextClassifier(new FakePredictor());
        // Three distinct texts repeated: each score occurs many times.
        string Text(int i) => $"text {i % 3}";
        string[]? first = null;
        foreach (int batchSize in new[] { 1, 7, 64, 10_000 })
        {
            var queue = ActiveLearning.Suggest(classifier, Rows(300, Text), new SuggestionOptions { Strategy = strategy, K = 40, BatchSize = batchSize });
            var ids = queue.Suggestions.Select(s => s.Id).ToArray();
            first ??= ids;
            Assert.Equal(first, ids);
        }
        if (strategy == SuggestionStrategy.Random) return;
        // Among equal scores, row order: the queue is the rows of the best text in input order, then the next text's.
        var best = ActiveLearning.Suggest(classifier, Rows(300, Text), new SuggestionOptions { Strategy = strategy, K = 40 });
        var bestText = best.Suggestions[0].Text;
        var expected = Enumerable.Range(1, 300).Where(i => Text(i) == bestText).Take(40).Select(i => (long)i);
        Assert.Equal(expected, best.Suggestions.Select(s => s.Row));   // each text occurs 100 times: all 40 are the best one's
        Assert.Equal(best.Suggestions.Select(s => $"id{s.Row}"), best.Suggestions.Select(s => s.Id));
    }

    [Fact]
    public void Memory_stays_bounded_by_k_plus_the_batch_on_a_200k_row_file()
    {
        var path = Path.Combine(_dir.Path, "big.csv");
        using (var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16))
        {
            writer.Write("id,text\n");
            for (int i = 0; i < 200_000; i++) writer.Write($"r{i},text number {i}\n");
        }
        var predictor = new FakePredictor();
        using var classifier = new TextClassifier(predictor);
        var progress = new List<long>();
        var queue = ActiveLearning.Suggest(classifier, path, new SuggestionOptions
        {
            K = 50, BatchSize = 100, IdColumn = "id", Progress = new Recorder(u => progress.Add(u.Completed)),
        });
        Assert.Equal(200_000, queue.RowsRead);
        Assert.Equal(200_000, predictor.RowsScored);
        Assert.Equal(50, queue.Suggestions.Count);
        Assert.InRange(queue.PeakRowsHeld, 100, 150);
        Assert.Equal(2000, progress.Count);   // one report per batch
        Assert.Equal(200_000, progress[^1]);
        Assert.StartsWith("r", queue.Suggestions[0].Id);
    }

    [Fact]
    public void Rows_are_read_one_batch_ahead_of_the_model_at_most()
    {
        long produced = 0;
        IEnumerable<Example> Stream()
        {
            foreach (var row in Rows(5000))
            {
                produced++;
                yield return row;
            }
        }
        var predictor = new FakePredictor { Produced = () => produced };
        using var classifier = new TextClassifier(predictor);
        var queue = ActiveLearning.Suggest(classifier, Stream(), new SuggestionOptions { K = 10, BatchSize = 32 });
        Assert.Equal(5000, queue.RowsRead);
        Assert.InRange(predictor.MostReadAhead, 1, 32);   // reading everything first would show 5000
        Assert.InRange(queue.PeakRowsHeld, 32, 42);
    }

    [Fact]
    public void Random_is_a_seeded_reproducible_sample_that_scores_only_the_picked_rows()
    {
        var predictor = new FakePredictor();
        using var classifier = new TextClassifier(predictor);
        string[] Pick(ulong seed, int batchSize) => ActiveLearning.Suggest(classifier, Rows(1000),
            new SuggestionOptions { Strategy = SuggestionStrategy.Random, K = 20, Seed = seed, BatchSize = batchSize }).Suggestions.Select(s => s.Id).ToArray();
        var a = Pick(7, 64);
        Assert.Equal(20, predictor.RowsScored);   // the model saw only the 20 picked rows
        Assert.Equal(a, Pick(7, 64));
        Assert.Equal(a, Pick(7, 3));              // the draws follow row order, not batches
        Assert.NotEqual(a, Pick(8, 64));
        // The documented draw: one uniform number per row from ForPurpose(seed, "suggest"), highest first.
        var random = SeededRandom.ForPurpose(7, "suggest");
        var draws = Enumerable.Range(1, 1000).Select(i => (Id: $"id{i}", Draw: random.NextDouble())).ToArray();
        Assert.Equal(draws.OrderByDescending(d => d.Draw).Take(20).Select(d => d.Id), a);
        // Spread over the file, not the first rows.
        Assert.True(a.Select(id => int.Parse(id[2..])).Max() > 500);
    }

    [Fact]
    public void Random_queue_rows_still_carry_predictions_and_uncertainty()
    {
        using var classifier = new TextClassifier(new FakePredictor());
        var queue = ActiveLearning.Suggest(classifier, Rows(100), new SuggestionOptions { Strategy = SuggestionStrategy.Random, K = 5 });
        foreach (var s in queue.Suggestions)
        {
            var expected = classifier.Predict(s.Text);
            Assert.Equal(expected.Labels, s.Labels);
            Assert.Equal(expected.Probabilities.Values, s.Uncertainty.MeanProbabilities);
            Assert.InRange(s.Score, 0, 1);
        }
    }

    [Theory]
    [InlineData(TaskKind.Multiclass, new[] { 0.5, 0.3, 0.2 }, null, 0.2)]
    [InlineData(TaskKind.Multiclass, new[] { 0.2, 0.4, 0.4 }, null, 0.0)]       // a tie for the top: no margin
    [InlineData(TaskKind.Binary, new[] { 0.4, 0.6 }, null, 0.2)]
    [InlineData(TaskKind.Binary, new[] { 0.4, 0.6 }, new[] { 0.5, 0.3 }, 0.6)]  // 2·|0.6 − 0.3|: distance to the tuned threshold
    [InlineData(TaskKind.Binary, new[] { 0.4, 0.6 }, new[] { 0.5, 0.5 }, 0.2)]  // t = 0.5 gives the top-two gap
    [InlineData(TaskKind.Multilabel, new[] { 0.9, 0.45, 0.1 }, null, 0.05)]     // the label closest to 0.5
    [InlineData(TaskKind.Multilabel, new[] { 0.9, 0.45, 0.1 }, new[] { 0.8, 0.2, 0.5 }, 0.1)]
    public void Margin_is_the_top_two_gap_or_the_distance_to_the_threshold(TaskKind task, double[] p, double[]? thresholds, double expected) =>
        Assert.Equal(expected, ActiveLearning.Margin(task, p, thresholds), 12);

    [Fact]
    public void Margin_ranks_a_multilabel_model_by_its_closest_call()
    {
        using var classifier = new TextClassifier(new FakePredictor(task: "multilabel", labels: ["x", "y", "z", "w"]));
        var rows = Rows(500).ToList();
        var queue = ActiveLearning.Suggest(classifier, rows, new SuggestionOptions { Strategy = SuggestionStrategy.Margin, K = 15, BatchSize = 40 });
        var probabilities = classifier.PredictProbabilities(rows.Select(r => new TextInput(r.Text)).ToArray());
        var expected = Enumerable.Range(0, rows.Count).OrderBy(i => probabilities[i].Min(p => Math.Abs(p - 0.5))).ThenBy(i => i).Take(15);
        Assert.Equal(expected.Select(i => rows[i].Id), queue.Suggestions.Select(s => s.Id));
        Assert.All(queue.Suggestions, s => Assert.Equal(s.Uncertainty.MeanProbabilities.Where(p => p >= 0.5).Count(), s.Labels.Count));
    }

    [Theory]
    [InlineData("entropy", SuggestionStrategy.Entropy)]
    [InlineData("Epistemic", SuggestionStrategy.Epistemic)]
    [InlineData(" margin ", SuggestionStrategy.Margin)]
    [InlineData("RANDOM", SuggestionStrategy.Random)]
    public void Strategy_names_parse(string name, SuggestionStrategy expected)
    {
        Assert.Equal(expected, ActiveLearning.ParseStrategy(name));
        Assert.Equal(name.Trim().ToLowerInvariant(), expected.Name());
    }

    [Fact]
    public void An_unknown_strategy_lists_the_valid_ones()
    {
        var e = Assert.Throws<InputException>(() => ActiveLearning.ParseStrategy("bald"));
        Assert.Equal("--strategy", e.Field);
        Assert.Contains("'bald'", e.Message);
        Assert.Contains("entropy, epistemic, margin or random", e.Message);
    }

    public static TheoryData<SuggestionOptions, string> BadOptions => new()
    {
        { new SuggestionOptions { K = 0 }, "--k" },
        { new SuggestionOptions { BatchSize = 0 }, "--batch-size" },
        { new SuggestionOptions { McBatchSize = 0 }, "--mc-batch-size" },
        { new SuggestionOptions { McSamples = 1 }, "--mc-samples" },
        { new SuggestionOptions { McSamples = MonteCarloDropout.MaxPasses + 1 }, "--mc-samples" },
        { new SuggestionOptions { TextColumn = " " }, "--text-col" },
        { new SuggestionOptions { Strategy = (SuggestionStrategy)9 }, "--strategy" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Bad_settings_name_their_flag(SuggestionOptions options, string flag)
    {
        using var classifier = new TextClassifier(new FakePredictor(supportsDropout: true));
        var e = Assert.Throws<InputException>(() => ActiveLearning.Suggest(classifier, Rows(10), options));
        Assert.Equal(flag, e.Field);
    }

    [Theory]
    [InlineData(SuggestionStrategy.Epistemic, null, "--strategy", false)]
    [InlineData(SuggestionStrategy.Entropy, 10, "--mc-samples", false)]
    [InlineData(SuggestionStrategy.Epistemic, null, "--strategy", true)]   // a transformer whose dropouts are all 0
    public void Monte_carlo_passes_on_a_model_without_dropout_are_refused_before_any_row_is_read(SuggestionStrategy strategy, int? samples, string flag,
        bool supportsDropout)
    {
        var predictor = new FakePredictor(supportsDropout, hasDropout: false);
        using var classifier = new TextClassifier(predictor);
        bool read = false;
        IEnumerable<Example> Stream() { read = true; yield break; }
        var e = Assert.Throws<InputException>(() =>
            ActiveLearning.Suggest(classifier, Stream(), new SuggestionOptions { Strategy = strategy, McSamples = samples }));
        Assert.Equal(flag, e.Field);
        Assert.Contains("no dropout", e.Message);
        Assert.Contains("entropy or margin", e.Message);
        Assert.False(read);
    }

    [Fact]
    public void The_csv_has_rank_id_text_score_labels_uncertainty_and_probabilities()
    {
        using var classifier = new TextClassifier(new FakePredictor());
        var input = _dir.Write("in.csv", "key,text\nk1,\"hello, world\"\nk2,second\nk3,third\n");
        var output = Path.Combine(_dir.Path, "queue.csv");
        var queue = ActiveLearning.Suggest(classifier, input, new SuggestionOptions { K = 2, IdColumn = "key" });
        queue.WriteCsv(output, input);
        var table = CsvTable.Read(output);
        Assert.Equal(["rank", "id", "text", "score", "labels", "predictive_entropy", "aleatoric", "epistemic", "margin", "p_a", "p_b", "p_c"], table.Header);
        Assert.Equal(2, table.Rows.Count);
        for (int r = 0; r < 2; r++)
        {
            var s = queue.Suggestions[r];
            var row = Enumerable.Range(0, table.Rows[r].Count).Select(i => table.Rows[r][i]).ToArray();
            Assert.Equal([$"{r + 1}", s.Id, s.Text, CsvWriter.Format(s.Score), string.Join("|", s.Labels)], row.Take(5));
            Assert.Equal(CsvWriter.Format(s.Uncertainty.PredictiveEntropy), row[5]);
            Assert.Equal(s.Uncertainty.MeanProbabilities.Select(p => CsvWriter.Format(p)), row.Skip(9));
        }
        Assert.Contains(table.Column("id"), id => id is "k1" or "k2" or "k3");
        Assert.Contains(queue.Suggestions, s => s.Text == "hello, world" || s.Text == "second" || s.Text == "third");
    }

    [Theory]
    [InlineData("same")]
    [InlineData("queue.txt")]
    public void The_output_must_be_another_csv_file(string output)
    {
        using var classifier = new TextClassifier(new FakePredictor());
        var input = _dir.Write("in.csv", "text\nhello\n");
        var queue = ActiveLearning.Suggest(classifier, input, new SuggestionOptions { K = 1 });
        var target = output == "same" ? input : Path.Combine(_dir.Path, output);
        var e = Assert.Throws<InputException>(() => queue.WriteCsv(target, input));
        Assert.Equal("--output", e.Field);
        Assert.Equal("text\nhello\n", File.ReadAllText(input));
        Assert.Equal(output == "same", File.Exists(target));
    }

    [Fact]
    public void A_missing_input_file_is_named()
    {
        using var classifier = new TextClassifier(new FakePredictor());
        var missing = Path.Combine(_dir.Path, "nope.csv");
        var e = Assert.Throws<InputException>(() => ActiveLearning.Suggest(classifier, missing, new SuggestionOptions()));
        Assert.Equal("--input", e.Field);
        Assert.Equal(missing, e.File);
    }

    private sealed class Recorder(Action<Classify.Core.Training.ProgressUpdate> report) : IProgress<Classify.Core.Training.ProgressUpdate>
    {
        public void Report(Classify.Core.Training.ProgressUpdate value) => report(value);
    }
}
