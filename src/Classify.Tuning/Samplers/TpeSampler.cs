using Classify.Tuning.Samplers.Tpe;
using Classify.Tuning.Space;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Samplers;

/// <summary>
/// Tree-structured Parzen Estimator, a port of Optuna 3.1's TPESampler with its defaults (independent sampling). Until
/// <see cref="TpeSamplerOptions.NStartupTrials"/> trials have completed or been pruned it samples like
/// <see cref="RandomSampler"/>. Then it ranks those trials, fits a Parzen estimator l(x) to each parameter's values in
/// the best ⌈gamma·n⌉ (at most 25) and g(x) to the rest, draws <see cref="TpeSamplerOptions.NEiCandidates"/> candidates
/// from l and proposes the one maximising l(x)/g(x). Trials are ranked by value in the study's direction; pruned trials
/// rank after every complete one, by how far they got and then by their last intermediate value (Optuna 3.1's rule).
/// Running, waiting and failed trials are ignored (Optuna without <c>constant_liar</c>). Deterministic given the seed,
/// the trial number and the history. Parity with Optuna 3.1 is checked in tests against fixtures computed by Optuna
/// itself: the estimators' components and log-densities, the split, and the distribution of proposals.
/// </summary>
public sealed class TpeSampler : ISampler
{
    private readonly long _seed;

    /// <summary>A TPE sampler with <paramref name="options"/> (default: Optuna's defaults, no seed).</summary>
    public TpeSampler(TpeSamplerOptions? options = null)
    {
        Options = options ?? new TpeSamplerOptions();
        if (Options.FindProblem() is var (key, reason)) throw new ArgumentException($"tpe sampler: {key} {reason}", nameof(options));
        _seed = Options.Seed ?? TrialRandom.NewSeed();
    }

    /// <summary>The settings.</summary>
    public TpeSamplerOptions Options { get; }

    /// <inheritdoc />
    public string Name => "tpe";

    /// <inheritdoc />
    public TrialProposal? Propose(SearchSpace space, IReadOnlyList<StudyTrial> trials, int trialNumber, StudyDirection direction)
    {
        ArgumentNullException.ThrowIfNull(space);
        ArgumentNullException.ThrowIfNull(trials);
        var rng = new TrialRandom(_seed, trialNumber);
        var observed = Observations(trials, direction);
        var parameters = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (observed.Count < Options.NStartupTrials)
        {
            foreach (var p in space.Parameters) parameters[p.Key] = RandomSampler.Sample(p, rng);
            return new TrialProposal(parameters);
        }

        var (below, above) = Split(observed, Options.BelowCount(observed.Count));
        foreach (var p in space.Parameters)
            parameters[p.Key] = ParameterCoding.IsSingle(p, out var only) ? only
                : ParameterCoding.ToExternal(p, SampleParameter(p, Values(p, below), Values(p, above), rng));
        return new TrialProposal(parameters);
    }

    /// <summary>Optuna's <c>sample_independent</c> past the startup: candidates from l, the best by log l − log g
    /// (the first on ties, as <c>argmax</c>).</summary>
    internal double SampleParameter(ParameterDistribution distribution, IReadOnlyList<double> below, IReadOnlyList<double> above, TrialRandom rng)
    {
        var good = new ParzenEstimator(distribution, below, Options);
        var bad = new ParzenEstimator(distribution, above, Options);
        var candidates = good.Sample(rng, Options.NEiCandidates);
        var logL = good.LogPdf(candidates);
        var logG = bad.LogPdf(candidates);
        int best = 0;
        double bestScore = logL[0] - logG[0];
        for (int i = 1; i < candidates.Length; i++)
        {
            double score = logL[i] - logG[i];
            if (score > bestScore) { best = i; bestScore = score; }
        }
        return candidates[best];
    }

    // The internal values of a parameter over trials, skipping trials without a valid value (Optuna masks them out).
    private static List<double> Values(ParameterDistribution distribution, IEnumerable<StudyTrial> trials)
    {
        var values = new List<double>();
        // A choice is found by its JSON (ChoiceDistribution.IndexOf's equality) in one lookup, not one serialisation per choice.
        Dictionary<string, int>? choiceIndex = null;
        if (distribution is ChoiceDistribution choice)
        {
            choiceIndex = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < choice.Choices.Count; i++) choiceIndex.TryAdd(ParameterValues.ToJson(choice.Choices[i]), i);
        }
        foreach (var t in trials)
        {
            if (!t.Parameters.TryGetValue(distribution.Key, out var v)) continue;
            if (choiceIndex is not null)
            {
                if (choiceIndex.TryGetValue(ParameterValues.ToJson(v), out int index)) values.Add(index);
            }
            else if (ParameterCoding.ToInternal(distribution, v) is double x) values.Add(x);
        }
        return values;
    }

    /// <summary>A finished trial ranked for the split: lower (Step, Loss) is better.</summary>
    /// <param name="Trial">The trial.</param>
    /// <param name="Step">−∞ for a complete trial; −(last step) for a pruned trial with intermediate values, so pruned
    /// trials that got further rank better; 1 for a pruned trial that reported nothing.</param>
    /// <param name="Loss">The value signed so lower is better (NaN as +∞).</param>
    internal readonly record struct Observation(StudyTrial Trial, double Step, double Loss);

    /// <summary>
    /// Optuna 3.1's <c>_get_observation_pairs</c>: complete trials with a value, by their value; pruned trials by their
    /// last intermediate value at their last step, ranked after every complete trial and better the further they got;
    /// pruned trials without intermediate values last. Running, waiting and failed trials are left out. In trial order.
    /// </summary>
    internal static List<Observation> Observations(IReadOnlyList<StudyTrial> trials, StudyDirection direction)
    {
        double sign = direction == StudyDirection.Minimize ? 1 : -1;
        var result = new List<Observation>();
        foreach (var t in trials.OrderBy(t => t.Number))
        {
            if (t.State == TrialState.Complete)
            {
                if (t.Value is not double v) continue;
                result.Add(new Observation(t, double.NegativeInfinity, Loss(sign, v)));
            }
            else if (t.State == TrialState.Pruned)
            {
                if (t.IntermediateValues.Count == 0) { result.Add(new Observation(t, 1, 0)); continue; }
                var last = t.IntermediateValues.MaxBy(kv => kv.Key);
                result.Add(new Observation(t, -last.Key, Loss(sign, last.Value)));
            }
        }
        return result;
    }

    private static double Loss(double sign, double value) => double.IsNaN(value) ? double.PositiveInfinity : sign * value;

    /// <summary>Optuna's <c>_split_observation_pairs</c> (one objective): a stable sort by (step, loss); the first
    /// <paramref name="belowCount"/> are "below" (good), the rest "above"; each part back in trial order.</summary>
    internal static (List<StudyTrial> Below, List<StudyTrial> Above) Split(List<Observation> observations, int belowCount)
    {
        var ranked = Enumerable.Range(0, observations.Count)
            .OrderBy(i => observations[i].Step).ThenBy(i => observations[i].Loss).ToArray(); // LINQ's OrderBy is stable
        var below = ranked.Take(belowCount).Order().Select(i => observations[i].Trial).ToList();
        var above = ranked.Skip(belowCount).Order().Select(i => observations[i].Trial).ToList();
        return (below, above);
    }
}
