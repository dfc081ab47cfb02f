// Tweet-sentiment baseline benchmark: TF-IDF + logistic-regression grid search, the C# side of bench/run-linear-bench.sh.
// Reads tweet-sentiment-extraction/train.csv, makes (or reuses) a stratified 70/15/15 split with seed 42, cleans the text as
// the tweet notebook does, writes the cleaned splits to a CSV that the sklearn script reads, then times
// TF-IDF fit + 5-fold grid search + refit + test scoring (wall clock, and CPU seconds of all threads) and prints one JSON object.
// With --ensemble k it instead times linear.ensemble's k member fits (parallel over the cores, warm-started, then cold)
// against single fits of one bootstrap member, for the acceptance "k members in ≤ 1.2 × k single fits / cores used".
using System.Text.Json;
using Classify.Core.Cleaning;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Metrics;
using Classify.Core.Randomness;
using Classify.Linear.Engine;
using Classify.Linear.FeatureExtraction;
using Classify.Linear.LogisticRegression;
using Classify.Linear.ModelSelection;

var arguments = ParseArguments(args);
string dataPath = arguments.GetValueOrDefault("data") ?? throw new ArgumentException("--data <train.csv> is required");
string cleanedPath = arguments.GetValueOrDefault("cleaned-out") ?? "cleaned.csv";
string mode = arguments.GetValueOrDefault("mode") ?? "ovr"; // ovr (liblinear objective, as sklearn) | multinomial | both
string[] labelNames = ["negative", "neutral", "positive"];

// Load: textID,text,selected_text,sentiment; the one empty text is dropped, as the notebook's dropna does.
var rows = new List<(string Id, string Text, int Label)>();
using (var reader = RecordReader.Open(dataPath))
{
    foreach (var record in reader.ReadAll())
    {
        string Field(string name) => record.TryGetValue(name, out var value)
            ? value ?? ""
            : throw new InputException($"no '{name}' column", dataPath, record.Line, name);
        int label = Array.IndexOf(labelNames, Field("sentiment"));
        if (label < 0) throw new InputException($"Unknown sentiment '{Field("sentiment")}'.", dataPath, record.Line, "sentiment");
        if (string.IsNullOrWhiteSpace(Field("text"))) continue;
        rows.Add((Field("textID"), Field("text"), label));
    }
}

// Split: reuse ids from --split-dir (train_ids.csv, val_ids.csv, test_ids.csv) when present, else stratified 70/15/15, seed 42.
var splitOf = new Dictionary<string, string>();
string? splitDir = arguments.GetValueOrDefault("split-dir");
if (splitDir != null && File.Exists(Path.Combine(splitDir, "train_ids.csv")))
{
    foreach (var split in new[] { "train", "val", "test" })
        foreach (var id in File.ReadLines(Path.Combine(splitDir, $"{split}_ids.csv")).Skip(1)) splitOf[id.Trim().Trim('"')] = split;
}
else
{
    var random = SeededRandom.ForPurpose(42, "bench-split");
    for (int c = 0; c < labelNames.Length; c++)
    {
        var members = rows.Where(r => r.Label == c).Select(r => r.Id).ToArray();
        random.Shuffle(members.AsSpan());
        int train = (int)Math.Round(members.Length * 0.70), val = (int)Math.Round(members.Length * 0.15);
        for (int i = 0; i < members.Length; i++) splitOf[members[i]] = i < train ? "train" : i < train + val ? "val" : "test";
    }
}

var cleaner = new TextCleaner(new CleaningOptions { Urls = true, Mentions = true, Lowercase = true, StopWords = true, Stem = true, Whitespace = true });
var cleaned = cleaner.Clean(rows.Select(r => r.Text).ToArray());
AtomicFile.WriteText(cleanedPath, w =>
{
    var csv = new CsvWriter(w);
    csv.WriteRow(new string?[] { "id", "text", "label", "split" });
    for (int i = 0; i < rows.Count; i++)
        if (splitOf.TryGetValue(rows[i].Id, out var split)) csv.WriteRow(new string?[] { rows[i].Id, cleaned[i], labelNames[rows[i].Label], split });
});
var trainRows = Enumerable.Range(0, rows.Count).Where(i => splitOf.GetValueOrDefault(rows[i].Id) == "train").ToArray();
var testRows = Enumerable.Range(0, rows.Count).Where(i => splitOf.GetValueOrDefault(rows[i].Id) == "test").ToArray();

