using Classify.Core.Data;
using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Core.Prediction;
using Classify.Core.Uncertainty;

namespace Classify.Core.Runs;

/// <summary>The outcome of scoring one labelled split: probabilities, decisions and the metric report.</summary>
/// <param name="Split">Split name.</param>
/// <param name="Probabilities">Per-example label probabilities.</param>
/// <param name="Predicted">Per-example predicted label indices (after thresholds).</param>
/// <param name="Report">The metrics.</param>
public sealed record SplitEvaluation(string Split, double[][] Probabilities, int[][] Predicted, MetricReport Report)
{
    /// <summary>
    /// Per-example uncertainty when the run asks for it (an <c>uncertainty:</c> section or the package's default;
    /// <see cref="Evaluator.WithUncertainty"/>): written as columns of predictions/&lt;split&gt;.csv. Null otherwise.
    /// </summary>
    public IReadOnlyList<ExampleUncertainty>? Uncertainty { get; init; }

    /// <summary>
    /// Per example, whether the model's abstain rule held it back (<see cref="ModelManifest.Abstain"/>); null for a model
    /// without one. <see cref="Predicted"/> keeps the decision the model would have made, so metrics on all examples and
    /// on the kept ones both follow from it.
    /// </summary>
    public IReadOnlyList<bool>? Abstained { get; init; }
}

/// <summary>Scores labelled examples with a predictor and writes metrics/&lt;split&gt;.json and predictions/&lt;split&gt;.csv.</summary>
public static class Evaluator
{
    /// <summary>
    /// Predicts <paramref name="examples"/> (texts already cleaned) in batches and computes the metrics.
    /// </summary>
    public static SplitEvaluation Evaluate(string split, IPredictor predictor, LabelSchema schema, IReadOnlyList<Example> examples,
        IReadOnlyList<double>? thresholds, int batchSize = 256, IProgress<Training.ProgressUpdate>? progress = null, CancellationToken cancellationToken = default)
    {
        var probabilities = PredictAll(predictor, examples, batchSize, split, progress, cancellationToken);
        return Score(split, schema, examples, probabilities, thresholds);
    }

    /// <summary>
    /// Applies the decision rule to computed probabilities and scores them against the examples' labels;
    /// <paramref name="calibration"/> (the split's calibration summary, or null when the run did not calibrate) is stored
    /// in the report. With an <paramref name="abstain"/> rule each example is also marked abstained or kept, and the report
    /// gains its <see cref="MetricReport.Abstention"/> (coverage and the metrics of the kept examples).
    /// </summary>
    public static SplitEvaluation Score(string split, LabelSchema schema, IReadOnlyList<Example> examples, double[][] probabilities,
        IReadOnlyList<double>? thresholds, Calibration.CalibrationSummary? calibration = null, AbstainRule? abstain = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var predicted = probabilities.Select(p => DecisionRule.Apply(schema, p, thresholds)).ToArray();
        var gold = examples.Select(e => e.Labels).ToArray();
        bool[]? abstained = abstain is null ? null : probabilities.Select(p => abstain.Abstains(schema, p, thresholds)).ToArray();
        var abstention = abstained is null || examples.Count == 0 ? null
            : AbstentionMetrics.Compute(schema, gold, predicted, abstained, abstain!.Threshold);
        var report = MetricReport.Compute(split, schema, gold, predicted, probabilities, calibration, abstention);
        return new SplitEvaluation(split, probabilities, predicted, report) { Abstained = abstained };
    }

    /// <summary>Probabilities for every example (texts already cleaned), <paramref name="batchSize"/> at a time.</summary>
    public static double[][] PredictAll(IPredictor predictor, IReadOnlyList<Example> examples, int batchSize, string stage,
        IProgress<Training.ProgressUpdate>? progress, CancellationToken cancellationToken) =>
        LinkFunction.Apply(ScoreAll(predictor, examples, batchSize, stage, progress, cancellationToken), predictor.Link, predictor.Manifest);

    /// <summary>Raw scores (before temperature and link) for every example (texts already cleaned), <paramref name="batchSize"/> at a time.</summary>
    public static double[][] ScoreAll(IPredictor predictor, IReadOnlyList<Example> examples, int batchSize, string stage,
        IProgress<Training.ProgressUpdate>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(examples);
        var inputs = new TextInput[examples.Count];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = new TextInput(examples[i].Text, examples[i].Context);
        return predictor.PredictScores(inputs, batchSize, ForwardMode.Deterministic, progress, $"scoring {stage}", cancellationToken);
    }

