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
        else
        {
            (classifier, best) = Search(options, vectorizer, xTrain, request, trials, cancellationToken);
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
            if (request.Validation.Count == 0)
                throw new InputException("a grid search without cross-validation (multi-label, or cv: 0) selects on the validation split, which is empty", field: "linear.search");
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
