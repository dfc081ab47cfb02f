using Classify.Tuning.Trials;

namespace Classify.Tuning.Pruners;

/// <summary>
/// Prunes a trial whose best intermediate value so far is worse than the median of the completed trials' values at the
/// same step (Optuna's MedianPruner, i.e. its PercentilePruner at 50). The caller reports a value, then asks; a pruned
/// trial is finished by the study driver as <see cref="TrialState.Pruned"/> with its last intermediate value as its value.
/// </summary>
public sealed class MedianPruner : IPruner
{
    private const double Percentile = 50;

    /// <summary>A median pruner with <paramref name="options"/> (default: Optuna's defaults).</summary>
    public MedianPruner(MedianPrunerOptions? options = null)
    {
        Options = options ?? new MedianPrunerOptions();
        if (Options.FindProblem() is var (key, reason)) throw new ArgumentException($"median pruner: {key} {reason}", nameof(options));
    }

    /// <summary>The settings.</summary>
    public MedianPrunerOptions Options { get; }

    /// <inheritdoc />
    public string Name => "median";

    /// <inheritdoc />
    /// <remarks><paramref name="trial"/> must hold the value just reported at <paramref name="step"/>.</remarks>
    public bool ShouldPrune(IReadOnlyList<StudyTrial> trials, StudyTrial trial, long step, StudyDirection direction)
    {
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(trial);
        if (!trial.IntermediateValues.ContainsKey(step))
            throw new ArgumentException($"trial {trial.Number} has no intermediate value at step {step}; report it before asking the pruner", nameof(trial));

        var completed = trials.Where(t => t.State == TrialState.Complete && t.Id != trial.Id).ToList();
        if (completed.Count == 0 || completed.Count < Options.NStartupTrials) return false;
        if (step < Options.NWarmupSteps) return false;
        if (!IsFirstInIntervalStep(step, trial.IntermediateValues.Keys, Options.NWarmupSteps, Options.IntervalSteps)) return false;

        // Best so far over the trial's own steps (nanmax / nanmin); a trial that reported only NaN is pruned.
        double best = BestIntermediate(trial.IntermediateValues.Values, direction);
        if (double.IsNaN(best)) return true;

        double threshold = PercentileAtStep(completed, direction, step, Percentile, Options.NMinTrials);
        if (double.IsNaN(threshold)) return false;
        return direction == StudyDirection.Maximize ? best < threshold : best > threshold;
    }

    /// <summary>
    /// Optuna's <c>_is_first_in_interval_step</c>: true when no earlier report of the trial falls at or after the latest
    /// check step (warm-up + k·interval) not after <paramref name="step"/> — a check skipped for lack of a report happens
    /// at the next report.
    /// </summary>
    internal static bool IsFirstInIntervalStep(long step, IEnumerable<long> reportedSteps, long warmupSteps, long intervalSteps)
    {
        long nearestLowerPruningStep = (step - warmupSteps) / intervalSteps * intervalSteps + warmupSteps;
        long secondLast = -1;
        foreach (var s in reportedSteps)
            if (s != step && s > secondLast) secondLast = s;
        return secondLast < nearestLowerPruningStep;
    }

    /// <summary>The best of <paramref name="values"/> for the direction, ignoring NaN; NaN when all are.</summary>
    internal static double BestIntermediate(IEnumerable<double> values, StudyDirection direction)
    {
        double best = double.NaN;
        foreach (var v in values)
        {
            if (double.IsNaN(v)) continue;
            if (double.IsNaN(best) || (direction == StudyDirection.Maximize ? v > best : v < best)) best = v;
        }
        return best;
    }

    /// <summary>
    /// Optuna's <c>_get_percentile_intermediate_result_over_trials</c>: the <paramref name="percentile"/> (mirrored to
    /// 100 − p when maximising, so "keep the top p%" holds either way) of the completed trials' values at
    /// <paramref name="step"/>, ignoring NaN, with numpy's linear interpolation; NaN when fewer than
    /// <paramref name="minTrials"/> trials reported that step.
    /// </summary>
    internal static double PercentileAtStep(IEnumerable<StudyTrial> completed, StudyDirection direction, long step, double percentile, int minTrials)
    {
        var values = new List<double>();
        foreach (var t in completed)
            if (t.IntermediateValues.TryGetValue(step, out var v)) values.Add(v);
        if (values.Count < minTrials) return double.NaN;
        if (direction == StudyDirection.Maximize) percentile = 100 - percentile;
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        double h = (sorted.Length - 1) * percentile / 100;
        int lo = (int)Math.Floor(h);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