if (arguments.TryGetValue("ensemble", out var ensembleText))
{
    Console.WriteLine(JsonSerializer.Serialize(EnsembleBench(int.Parse(ensembleText, System.Globalization.CultureInfo.InvariantCulture)),
        new JsonSerializerOptions { WriteIndented = true }));
    return;
}

var results = new List<object>();
foreach (var m in mode == "both" ? new[] { "ovr", "multinomial" } : new[] { mode })
    results.Add(Run(m));
Console.WriteLine(JsonSerializer.Serialize(new
{
    tool = "classify",
    cores = Environment.ProcessorCount,
    n_train = trainRows.Length,
    n_test = testRows.Length,
    cleaned_csv = Path.GetFullPath(cleanedPath),
    runs = results,
}, new JsonSerializerOptions { WriteIndented = true }));

object Run(string runMode)
{
    var clock = Clock.Start();
    var vectorizer = BaselineVectorizer();
    var xTrain = vectorizer.FitTransform(trainRows.Select(i => cleaned[i]).ToArray());
    var yTrain = trainRows.Select(i => rows[i].Label).ToArray();
    double tfidfSeconds = clock.Wall;
    var grid = new ParameterGrid(new Dictionary<string, IReadOnlyList<object?>>
    {
        ["C"] = [0.1, 0.5, 1.0, 2.0, 4.0, 8.0],
        ["class_weight"] = [ClassWeight.None, ClassWeight.Balanced, ClassWeight.Explicit(new Dictionary<int, double> { [0] = 1.2, [1] = 0.8, [2] = 1.2 })],
        ["penalty"] = [Penalty.L1, Penalty.L2],
    });
    var baseOptions = runMode == "ovr"
        ? new LogisticRegressionOptions { Solver = LogisticSolver.Liblinear }
        : new LogisticRegressionOptions { Solver = LogisticSolver.Lbfgs, MultiClass = MultiClassMode.Multinomial };
    var search = LogisticRegressionSearch.Create(grid, baseOptions, new GridSearchOptions { Folds = 5, Seed = 42, Scoring = "macro_f1" });
    var result = search.Fit(xTrain, yTrain, 3);
    double searchSeconds = clock.Wall - tfidfSeconds;
    var model = (LogisticRegressionClassifier)result.BestEstimator!;
    var xTest = vectorizer.Transform(testRows.Select(i => cleaned[i]).ToArray());
    var predicted = model.Predict(xTest);
    var gold = testRows.Select(i => rows[i].Label).ToArray();
    double testF1 = ClassificationMetrics.PrecisionRecallFScore(gold, predicted, 3, MetricAverage.Macro).F1;
    double wall = clock.Wall, cpu = clock.Cpu;   // cpu: all threads, user + system
    if (arguments.TryGetValue("grid-csv", out var gridCsv)) result.WriteCsv(gridCsv.Replace("{mode}", runMode));
    return new
    {
        mode = runMode == "ovr" ? "one-vs-rest, liblinear objective (trust-region Newton l2, newGLMNET l1)" : "multinomial, lbfgs objective",
        n_features = xTrain.Columns,
        candidates = grid.Count,
        best_params = result.BestParameters.ToString(),
        best_cv_macro_f1 = result.BestScore,
        test_macro_f1 = testF1,
        tfidf_seconds = tfidfSeconds,
        search_seconds = searchSeconds,
        wall_seconds = wall,
        cpu_seconds = cpu,
        mean_fit_seconds_l1 = result.Candidates.Where(c => Equals(c.Parameters["penalty"], Penalty.L1)).Average(c => c.MeanFitSeconds),
        mean_fit_seconds_l2 = result.Candidates.Where(c => Equals(c.Parameters["penalty"], Penalty.L2)).Average(c => c.MeanFitSeconds),
    };
}

