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
/// <param name="Temperature">The fitted temperature.</param>
/// <param name="Bins">Equal-width bins of ECE and the reliability diagram.</param>
/// <param name="Before">Scores at temperature 1.</param>
/// <param name="After">Scores at <paramref name="Temperature"/>.</param>
public sealed record CalibrationSummary(
    [property: JsonPropertyName("method")] string Method,
    [property: JsonPropertyName("temperature")] double Temperature,
    [property: JsonPropertyName("bins")] int Bins,
    [property: JsonPropertyName("before")] CalibrationScores Before,
    [property: JsonPropertyName("after")] CalibrationScores After)
{
    /// <summary>The summary of one split's raw scores before and after dividing them by <paramref name="temperature"/>.</summary>
    public static CalibrationSummary Compute(LabelSchema schema, IReadOnlyList<int[]> gold, IReadOnlyList<double[]> scores, ScoreLink link,
        double temperature) => new("temperature", temperature, CalibrationError.DefaultBinCount,
        CalibrationScores.Compute(schema, gold, LinkFunction.Apply(scores, link)),
        CalibrationScores.Compute(schema, gold, LinkFunction.Apply(scores, link, temperature)));
}
