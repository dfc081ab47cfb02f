using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Core.Prediction;
using Classify.Core.Runs;
using Classify.Core.Training;
using Classify.Linear.FeatureExtraction;
using Classify.Linear.LogisticRegression;
using Classify.Linear.ModelSelection;
using Classify.Linear.Sparse;

namespace Classify.Linear.Engine;

/// <summary>
/// Trains TF-IDF + logistic regression. With a <c>search.grid</c>, candidates are compared by stratified k-fold
/// cross-validation on the training split (single-label tasks) or on the validation split (multi-label tasks, or
/// <c>cv: 0</c>); the best is refitted on the whole training split. The vectorizer is fitted once on the training
/// split and shared by all folds, as a grid search over a precomputed TF-IDF matrix does.
/// </summary>
public sealed class LinearTrainer : ClassifierTrainer<LinearOptions>
{
    /// <inheritdoc />
    public override string Engine => LinearPredictor.EngineName;

    /// <inheritdoc />
    public override LinearOptions ParseOptions(Core.Configuration.ConfigReader section, LabelSchema schema) => LinearOptions.Read(section, schema);

    /// <inheritdoc />
    public override TrainingOutcome Train(TrainingRequest request, LinearOptions options, CancellationToken cancellationToken)
    {
        var schema = request.Schema;
        var progress = request.Progress;

        progress?.Report(new ProgressUpdate("tf-idf", 0, 1));
        var vectorizer = new TfidfVectorizer(options.Tfidf);
        var xTrain = vectorizer.FitTransform(request.Train.Select(e => e.Text).ToArray());
        progress?.Report(new ProgressUpdate("tf-idf", 1, 1, $"{vectorizer.FeatureCount:N0} features"));
        cancellationToken.ThrowIfCancellationRequested();

        LogisticRegressionClassifier classifier;
        JsonObject? best = null;
        var trials = new List<TrialRecord>();
        if (options.Grid.Count == 0)
        {
            classifier = Fit(options.LogReg, xTrain, request.Train, schema, cancellationToken);
        }
        else if (!schema.IsMultilabel && options.Folds >= 2)
        {
            var search = LogisticRegressionSearch.Create(new ParameterGrid(options.Grid), options.LogReg, new GridSearchOptions
            {
                Folds = options.Folds, Seed = unchecked((ulong)request.Seed), Scoring = options.Scoring, Refit = true,
            });
            var y = request.Train.Select(e => e.Label).ToArray();
            var result = search.Fit(xTrain, y, schema.Count, progress is null ? null : new GridProgress(progress), cancellationToken);
            result.WriteCsv(request.Run.SearchTableCsv);
            classifier = (LogisticRegressionClassifier)(result.BestEstimator ?? throw new InvalidOperationException("the grid search did not refit"));
            trials.AddRange(result.Candidates.Select(c => new TrialRecord(c.Index, ParamsJson(c.Parameters, schema), c.MeanScore, c.StdScore, c.MeanFitSeconds)));
            best = new JsonObject
            {
                ["metric"] = options.Scoring, ["value"] = result.BestScore, ["selection"] = $"{options.Folds}-fold cross-validation",
                ["params"] = JsonNode.Parse(ParamsJson(result.BestParameters, schema)),
            };
        }
        else
        {
            (classifier, best) = SelectOnValidation(options, vectorizer, xTrain, request, trials, cancellationToken);
        }

        var manifest = request.Manifest with
        {
            Engine = LinearPredictor.EngineName,
            EngineOptions = new JsonObject
            {
                ["features"] = vectorizer.FeatureCount,
                ["mode"] = classifier.Mode.ToString().ToLowerInvariant(),
                ["logreg"] = JsonSerializer.SerializeToNode(classifier.Options),
            },
        };
        return new TrainingOutcome(new TrainedModel(new LinearPredictor(manifest, vectorizer, classifier)), best, trials);
    }

    /// <summary>A fitted linear model: in memory until the experiment saves it.</summary>
    private sealed class TrainedModel(LinearPredictor predictor) : ITrainedModel
    {
        public IPredictor Predictor => predictor;
        public void Save(string directory, ModelManifest manifest) => predictor.Save(directory, manifest);
        public void Dispose() => predictor.Dispose();
    }

    private static LogisticRegressionClassifier Fit(LogisticRegressionOptions options, CsrMatrix x, IReadOnlyList<Core.Data.Example> examples,
        LabelSchema schema, CancellationToken ct)
    {
        var classifier = new LogisticRegressionClassifier(options);
        if (schema.IsMultilabel) classifier.Fit(x, Indicators(examples, schema.Count), cancellationToken: ct);
        else classifier.Fit(x, examples.Select(e => e.Label).ToArray(), classCount: schema.Count, cancellationToken: ct);
        return classifier;
    }

