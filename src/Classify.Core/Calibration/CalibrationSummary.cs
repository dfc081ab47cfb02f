using System.Text.Json.Serialization;
using Classify.Core.Labels;
using Classify.Core.Metrics;
using Classify.Core.Prediction;

namespace Classify.Core.Calibration;

/// <summary>How a run calibrates its probabilities (the config's <c>calibration.method</c>).</summary>
public enum CalibrationMethod
{
    /// <summary>No calibration: the probabilities are the link of the raw scores (temperature 1).</summary>
    None,
    /// <summary>One temperature fitted on the validation split by minimising the NLL (<see cref="TemperatureScaling"/>).</summary>
    Temperature,
}

/// <summary>The config's <c>calibration:</c> section.</summary>
public sealed record CalibrationSettings
{
    /// <summary>No calibration (the default).</summary>
    public static CalibrationSettings None { get; } = new();

    /// <summary><c>method</c>: none (default) or temperature.</summary>
    public CalibrationMethod Method { get; init; } = CalibrationMethod.None;

    /// <summary><c>per_label</c>: one temperature per label instead of one shared by all (multilabel tasks only; default false).</summary>
    public bool PerLabel { get; init; }

    /// <summary>True when the run fits anything.</summary>
    public bool Enabled => Method != CalibrationMethod.None;
}

/// <summary>Probability quality of one split at one temperature.</summary>
/// <param name="Nll">Negative log-likelihood: the <c>log_loss</c> of the metric files.</param>
/// <param name="Ece">Expected calibration error (<see cref="CalibrationError"/>).</param>
/// <param name="Brier">Brier score: the <c>brier_score</c> of the metric files.</param>
/// <param name="Reliability">The reliability-diagram bins (<see cref="CalibrationError.Reliability"/>).</param>
public sealed record CalibrationScores(
    [property: JsonPropertyName("nll")] double Nll,
    [property: JsonPropertyName("ece")] double Ece,
    [property: JsonPropertyName("brier")] double Brier,
    [property: JsonPropertyName("reliability")] IReadOnlyList<ReliabilityBin> Reliability)
{
    /// <summary>Scores probabilities against gold label sets.</summary>
    public static CalibrationScores Compute(LabelSchema schema, IReadOnlyList<int[]> gold, double[][] probabilities) => new(
        MetricReport.ComputeLogLoss(schema, gold, probabilities),
        CalibrationError.Compute(schema, gold, probabilities),
        MetricReport.ComputeBrierScore(schema, gold, probabilities),
        CalibrationError.Reliability(schema, gold, probabilities));
}

/// <summary>
/// The <c>calibration</c> object of <c>metrics/&lt;split&gt;.json</c>: the temperature the run fitted on validation, and
/// the split's scores before it (temperature 1) and after it (the probabilities every other metric of the file uses).
/// </summary>
/// <param name="Method">The calibration method (<c>temperature</c>).</param>
/// <param name="Temperature">The fitted temperature (1 when the labels have their own).</param>
/// <param name="LabelTemperatures">Per-label temperatures (<c>calibration.per_label</c>), or null.</param>
/// <param name="Bins">Equal-width bins of ECE and the reliability diagram.</param>
/// <param name="Before">Scores at temperature 1.</param>
/// <param name="After">Scores at the fitted temperature(s).</param>
public sealed record CalibrationSummary(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("temperature")] double Temperature,
    [property: JsonPropertyName("label_temperatures"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<double>? LabelTemperatures,
    [property: JsonPropertyName("bins")] int Bins,
    [property: JsonPropertyName("before")] CalibrationScores Before,
    [property: JsonPropertyName("after")] CalibrationScores After)
{
    /// <summary>
    /// The summary of one split's raw scores before and after dividing them by <paramref name="temperature"/> (and by
    /// <paramref name="labelTemperatures"/>, when given).
    /// </summary>
    public static CalibrationSummary Compute(LabelSchema schema, IReadOnlyList<int[]> gold, IReadOnlyList<double[]> scores, ScoreLink link,
        double temperature, IReadOnlyList<double>? labelTemperatures = null) => new("temperature", temperature, labelTemperatures,
        CalibrationError.DefaultBinCount,
        CalibrationScores.Compute(schema, gold, LinkFunction.Apply(scores, link)),
        CalibrationScores.Compute(schema, gold, LinkFunction.Apply(scores, link, temperature, labelTemperatures)));
}
