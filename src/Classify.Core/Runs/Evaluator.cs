using Classify.Core.Data;
using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Core.Prediction;

namespace Classify.Core.Runs;

/// <summary>The outcome of scoring one labelled split: probabilities, decisions and the metric report.</summary>
/// <param name="Split">Split name.</param>
/// <param name="Probabilities">Per-example label probabilities.</param>
/// <param name="Predicted">Per-example predicted label indices (after thresholds).</param>
/// <param name="Report">The metrics.</param>
public sealed record SplitEvaluation(string Split, double[][] Probabilities, int[][] Predicted, MetricReport Report);

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
    /// in the report.
    /// </summary>
    public static SplitEvaluation Score(string split, LabelSchema schema, IReadOnlyList<Example> examples, double[][] probabilities,
        IReadOnlyList<double>? thresholds, Calibration.CalibrationSummary? calibration = null)
    {
        var predicted = probabilities.Select(p => DecisionRule.Apply(schema, p, thresholds)).ToArray();
        var report = MetricReport.Compute(split, schema, examples.Select(e => e.Labels).ToArray(), predicted, probabilities, calibration);
        return new SplitEvaluation(split, probabilities, predicted, report);
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

    /// <summary>Writes the metrics JSON and predictions CSV of an evaluation into a run folder.</summary>
    public static void Write(RunLayout layout, LabelSchema schema, IReadOnlyList<Example> examples, SplitEvaluation evaluation,
        IReadOnlyList<string>? originalTexts = null)
    {
        evaluation.Report.Save(layout.Metrics(evaluation.Split));
        PredictionsFile.Write(layout.Predictions(evaluation.Split), schema, examples, evaluation.Predicted, evaluation.Probabilities, originalTexts);
    }
}