    /// <summary>Fits every candidate on train, scores it on validation, keeps the best (already fitted on the whole training split).</summary>
    private static (LogisticRegressionClassifier, JsonObject) SelectOnValidation(LinearOptions options, TfidfVectorizer vectorizer, CsrMatrix xTrain,
        TrainingRequest request, List<TrialRecord> trials, CancellationToken ct)
    {
        var schema = request.Schema;
        if (request.Validation.Count == 0)
            throw new InputException("a grid search without cross-validation (multi-label, or cv: 0) selects on the validation split, which is empty", field: "linear.search");
        var xVal = vectorizer.Transform(request.Validation.Select(e => e.Text).ToArray());
        var grid = new ParameterGrid(options.Grid);
        bool higherIsBetter = MetricKeys.GreaterIsBetter(options.Scoring);
        LogisticRegressionClassifier? bestModel = null;
        ParameterSet? bestParams = null;
        double bestScore = double.NaN;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < grid.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var fit = Stopwatch.StartNew();
            var candidate = Fit(LogisticRegressionSearch.Apply(options.LogReg, grid[i]), xTrain, request.Train, schema, ct);
            var probabilities = candidate.PredictProbabilities(xVal);
            var score = Evaluator.Score("val", schema, request.Validation, probabilities, thresholds: null).Report.TryGet(options.Scoring, out var s) ? s : double.NaN;
            trials.Add(new TrialRecord(i, ParamsJson(grid[i], schema), score, null, fit.Elapsed.TotalSeconds));
            if (bestModel is null || (higherIsBetter ? score > bestScore : score < bestScore))
            {
                bestModel = candidate;
                bestParams = grid[i];
                bestScore = score;
            }
            var eta = TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / (i + 1) * (grid.Count - i - 1));
            request.Progress?.Report(new ProgressUpdate("grid search (validation)", i + 1, grid.Count, $"best {options.Scoring} {bestScore:0.0000} ETA {eta:mm\\:ss}"));
            var control = TrainerControl.Notify(request.Callbacks, new TrainerEvaluation(i, 0, new Dictionary<string, double> { [options.Scoring] = score }));
            if (control.ShouldStop && i + 1 < grid.Count)
            {
                request.Log?.Invoke($"grid search stopped after {i + 1} of {grid.Count} candidates: {control.StopReason}");
                break;
            }
        }
        WriteValidationTable(request.Run.SearchTableCsv, grid, trials, higherIsBetter);
        var best = new JsonObject
        {
            ["metric"] = options.Scoring, ["value"] = bestScore, ["selection"] = "validation split",
            ["params"] = JsonNode.Parse(ParamsJson(bestParams!, schema)),
        };
        return (bestModel!, best);
    }

    /// <summary>search/grid.csv for a validation-split search: one "split" (the validation set), so std is 0.</summary>
    private static void WriteValidationTable(string path, ParameterGrid grid, IReadOnlyList<TrialRecord> trials, bool higherIsBetter)
    {
        var order = trials.OrderBy(t => higherIsBetter ? -(t.MeanScore ?? double.NegativeInfinity) : t.MeanScore ?? double.PositiveInfinity).ToList();
        var rank = new Dictionary<int, int>();
        for (int r = 0; r < order.Count; r++) rank[order[r].TrialNumber] = r + 1;
        AtomicFile.WriteText(path, w =>
        {
            var csv = new CsvWriter(w);
            csv.WriteRow(["rank", .. grid.Names.Select(n => "param_" + n), "mean_test_score", "std_test_score", "split0_test_score", "mean_fit_seconds"]);
            foreach (var t in trials)
                csv.WriteValues([rank[t.TrialNumber], .. grid.Names.Select(n => (object?)ParameterSet.FormatValue(grid[t.TrialNumber][n])),
                    t.MeanScore, 0.0, t.MeanScore, t.FitSeconds]);
        });
    }

    private static bool[][] Indicators(IReadOnlyList<Core.Data.Example> examples, int labels)
    {
        var y = new bool[examples.Count][];
        for (int i = 0; i < y.Length; i++)
        {
            y[i] = new bool[labels];
            foreach (var k in examples[i].Labels) y[i][k] = true;
        }
        return y;
    }

    /// <summary>Parameters as JSON with label names instead of class indices in explicit class weights.</summary>
    private static string ParamsJson(ParameterSet parameters, LabelSchema schema)
    {
        var o = new JsonObject();
        foreach (var (name, value) in parameters)
            o[name] = value switch
            {
                null => "none",
                ClassWeight { Weights: { } w } => new JsonObject(w.Select(kv => KeyValuePair.Create(schema.Labels[kv.Key], (JsonNode?)kv.Value))),
                ClassWeight c => c.IsBalanced ? "balanced" : "none",
                double d => d,
                bool b => b,
                _ => value.ToString(),
            };
        return o.ToJsonString();
    }

    /// <summary>Adapts grid-search progress to the common progress reports.</summary>
    private sealed class GridProgress(IProgress<ProgressUpdate> inner) : IProgress<GridSearchProgress>
    {
        public void Report(GridSearchProgress value) =>
            inner.Report(new ProgressUpdate("grid search", value.Completed, value.Total,
                value.Remaining is { } eta ? $"{value.Description} · ETA {eta:hh\\:mm\\:ss}" : value.Description));
    }
}