    /// <summary>
    /// The evaluation with its per-example <see cref="SplitEvaluation.Uncertainty"/> estimated as <paramref name="options"/>
    /// says (<see cref="MonteCarloUncertainty.Estimate"/>, passes seeded by <paramref name="seed"/>); unchanged when
    /// <paramref name="options"/> is null, unless the predictor is an ensemble (<see cref="IEnsemblePredictor"/>), whose
    /// members always give the uncertainty. Probabilities, decisions and metrics stay the deterministic pass's. A model
    /// without dropout asked for several passes is estimated from one, with a warning to <paramref name="log"/>. The passes'
    /// probabilities use the temperatures of <paramref name="package"/> (default: the predictor's manifest; an experiment
    /// passes the package it writes, with its calibrated temperatures).
    /// </summary>
    public static SplitEvaluation WithUncertainty(SplitEvaluation evaluation, IPredictor predictor, IReadOnlyList<Example> examples,
        UncertaintyOptions? options, ulong seed, Action<string>? log = null, ModelManifest? package = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(evaluation);
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(examples);
        if (options is null && predictor.EnsembleMembers() == 0) return evaluation;
        options ??= UncertaintyOptions.SinglePass;
        if (options.PredictorProblem(predictor) is { } problem)
        {
            log?.Invoke($"warning: uncertainty.mc_samples: {problem}; {evaluation.Split} uncertainty comes from {(predictor.EnsembleMembers() > 0 ? "the ensemble's members" : "one pass")}");
            options = options with { McSamples = 1 };
        }
        var inputs = examples.Select(e => new TextInput(e.Text, e.Context)).ToArray();
        var uncertainty = MonteCarloUncertainty.Estimate(predictor, inputs, evaluation.Probabilities, options, seed, package, cancellationToken);
        return evaluation with { Uncertainty = uncertainty };
    }

    /// <summary>
    /// Writes the metrics JSON, the predictions CSV (with the uncertainty columns when the evaluation has
    /// <see cref="SplitEvaluation.Uncertainty"/>, the <c>abstained</c> column when it has <see cref="SplitEvaluation.Abstained"/>) and metrics/rejection_&lt;split&gt;.csv of an evaluation into a run
    /// folder. The rejection curves rank by <see cref="SplitEvaluation.Uncertainty"/>, or by the single-pass uncertainty
    /// of the probabilities (epistemic 0) when there is none; <paramref name="seed"/> seeds their random ranker.
    /// </summary>
    public static void Write(RunLayout layout, LabelSchema schema, IReadOnlyList<Example> examples, SplitEvaluation evaluation,
        IReadOnlyList<string>? originalTexts = null, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(evaluation);
        evaluation.Report.Save(layout.Metrics(evaluation.Split));
        PredictionsFile.Write(layout.Predictions(evaluation.Split), schema, examples, evaluation.Predicted, evaluation.Probabilities, originalTexts,
            evaluation.Uncertainty, evaluation.Abstained);
        if (examples.Count == 0) return;
        var uncertainty = evaluation.Uncertainty ?? UncertaintyCalculator.FromProbabilities(evaluation.Probabilities, schema.Kind);
        var path = Path.Combine(Path.GetDirectoryName(layout.Metrics(evaluation.Split))!, RejectionCsv.FileName(evaluation.Split));
        RejectionCsv.Write(path, RejectionSets(schema, examples, evaluation.Predicted, uncertainty, seed));
    }

    /// <summary>
    /// The rejection curves of a split: per example for single-label tasks; per label set and per (example, label)
    /// decision for multi-label tasks.
    /// </summary>
    public static IReadOnlyList<RejectionCurveSet> RejectionSets(LabelSchema schema, IReadOnlyList<Example> examples, IReadOnlyList<int[]> predicted,
        IReadOnlyList<ExampleUncertainty> uncertainty, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(predicted);
        if (!schema.IsMultilabel)
            return [RejectionCurves.ForSingleLabel(uncertainty, examples.Select(e => e.Labels[0]).ToArray(), predicted.Select(p => p[0]).ToArray(), seed)];
        bool[][] Indicators(IEnumerable<IReadOnlyList<int>> rows) => rows.Select(r =>
        {
            var row = new bool[schema.Count];
            foreach (int k in r) row[k] = true;
            return row;
        }).ToArray();
        var gold = Indicators(examples.Select(e => (IReadOnlyList<int>)e.Labels));
        var pred = Indicators(predicted);
        return [RejectionCurves.ForLabelSets(uncertainty, gold, pred, seed), RejectionCurves.ForLabelDecisions(uncertainty, gold, pred, seed)];
    }
}
