using System.Text.Json;
using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.Core.Labels;
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

    /// <summary>False: linear models have no dropout (their uncertainty is the single pass's predictive entropy).</summary>
    public override bool ModelsHaveDropout(LinearOptions options) => false;

    /// <inheritdoc />
    public override LinearOptions ParseOptions(Core.Configuration.ConfigReader section, LabelSchema schema) => LinearOptions.Read(section, schema);

    /// <summary>
    /// Checks the options against the data they will train on, before anything is fitted or written:
    /// <list type="bullet">
    /// <item><c>min_df</c> / <c>max_df</c> given as a count and a fraction must not leave max_df below min_df for this
    /// many training documents (scikit-learn refuses this when fitting: "max_df corresponds to &lt; documents than min_df");</item>
    /// <item>a cross-validated search (single-label task with a grid and <c>cv ≥ 2</c>) needs no more folds than training
    /// examples, and some class with at least <c>cv</c> examples (scikit-learn's <c>StratifiedKFold</c> refuses
    /// otherwise); when only the smallest classes have fewer, <paramref name="log"/> gets scikit-learn's warning;</item>
    /// <item>a search on the validation split (multilabel, or <c>cv: 0</c>) needs a non-empty validation split.</item>
    /// </list>
    /// Errors name the config file, line and key. <see cref="Train"/> runs this check first; calling it when the split is
    /// known and before the run folder exists (the experiment's prepare stage) makes the errors leave nothing behind.
    /// </summary>
    /// <param name="options">Options from <see cref="ParseOptions"/>.</param>
    /// <param name="schema">Task and labels.</param>
    /// <param name="train">The training split.</param>
    /// <param name="validationCount">Examples in the validation split.</param>
    /// <param name="log">Receives warnings (one line each), or null.</param>
    /// <exception cref="InputException">The search or the TF-IDF bounds cannot work on this data.</exception>
    public override void CheckTrainingData(LinearOptions options, LabelSchema schema, IReadOnlyList<Core.Data.Example> train, int validationCount,
        Action<string>? log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(train);
        var warnings = new List<string>();
        CheckDocumentFrequencies(options, train.Count);
        if (options.Grid.Count > 0)
        {
            if (schema.IsMultilabel || options.Folds == 0)
            {
                if (validationCount == 0)
                    throw options.Error("search", $"a grid search on a {(schema.IsMultilabel ? "multilabel task" : "single-label task with cv: 0")} selects on the validation split, which is empty (set split.val above 0)");
            }
            else
            {
                CheckFolds(options, schema, train, warnings);
            }
        }
        foreach (var w in warnings) log?.Invoke(w);
    }

    private static void CheckDocumentFrequencies(LinearOptions options, int documents)
    {
        var tfidf = options.Tfidf;
        if (tfidf.Vocabulary is not null) return;
        double max = tfidf.MaxDf.ToDocumentCount(documents), min = tfidf.MinDf.ToDocumentCount(documents);
        if (max < min)
            throw options.Error("tfidf.max_df", $"max_df {tfidf.MaxDf} stands for {max:0.##} of the {documents:N0} training documents, fewer than min_df " +
                                                $"{tfidf.MinDf}{(tfidf.MinDf.IsFraction ? $" ({min:0.##})" : "")}: no term could be kept (scikit-learn: max_df corresponds to < documents than min_df)");
    }

    private static void CheckFolds(LinearOptions options, LabelSchema schema, IReadOnlyList<Core.Data.Example> train, List<string> warnings)
    {
        int k = options.Folds;
        if (k > train.Count)
            throw options.Error("search.cv", $"cv: {k} folds, but the training split has only {train.Count:N0} examples");
        var counts = new int[schema.Count];
        foreach (var e in train) counts[e.Label]++;
        var present = Enumerable.Range(0, schema.Count).Where(c => counts[c] > 0).ToArray();
        int largest = present.Max(c => counts[c]);
        if (largest < k)
            throw options.Error("search.cv", $"cv: {k} folds, but every class has fewer training examples (largest: '{schema.Labels[present.First(c => counts[c] == largest)]}' " +
                                             $"with {largest}); use cv ≤ {largest}, or cv: 0 to select on the validation split");
        int smallest = present.Min(c => counts[c]);
        if (smallest < k)
            warnings.Add($"warning: the least populated class in the training split, '{schema.Labels[present.First(c => counts[c] == smallest)]}', " +
                         $"has only {smallest} examples, fewer than cv: {k}; some folds will not contain it (scikit-learn warns the same)");
    }

    /// <inheritdoc />
    public override TrainingOutcome Train(TrainingRequest request, LinearOptions options, CancellationToken cancellationToken)
    {
        var schema = request.Schema;
        var progress = request.Progress;
        // The experiment checked these already (and logged the warnings); a direct caller gets the errors here.
        CheckTrainingData(options, schema, request.Train, request.Validation.Count, log: null);

        progress?.Report(new ProgressUpdate("tf-idf", 0, 1));
        var texts = request.Train.Select(e => e.Text).ToArray();
        var vectorizer = new TfidfVectorizer(options.Tfidf);
        CsrMatrix xTrain;
        try
        {
            xTrain = vectorizer.FitTransform(texts);
        }
        catch (InputException e) when ((e.Field == "min_df" || (e.Field == "char_min_df" && options.CharMinDfFromRecipe))
                                       && options.MinDfFromRecipe && options.Tfidf.MinDf != DocumentFrequency.Count(1))
        {
            // "After pruning, no terms remain" on a tiny corpus, for a min_df nobody wrote: scikit-learn's min_df 1 instead
            var relaxed = options.Tfidf with { MinDf = DocumentFrequency.Count(1) };
            if (options.CharMinDfFromRecipe) relaxed = relaxed with { CharMinDf = DocumentFrequency.Count(1) };
            vectorizer = new TfidfVectorizer(relaxed);
            xTrain = vectorizer.FitTransform(texts);
            request.Log?.Invoke($"warning: no term is in {options.Tfidf.MinDf} training documents, so the default min_df {options.Tfidf.MinDf} " +
                                "(docs/defaults.md) would keep no feature; using min_df 1 (set linear.tfidf.min_df to choose)");
            options = options with { Tfidf = relaxed };
        }
        progress?.Report(new ProgressUpdate("tf-idf", 1, 1, $"{vectorizer.FeatureCount:N0} features"));
        cancellationToken.ThrowIfCancellationRequested();

        LogisticRegressionClassifier classifier;
        JsonObject? best = null;
        var trials = new List<TrialRecord>();
        if (options.Grid.Count == 0)
        {
            classifier = Fit(options.LogReg, xTrain, request.Train, schema, cancellationToken);
        }
        else
        {
            (classifier, best) = Search(options, vectorizer, xTrain, request, trials, cancellationToken);
        }

        LogisticRegressionClassifier[] members = [];
        if (options.Ensemble >= 2)
        {
            int k = options.Ensemble;
            progress?.Report(new ProgressUpdate("ensemble", 0, k));
            Action<int>? completed = progress is null ? null : done => progress.Report(new ProgressUpdate("ensemble", done, k));
            members = LinearEnsemble.Fit(classifier, xTrain, Targets(request.Train, schema), k, unchecked((ulong)request.Seed),
                Environment.ProcessorCount, completed, cancellationToken);
            request.Log?.Invoke($"ensemble: {k} members fitted on bootstrap resamples with the chosen hyper-parameters");
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
        if (members.Length > 0) manifest.EngineOptions!["ensemble"] = members.Length;
        // run.json's training key: the resolved options (the zero-config recipe's values where the config left keys out)
        var summary = new JsonObject
        {
            ["tfidf"] = JsonSerializer.SerializeToNode(options.Tfidf with { Vocabulary = null }),
            ["logreg"] = JsonSerializer.SerializeToNode(options.LogReg),
            ["features"] = vectorizer.FeatureCount,
        };
        return new TrainingOutcome(new TrainedModel(new LinearPredictor(manifest, vectorizer, classifier, members)), best, trials, summary);
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
        ((ISearchEstimator)classifier).Fit(x, Targets(examples, schema), ct);
        return classifier;
    }

    /// <summary>
    /// One grid search, two ways of scoring: stratified k-fold cross-validation on the training split (single-label,
    /// <c>cv</c> ≥ 2; the best candidate is refitted on the whole split), or the validation split (multi-label, or
    /// <c>cv: 0</c>; the best candidate's fit on the training split is kept). Callbacks hear every score and may stop it.
    /// </summary>
    private static (LogisticRegressionClassifier, JsonObject) Search(LinearOptions options, TfidfVectorizer vectorizer, CsrMatrix xTrain,
        TrainingRequest request, List<TrialRecord> trials, CancellationToken ct)
    {
        var schema = request.Schema;
        bool crossValidate = !schema.IsMultilabel && options.Folds >= 2;
        var search = LogisticRegressionSearch.Create(new ParameterGrid(options.Grid), options.LogReg, new GridSearchOptions
        {
            Folds = crossValidate ? options.Folds : 2, Seed = unchecked((ulong)request.Seed), Scoring = options.Scoring, Refit = crossValidate,
            Scored = request.Callbacks.Count == 0 ? null : score => !TrainerControl.Notify(request.Callbacks,
                new TrainerEvaluation(score.Completed, 0, new Dictionary<string, double> { [options.Scoring] = score.Score })).ShouldStop,
        });
        var progress = request.Progress is null ? null : new GridProgress(request.Progress, crossValidate ? "grid search" : "grid search (validation)");
        var yTrain = Targets(request.Train, schema);
        GridSearchResult result;
        if (crossValidate)
        {
            result = search.Fit(xTrain, yTrain, progress, ct);
        }
        else
        {
            var xVal = vectorizer.Transform(request.Validation.Select(e => e.Text).ToArray());
            result = search.FitOnValidation(xTrain, yTrain, xVal, Targets(request.Validation, schema), progress, ct);
        }
        if (result.Stopped) request.Log?.Invoke("grid search stopped early by a callback; unscored candidates rank last");
        result.WriteCsv(request.Run.SearchTableCsv);
        trials.AddRange(result.Candidates.Select(c => new TrialRecord(c.Index, ParamsJson(c.Parameters, schema), c.MeanScore, c.StdScore, c.MeanFitSeconds,
            double.IsNaN(c.MeanScore) && result.Stopped ? "pruned" : "complete")));
        var classifier = (LogisticRegressionClassifier)(result.BestEstimator ?? throw new InvalidOperationException("the grid search kept no model"));
        var best = new JsonObject
        {
            ["metric"] = options.Scoring, ["value"] = result.BestScore,
            ["selection"] = crossValidate ? $"{options.Folds}-fold cross-validation" : "validation split",
            ["params"] = JsonNode.Parse(ParamsJson(result.BestParameters, schema)),
        };
        return (classifier, best);
    }

    private static SearchTargets Targets(IReadOnlyList<Core.Data.Example> examples, LabelSchema schema) => schema.IsMultilabel
        ? SearchTargets.Multilabel(examples.Select(e => e.Labels).ToArray(), schema.Count)
        : SearchTargets.SingleLabel(examples.Select(e => e.Label).ToArray(), schema.Count);

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
    private sealed class GridProgress(IProgress<ProgressUpdate> inner, string stage) : IProgress<GridSearchProgress>
    {
        public void Report(GridSearchProgress value) =>
            inner.Report(new ProgressUpdate(stage, value.Completed, value.Total,
                value.Remaining is { } eta ? $"{value.Description} · ETA {eta:hh\\:mm\\:ss}" : value.Description));
    }
}
