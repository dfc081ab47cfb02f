using Classify.Core.Randomness;

namespace Classify.Core.Prediction;

/// <summary>
/// A predictor that runs several dropout passes of the same inputs together (for example as one larger forward pass
/// of rows × passes). Optional: <see cref="MonteCarloDropout.PredictPasses"/> falls back to one
/// <see cref="IPredictor.PredictScores"/> call per pass for predictors without it.
/// </summary>
public interface IMultiPassPredictor : IPredictor
{
    /// <summary>
    /// Raw scores of one dropout pass per seed, shaped <c>[pass][row][label]</c>. Pass <c>k</c> is the pass
    /// <see cref="ForwardMode.WithDropout"/>(<paramref name="passSeeds"/>[k]) would give: how the rows and passes are
    /// grouped into forward passes (at most <paramref name="maxRowsPerForward"/> rows each) never changes a result
    /// beyond the engine's documented floating-point tolerance.
    /// </summary>
    /// <param name="inputs">The inputs (rows).</param>
    /// <param name="passSeeds">One seed per pass (at least one).</param>
    /// <param name="maxRowsPerForward">The largest number of (row, pass) pairs one forward pass may hold.</param>
    /// <param name="cancellationToken">Checked between forward passes.</param>
    double[][][] PredictDropoutPasses(IReadOnlyList<TextInput> inputs, IReadOnlyList<ulong> passSeeds, int maxRowsPerForward,
        CancellationToken cancellationToken = default);
}

/// <summary>Monte-Carlo dropout: several seeded stochastic passes of the same inputs.</summary>
public static class MonteCarloDropout
{
    /// <summary>
    /// The most passes one call accepts (10,000): far more than a Monte-Carlo estimate needs (tens to hundreds), and
    /// small enough that a mistyped count fails at once instead of running for days or exhausting memory.
    /// </summary>
    public const int MaxPasses = 10_000;

    /// <summary>
    /// The seed of each of <paramref name="passes"/> passes, derived from <paramref name="seed"/> alone
    /// (<see cref="SeededRandom.ForPurpose"/> with purpose <c>"mc-dropout-passes"</c>). The list for n passes is a prefix of
    /// the list for more, so adding passes keeps the earlier ones.
    /// </summary>
    public static ulong[] PassSeeds(ulong seed, int passes)
    {
        CheckPasses(passes);
        var random = SeededRandom.ForPurpose(seed, "mc-dropout-passes");
        var seeds = new ulong[passes];
        for (int k = 0; k < passes; k++) seeds[k] = random.NextUInt64();
        return seeds;
    }

    /// <summary>
    /// Raw scores of <paramref name="passes"/> dropout passes over <paramref name="inputs"/>, shaped
    /// <c>[pass][row][label]</c> (labels in <see cref="Labels.LabelSchema.Labels"/> order, before temperature). The passes'
    /// seeds come from <paramref name="seed"/> (<see cref="PassSeeds"/>), so a fixed seed gives the same scores on every
    /// run. An <see cref="IMultiPassPredictor"/> runs the passes together, at most <paramref name="maxRowsPerForward"/>
    /// (row, pass) pairs per forward pass; any other predictor runs one <see cref="IPredictor.PredictScores"/> call per
    /// pass with <see cref="ForwardMode.WithDropout"/>(pass seed), and <paramref name="maxRowsPerForward"/> is then only
    /// validated. Either way pass <c>k</c> equals that single call.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="passes"/> is below 1 or above <see cref="MaxPasses"/>, or
    /// <paramref name="maxRowsPerForward"/> is below 1.</exception>
    /// <exception cref="NotSupportedException">The predictor cannot run dropout passes (<see cref="IPredictor.SupportsDropout"/> is false).</exception>
    public static double[][][] PredictPasses(this IPredictor predictor, IReadOnlyList<TextInput> inputs, int passes, ulong seed,
        int maxRowsPerForward, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(inputs);
        CheckPasses(passes);
        if (maxRowsPerForward < 1)
            throw new ArgumentOutOfRangeException(nameof(maxRowsPerForward), maxRowsPerForward,
                $"at least one row per forward pass is needed, got {maxRowsPerForward}");
        if (!predictor.SupportsDropout)
            throw new NotSupportedException(
                $"the {predictor.Manifest.Engine} engine cannot run Monte-Carlo dropout passes: {predictor.NoDropoutReason ?? "its models have no dropout"}");
        var seeds = PassSeeds(seed, passes);
        double[][][] result;
        if (predictor is IMultiPassPredictor multi)
        {
            result = multi.PredictDropoutPasses(inputs, seeds, maxRowsPerForward, cancellationToken);
        }
        else
        {
            result = new double[passes][][];
            for (int k = 0; k < passes; k++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                result[k] = predictor.PredictScores(inputs, ForwardMode.WithDropout(seeds[k]), cancellationToken);
            }
        }
        if (result.Length != passes || result.Any(pass => pass.Length != inputs.Count))
            throw new InvalidOperationException($"the {predictor.Manifest.Engine} engine returned the wrong number of passes or rows " +
                                                $"for {passes} passes of {inputs.Count} inputs");
        return result;
    }

    private static void CheckPasses(int passes)
    {
        if (passes is < 1 or > MaxPasses)
            throw new ArgumentOutOfRangeException(nameof(passes), passes, $"the number of dropout passes must be between 1 and {MaxPasses:N0}, got {passes}");
    }
}
