using Classify.Tuning.Trials;

namespace Classify.Tuning.Study;

/// <summary>
/// What a study optimises: trains and scores one trial's parameters (Optuna's objective function). The experiment-backed
/// objective is <see cref="ExperimentObjective"/>; tests use small functions.
/// </summary>
public interface ITrialObjective
{
    /// <summary>
    /// Evaluates <paramref name="trial"/>'s parameters and returns the objective value. Intermediate values go to
    /// <paramref name="reporter"/>; once it answers that the trial should be pruned, stop as soon as convenient (return
    /// anything or throw: the trial is recorded as pruned with its last intermediate value either way).
    /// </summary>
    double Evaluate(StudyTrial trial, TrialReporter reporter, CancellationToken cancellationToken);
}

/// <summary>
/// Carries a running trial's intermediate values to the storage and asks the pruner about each (Optuna's
/// <c>trial.report</c> and <c>trial.should_prune</c> in one call).
/// </summary>
public sealed class TrialReporter
{
    private readonly Func<long, double, bool> _report;

    internal TrialReporter(Func<long, double, bool> report) => _report = report;

    /// <summary>
    /// A reporter for evaluating an objective outside a study (a benchmark, a one-off check): it keeps the values and
    /// never prunes.
    /// </summary>
    public static TrialReporter Unobserved() => new((_, _) => false);

    /// <summary>True once the pruner asked this trial to stop.</summary>
    public bool Pruned { get; private set; }

    /// <summary>The last value reported (a pruned trial's value), or null.</summary>
    public double? LastValue { get; private set; }

    /// <summary>The step of the last value reported, or null.</summary>
    public long? LastStep { get; private set; }

    /// <summary>How many intermediate values were reported.</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Records <paramref name="value"/> at <paramref name="step"/> (refreshing the heartbeat) and returns true when the
    /// trial should stop. Non-finite values are not recorded (a pruner cannot compare them) and never prune.
    /// </summary>
    public bool Report(long step, double value)
    {
        if (!double.IsFinite(value)) return Pruned;
        LastValue = value;
        LastStep = step;
        Count++;
        if (!Pruned && _report(step, value)) Pruned = true;
        return Pruned;
    }
}
