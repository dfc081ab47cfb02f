using System.Globalization;
using Classify.Core.Labels;

namespace Classify.Core.Uncertainty;

/// <summary>
/// Splits predictive uncertainty into its aleatoric and epistemic parts from N sets of probabilities of the same rows:
/// N Monte Carlo dropout passes, the N members of an ensemble, or one pass of a deterministic model (N = 1: the
/// predictive entropy is all aleatoric and the epistemic part is 0). See <see cref="ExampleUncertainty"/> for the
/// quantities and docs/uncertainty.md for the formulas.
/// </summary>
/// <remarks>
/// <para>Probabilities are laid out as <see cref="Prediction.LinkFunction"/> produces them: one per label in schema
/// order. A binary row has two (P(first label), P(second label)), or one, read as P(second label), the positive one,
/// like the single score of <see cref="Prediction.ScoreLink.Logistic"/>; a one-column row is expanded to [1 − p, p], so
/// the results always have two labels. Every pass must use the same layout.</para>
/// <para>Checks: at least one pass; every pass with the same rows and every row with the same label count; every
/// probability a number in [0, 1]; single-label rows summing to 1 within <see cref="SumTolerance"/> (the probabilities
/// are used as given, not renormalised). Any breach is an <see cref="ArgumentException"/> naming the pass, row and
/// label.</para>
/// </remarks>
public static class UncertaintyCalculator
{
    /// <summary>
    /// How far a single-label row may sum from 1: loose enough for float32 softmax outputs over thousands of labels,
    /// tight enough to refuse multi-label (independent sigmoid) probabilities passed as single-label ones.
    /// </summary>
    public const double SumTolerance = 1e-4;

    /// <summary>
    /// The largest rounding error cleared from a negative epistemic value: a mutual information in [−1e-12, 0) is
    /// reported as 0, anything below is left as computed.
    /// </summary>
    public const double RoundingTolerance = 1e-12;

