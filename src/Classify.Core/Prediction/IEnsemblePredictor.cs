namespace Classify.Core.Prediction;

/// <summary>
/// A predictor that carries an ensemble of member models next to its deterministic one (for example a linear model
/// with <c>linear.ensemble: k</c> members fitted on bootstrap resamples). Predictions always come from the
/// deterministic model (<see cref="IPredictor.PredictScores"/>); the members' scores are the "passes" of
/// <see cref="Uncertainty.MonteCarloUncertainty.Estimate"/>, which gives their mean/std/entropy split without a seed.
/// </summary>
public interface IEnsemblePredictor : IPredictor
{
    /// <summary>The number of members: 0 for a model without an ensemble, otherwise at least 2.</summary>
    int MemberCount { get; }

    /// <summary>
    /// Raw scores of every member, shaped <c>[member][row][label]</c> in the layout of
    /// <see cref="IPredictor.PredictScores"/> (before the link function and temperatures). Deterministic.
    /// </summary>
    /// <param name="inputs">The inputs (rows).</param>
    /// <param name="cancellationToken">Checked between members.</param>
    double[][][] PredictMemberScores(IReadOnlyList<TextInput> inputs, CancellationToken cancellationToken = default);
}

/// <summary>Helpers for <see cref="IEnsemblePredictor"/>.</summary>
public static class EnsemblePredictors
{
    /// <summary>The member count of <paramref name="predictor"/> when it carries an ensemble (at least 2 members), or 0.</summary>
    public static int EnsembleMembers(this IPredictor predictor) =>
        predictor is IEnsemblePredictor { MemberCount: >= 2 } ensemble ? ensemble.MemberCount : 0;
}