// k member fits of linear.ensemble (LinearEnsemble.Fit, as the trainer runs them) against single fits, in one process:
// the single fit is one bootstrap member fitted alone, single-threaded and cold (members 0-4), the reference
// cost a member would have without the ensemble machinery (after two untimed fits, median of 5); the target is ensemble wall ≤ 1.2 × k × single / cores.
object EnsembleBench(int k)
{
    var vectorizer = BaselineVectorizer();
    var x = vectorizer.FitTransform(trainRows.Select(i => cleaned[i]).ToArray());
    var targets = SearchTargets.SingleLabel(trainRows.Select(i => rows[i].Label).ToArray(), 3);
    double c = double.Parse(arguments.GetValueOrDefault("C") ?? "1", System.Globalization.CultureInfo.InvariantCulture);
    var options = new LogisticRegressionOptions { Solver = LogisticSolver.Liblinear, C = c, MaxDegreeOfParallelism = 1 };
    var clock = Clock.Start();
    var final = new LogisticRegressionClassifier(options);
    ((ISearchEstimator)final).Fit(x, targets, CancellationToken.None);
    double finalSeconds = clock.Wall;
    var singles = new List<double>();
    for (int m = -2; m < 5; m++)   // two untimed fits first (JIT tiering), then members 0-4
    {
        var start = Clock.Start();   // resampling is part of a member's cost, as in LinearEnsemble.Fit
        var rowsOf = LinearEnsemble.BootstrapRows(targets, 42, m < 0 ? 100 - m : m);
        var (xm, ym) = (x.SelectRows(rowsOf), targets.Select(rowsOf));
        ((ISearchEstimator)new LogisticRegressionClassifier(options)).Fit(xm, ym, CancellationToken.None);
        if (m >= 0) singles.Add(start.Wall);
    }
    double single = singles.Order().ElementAt(2);
    int cores = Environment.ProcessorCount;
    string load0 = File.ReadAllText("/proc/loadavg").Trim();
    var warm = Clock.Start();
    LinearEnsemble.Fit(final, x, targets, k, 42, cores, null, CancellationToken.None);
    double warmWall = warm.Wall, warmCpu = warm.Cpu;
    var cold = Clock.Start();
    LinearEnsemble.Fit(final, x, targets, k, 42, cores, null, CancellationToken.None, warmStart: false);
    double coldWall = cold.Wall, coldCpu = cold.Cpu;
    string load1 = File.ReadAllText("/proc/loadavg").Trim();
    double budget = 1.2 * k * single / cores;
    return new
    {
        tool = "classify ensemble bench",
        date_utc = DateTime.UtcNow.ToString("u"),
        cores,
        machine = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':')[1].Trim(),
        loadavg_before = load0,
        loadavg_after = load1,
        n_train = x.Rows,
        n_features = x.Columns,
        C = c,
        k,
        final_fit_seconds = finalSeconds,
        single_member_fit_seconds = singles,
        single_member_fit_median = single,
        budget_seconds = budget,
        ensemble_warm_wall_seconds = warmWall,
        ensemble_warm_cpu_seconds = warmCpu,
        ensemble_warm_ratio_to_budget = warmWall / budget,
        // On a shared machine the cores actually obtained are CPU / wall; the budget with those cores:
        ensemble_warm_cores_used = warmCpu / warmWall,
        ensemble_warm_ratio_to_budget_at_cores_used = warmWall / (1.2 * k * single / Math.Max(1.0, warmCpu / warmWall)),
        ensemble_warm_cpu_over_k_single = warmCpu / (k * single),
        ensemble_cold_wall_seconds = coldWall,
        ensemble_cold_cpu_seconds = coldCpu,
        ensemble_cold_ratio_to_budget = coldWall / budget,
    };
}

// The tweet notebook's TF-IDF: 1-3-grams, min_df 2, max_df 0.95, at most 100,000 features, sublinear tf.
static TfidfVectorizer BaselineVectorizer() => new(new TfidfVectorizerOptions
{
    NgramRange = new NgramRange(1, 3), MaxFeatures = 100_000, MinDf = DocumentFrequency.Count(2), MaxDf = DocumentFrequency.Fraction(0.95), SublinearTf = true,
});

static Dictionary<string, string> ParseArguments(string[] args)
{
    var map = new Dictionary<string, string>();
    for (int i = 0; i + 1 < args.Length; i += 2)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Expected --name value, got '{args[i]}'.");
        map[args[i][2..]] = args[i + 1];
    }
    return map;
}
