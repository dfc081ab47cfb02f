using Classify.Tuning.Trials;

namespace Classify.Tuning.Pruners;

/// <summary>
/// Asynchronous successive halving (Optuna's SuccessiveHalvingPruner). Rung k sits at step r · η^(s + k). When a trial's
/// report reaches a rung, its value there competes with the values every other trial had at that rung; it is promoted
/// (keeps running) when it is among the top 1/η of them — or, while fewer than η trials have reached the rung, when it
/// is the best — and pruned otherwise. A pruned trial is finished by the study driver as <see cref="TrialState.Pruned"/>
/// with its last intermediate value as its value.
/// </summary>
/// <remarks>
/// Optuna stores each trial's value at each rung in a system attribute as it passes; here a trial's rung values are
/// re-derived from its intermediate values (the value at its first report at or after the rung's step), which is the same
/// thing when the driver asks after every report and stops a trial the pruner prunes. Likewise <c>min_resource: auto</c>
/// is re-estimated from the study's completed trials on every call rather than cached by the first process that
/// estimates it, so all workers agree on the rungs.
/// </remarks>
public sealed class SuccessiveHalvingPruner : IPruner
{
    /// <summary>A successive-halving pruner with <paramref name="options"/> (default: Optuna's defaults).</summary>
    public SuccessiveHalvingPruner(SuccessiveHalvingPrunerOptions? options = null)
    {
        Options = options ?? new SuccessiveHalvingPrunerOptions();
        if (Options.FindProblem() is var (key, reason)) throw new ArgumentException($"successive_halving pruner: {key} {reason}", nameof(options));
    }

    /// <summary>The settings.</summary>
    public SuccessiveHalvingPrunerOptions Options { get; }

    /// <inheritdoc />
    public string Name => "successive_halving";

    /// <inheritdoc />
    /// <remarks><paramref name="trial"/> must hold the value just reported at <paramref name="step"/>.</remarks>
    public bool ShouldPrune(IReadOnlyList<StudyTrial> trials, StudyTrial trial, long step, StudyDirection direction)
    {
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(trial);
        if (!trial.IntermediateValues.TryGetValue(step, out double value))
            throw new ArgumentException($"trial {trial.Number} has no intermediate value at step {step}; report it before asking the pruner", nameof(trial));

        var others = trials.Where(t => t.Id != trial.Id).ToList();
        if ((Options.MinResource ?? EstimateMinResource(others)) is not long minResource) return false;

        // The rungs this trial passed at its earlier reports.
        int rung = RungValues(trial.IntermediateValues.Where(kv => kv.Key < step), minResource).Count;
        while (true)
        {
            if (step < RungStep(minResource, rung)) return false;
            if (double.IsNaN(value)) return true;

            var competing = new List<double>();
            foreach (var t in others)
                if (RungValues(t.IntermediateValues, minResource) is var values && values.Count > rung) competing.Add(values[rung]);
            competing.Add(value); // Optuna's competing values include the trial's own

            if (competing.Count <= Options.BootstrapCount) return true;
            if (!IsPromotable(value, competing, Options.ReductionFactor, direction)) return true;
            rung++;
        }
    }

    /// <summary>Optuna's <c>_estimate_min_resource</c>: the largest last step of the completed trials / 100, at least 1;
    /// null before any trial completed with intermediate values.</summary>
    internal static long? EstimateMinResource(IEnumerable<StudyTrial> trials)
    {
        long? lastStep = null;
        foreach (var t in trials)
            if (t.State == TrialState.Complete && t.IntermediateValues.Count > 0)
                lastStep = Math.Max(lastStep ?? long.MinValue, t.IntermediateValues.Keys.Max());
        return lastStep is long s ? Math.Max(s / 100, 1) : null;
    }

    /// <summary>The step of rung <paramref name="rung"/>: min_resource · η^(s + rung), saturating instead of overflowing.</summary>
    internal long RungStep(long minResource, int rung)
    {
        double step = minResource * Math.Pow(Options.ReductionFactor, Options.MinEarlyStoppingRate + rung);
        return step >= long.MaxValue ? long.MaxValue : (long)step;
    }

    /// <summary>
    /// The values a trial recorded at successive rungs: walking its reports in step order, each report at or past the next
    /// rung's step records its value there (several rungs at once when a report jumps past them); a NaN report at a rung
    /// ends the walk, as Optuna prunes it before recording.
    /// </summary>
    internal List<double> RungValues(IEnumerable<KeyValuePair<long, double>> intermediateValues, long minResource)
    {
        var values = new List<double>();
        foreach (var (s, v) in intermediateValues.OrderBy(kv => kv.Key))
            while (s >= RungStep(minResource, values.Count))
            {
                if (double.IsNaN(v)) return values;
                values.Add(v);
            }
        return values;
    }

    /// <summary>
    /// Optuna's <c>_is_trial_promotable_to_next_rung</c>: the value is at least as good as the ⌊n/η⌋-th best of the n
    /// competing values (the best while n &lt; η: Optuna cannot suspend trials to wait for more).
    /// </summary>
    internal static bool IsPromotable(double value, List<double> competing, int reductionFactor, StudyDirection direction)
    {
        int promotableIndex = competing.Count / reductionFactor - 1;
        if (promotableIndex == -1) promotableIndex = 0;
        competing.Sort();
        return direction == StudyDirection.Maximize
            ? value >= competing[competing.Count - 1 - promotableIndex]
            : value <= competing[promotableIndex];
    }
}