    /// <summary>The uncertainty of every row of a one-pass prediction (a linear model, one deterministic forward).</summary>
    /// <param name="probabilities">Probabilities shaped [row][label].</param>
    /// <param name="task">The task kind: categorical entropies for binary and multiclass, Bernoulli for multilabel.</param>
    /// <exception cref="ArgumentException">Ragged rows or an invalid probability (see the remarks of the class).</exception>
    public static ExampleUncertainty[] FromProbabilities(double[][] probabilities, TaskKind task)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        return FromPasses([probabilities], task);
    }

    /// <summary>The uncertainty of every row from N passes (or ensemble members) over the same rows.</summary>
    /// <param name="passes">Probabilities shaped [pass][row][label]; every pass has the same rows in the same order.</param>
    /// <param name="task">The task kind: categorical entropies for binary and multiclass, Bernoulli for multilabel.</param>
    /// <returns>One <see cref="ExampleUncertainty"/> per row, in row order.</returns>
    /// <exception cref="ArgumentException">No pass, ragged passes or rows, or an invalid probability.</exception>
    public static ExampleUncertainty[] FromPasses(IReadOnlyList<double[][]> passes, TaskKind task)
    {
        ArgumentNullException.ThrowIfNull(passes);
        if (passes.Count == 0) throw new ArgumentException("No passes: give at least one set of probabilities.", nameof(passes));
        for (int n = 0; n < passes.Count; n++)
        {
            if (passes[n] is null) throw new ArgumentException($"Pass {n} is null.", nameof(passes));
            if (passes[n].Length != passes[0].Length)
                throw new ArgumentException($"Pass {n} has {passes[n].Length} rows but pass 0 has {passes[0].Length}; every pass must score the same rows.", nameof(passes));
        }
        var result = new ExampleUncertainty[passes[0].Length];
        var rowPasses = new double[passes.Count][];
        for (int i = 0; i < result.Length; i++)
        {
            // Each row's passes are checked against each other below; rows are checked against row 0 here.
            if (i > 0 && passes[0][i]?.Length is int width && passes[0][0]?.Length is int first && width != first)
                throw new ArgumentException($"row {i}, pass 0: {width} probabilities but row 0 has {first}; every row needs one per label.", nameof(passes));
            for (int n = 0; n < rowPasses.Length; n++) rowPasses[n] = passes[n][i];
            result[i] = Compute(rowPasses, task, $"row {i}, ", nameof(passes));
        }
        return result;
    }

    /// <summary>The uncertainty of one example from its N probability sets.</summary>
    /// <param name="passes">Probabilities shaped [pass][label].</param>
    /// <param name="task">The task kind: categorical entropies for binary and multiclass, Bernoulli for multilabel.</param>
    /// <exception cref="ArgumentException">No pass, passes of different lengths, or an invalid probability.</exception>
    public static ExampleUncertainty ForExample(IReadOnlyList<double[]> passes, TaskKind task)
    {
        ArgumentNullException.ThrowIfNull(passes);
        if (passes.Count == 0) throw new ArgumentException("No passes: give at least one set of probabilities.", nameof(passes));
        return Compute(passes, task, "", nameof(passes));
    }

    private static ExampleUncertainty Compute(IReadOnlyList<double[]> passes, TaskKind task, string row, string parameter)
    {
        int n = passes.Count;
        var probabilities = Validate(passes, task, row, parameter);
        int labels = probabilities[0].Length;
        var mean = new double[labels];
        var std = new double[labels];
        var column = new double[n];
        for (int k = 0; k < labels; k++)
        {
            for (int s = 0; s < n; s++) column[s] = probabilities[s][k];
            // Rounding may leave the mean of values in [0, 1] one ulp outside it.
            mean[k] = Math.Clamp(ShiftedMean(column), 0.0, 1.0);
            double squares = 0;
            foreach (double p in column) squares += (p - mean[k]) * (p - mean[k]);
            std[k] = Math.Sqrt(squares / n);
        }

        var entropies = new double[n];
        if (task == TaskKind.Multilabel)
        {
            var perLabel = new LabelUncertainty[labels];
            double predictive = 0, aleatoric = 0, epistemic = 0;
            for (int k = 0; k < labels; k++)
            {
                for (int s = 0; s < n; s++) entropies[s] = Entropy.Bernoulli(probabilities[s][k]);
                double labelPredictive = Entropy.Bernoulli(mean[k]);
                double labelAleatoric = ShiftedMean(entropies);
                perLabel[k] = new LabelUncertainty(labelPredictive, labelAleatoric, ClearRounding(labelPredictive - labelAleatoric));
                predictive += labelPredictive;
                aleatoric += labelAleatoric;
                epistemic += perLabel[k].Epistemic;
            }
            return new ExampleUncertainty(task, n, mean, std, predictive, aleatoric, epistemic, perLabel);
        }
        else
        {
            for (int s = 0; s < n; s++) entropies[s] = Entropy.Categorical(probabilities[s]);
            double predictive = Entropy.Categorical(mean);
            double aleatoric = ShiftedMean(entropies);
            return new ExampleUncertainty(task, n, mean, std, predictive, aleatoric, ClearRounding(predictive - aleatoric), null);
        }
    }

    // Checks one example's passes and returns them in schema layout (a one-column binary row expanded to [1 − p, p]).
    private static double[][] Validate(IReadOnlyList<double[]> passes, TaskKind task, string row, string parameter)
    {
        if (passes[0] is null) throw new ArgumentException($"{row}pass 0: the probabilities are null.", parameter);
        int width = passes[0].Length;
        var result = new double[passes.Count][];
        for (int s = 0; s < passes.Count; s++)
        {
            var p = passes[s] ?? throw new ArgumentException($"{row}pass {s}: the probabilities are null.", parameter);
            if (p.Length != width)
                throw new ArgumentException($"{row}pass {s}: {p.Length} probabilities but pass 0 has {width}; every pass needs one per label.", parameter);
            for (int k = 0; k < p.Length; k++)
                if (!(p[k] >= 0 && p[k] <= 1))
                    throw new ArgumentException(
                        $"{row}pass {s}, label {k}: {p[k].ToString("R", CultureInfo.InvariantCulture)} is not a probability (a number in [0, 1]).", parameter);
            result[s] = p;
        }
        switch (task)
        {
            case TaskKind.Multilabel:
                if (width == 0) throw new ArgumentException($"{row}no probabilities: a multilabel row needs one per label.", parameter);
                return result;
            case TaskKind.Binary when width == 1:
                for (int s = 0; s < result.Length; s++) result[s] = [1 - result[s][0], result[s][0]];
                return result;
            case TaskKind.Binary when width != 2:
                throw new ArgumentException($"{row}a binary row has 1 probability (the positive label's) or 2, not {width}.", parameter);
            case TaskKind.Multiclass when width < 2:
                throw new ArgumentException($"{row}a multiclass row needs one probability per label (at least 2), not {width}.", parameter);
            case TaskKind.Binary or TaskKind.Multiclass:
                for (int s = 0; s < result.Length; s++)
                {
                    double sum = result[s].Sum();
                    if (Math.Abs(sum - 1) > SumTolerance)
                        throw new ArgumentException(
                            $"{row}pass {s}: the probabilities sum to {sum.ToString("R", CultureInfo.InvariantCulture)}; a single-label row must sum to 1 " +
                            "(independent per-label probabilities belong to a multilabel task).", parameter);
                }
                return result;
            default:
                throw new ArgumentOutOfRangeException(nameof(task), task, "unknown task kind");
        }
    }

    // The mean as x₀ + Σ(xₙ − x₀)/N: exactly x₀ when every value equals it, so identical passes give an epistemic
    // part of exactly 0 (a plain Σxₙ/N can be an ulp off x₀).
    private static double ShiftedMean(double[] values)
    {
        double first = values[0], deviations = 0;
        foreach (double x in values) deviations += x - first;
        return first + deviations / values.Length;
    }

    private static double ClearRounding(double mutualInformation) =>
        mutualInformation < 0 && mutualInformation >= -RoundingTolerance ? 0.0 : mutualInformation;
}
