using Classify.Core.Prediction;

namespace Classify.Core.Uncertainty;

/// <summary>
/// Per-example uncertainty of a predictor's rows: from the deterministic probabilities alone (N = 1: predictive =
/// aleatoric, epistemic 0, std 0), from N Monte-Carlo dropout passes (<see cref="MonteCarloDropout.PredictPasses"/>),
/// or from the members of an ensemble (<see cref="IEnsemblePredictor"/>: each member is one pass, no seed involved);
/// each pass's scores go through <see cref="LinkFunction"/> with the manifest's temperatures. The one place
/// <see cref="TextClassifier"/>, file scoring and evaluation estimate uncertainty.
/// </summary>
/// <remarks>
/// Predictions (labels and probabilities) always come from the deterministic pass: sampling adds the uncertainty of
/// the passes (predictive entropy of their mean, its aleatoric and epistemic parts, the std of each label's
/// probability) and never changes a prediction, a tuned threshold or a metric.
/// </remarks>
public static class MonteCarloUncertainty
{
    /// <summary>The uncertainty of each row.</summary>
    /// <param name="predictor">The model.</param>
    /// <param name="inputs">The rows, cleaned as the predictor expects (needed only when <paramref name="options"/> samples).</param>
    /// <param name="probabilities">The deterministic probabilities of the rows ([row][label], schema order).</param>
    /// <param name="options">The pass count and MC batch size (null: one pass).</param>
    /// <param name="seed">Seed of the passes (<see cref="MonteCarloDropout.PassSeeds"/>): the same seed gives the same values.</param>
    /// <param name="package">
    /// The manifest whose temperatures turn the passes' scores into probabilities, as they turned the deterministic ones
    /// (default: the predictor's; an experiment passes the package it writes, with the calibrated temperatures).
    /// </param>
    /// <param name="cancellationToken">Checked between forward passes.</param>
    /// <exception cref="NotSupportedException">
    /// N &gt; 1 for a model without dropout, or for an ensemble, whose members are the passes (<see cref="UncertaintyOptions.PredictorProblem"/>).
    /// </exception>
    public static ExampleUncertainty[] Estimate(IPredictor predictor, IReadOnlyList<TextInput> inputs, double[][] probabilities,
        UncertaintyOptions? options, ulong seed, ModelManifest? package = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(probabilities);
        options ??= UncertaintyOptions.SinglePass;
        if (options.FindProblem() is { } problem) throw new ArgumentException($"{problem.Key}: {problem.Reason}", nameof(options));
        var task = predictor.Manifest.Schema.Kind;
        bool ensemble = predictor.EnsembleMembers() > 0;
        if ((!options.Sampled && !ensemble) || probabilities.Length == 0) return UncertaintyCalculator.FromProbabilities(probabilities, task);
        if (options.PredictorProblem(predictor) is { } refused) throw new NotSupportedException(refused);
        var scores = ensemble
            ? ((IEnsemblePredictor)predictor).PredictMemberScores(inputs, cancellationToken)
            : predictor.PredictPasses(inputs, options.McSamples, seed, options.McBatchSize, cancellationToken);
        var passes = new double[scores.Length][][];
        for (int n = 0; n < passes.Length; n++) passes[n] = LinkFunction.Apply(scores[n], predictor.Link, package ?? predictor.Manifest);
        return UncertaintyCalculator.FromPasses(passes, task);
    }
}
