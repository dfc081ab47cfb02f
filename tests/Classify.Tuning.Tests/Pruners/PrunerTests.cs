using Classify.Tuning.Pruners;
using Classify.Tuning.Trials;
using static Classify.Tuning.Tests.Samplers.TuningTestData;

namespace Classify.Tuning.Tests.Pruners;

public class PrunerTests
{
    private static Dictionary<long, double> Curve(params double[] values) =>
        values.Select((v, i) => (Step: (long)i, v)).ToDictionary(x => x.Step, x => x.v);

    private static List<StudyTrial> Completed(params double[][] curves) =>
        curves.Select((c, i) => Trial(i, TrialState.Complete, value: c[^1], intermediate: Curve(c))).ToList();

    private static StudyTrial Running(int number, params double[] values) => Trial(number, TrialState.Running, intermediate: Curve(values));

    [Fact]
    public void Median_prunes_a_trial_whose_best_so_far_is_worse_than_the_median_at_the_step()
    {
        var trials = Completed([0.1, 1], [0.2, 2], [0.3, 3], [0.4, 4], [0.5, 5]); // step 1 median 3, step 0 median 0.3
        var pruner = new MedianPruner();
        // Minimising: 3.5 at step 1 is worse than 3, unless an earlier step already did better (best so far 0.1 < 3).
        Assert.True(pruner.ShouldPrune(trials, Running(9, 3.5, 3.5), 1, StudyDirection.Minimize));
        Assert.False(pruner.ShouldPrune(trials, Running(9, 0.1, 3.5), 1, StudyDirection.Minimize));
        Assert.False(pruner.ShouldPrune(trials, Running(9, 2.5, 2.5), 1, StudyDirection.Minimize));
        // Maximising mirrors it: 2.5 < 3 is pruned, 3.5 is kept.
        Assert.True(pruner.ShouldPrune(trials, Running(9, 0.0, 2.5), 1, StudyDirection.Maximize));
        Assert.False(pruner.ShouldPrune(trials, Running(9, 0.0, 3.5), 1, StudyDirection.Maximize));
        // Four completed trials are fewer than n_startup_trials = 5.
        Assert.False(pruner.ShouldPrune(trials.Take(4).ToList(), Running(9, 9, 9), 1, StudyDirection.Minimize));
        // An even count interpolates: median of 1, 2, 3, 4 is 2.5.
        var four = new MedianPruner(new MedianPrunerOptions { NStartupTrials = 1 });
        Assert.True(four.ShouldPrune(trials.Take(4).ToList(), Running(9, 2.6, 2.6), 1, StudyDirection.Minimize));
        Assert.False(four.ShouldPrune(trials.Take(4).ToList(), Running(9, 2.4, 2.4), 1, StudyDirection.Minimize));
        // A trial that reported only NaN is pruned.
        Assert.True(pruner.ShouldPrune(trials, Running(9, double.NaN), 0, StudyDirection.Minimize));
    }

    [Fact]
    public void Median_waits_for_warmup_interval_and_enough_trials_at_the_step()
    {
        var trials = Completed([1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]);
        var warm = new MedianPruner(new MedianPrunerOptions { NWarmupSteps = 2 });
        Assert.False(warm.ShouldPrune(trials, Running(9, 5, 5), 1, StudyDirection.Minimize));
        Assert.True(warm.ShouldPrune(trials, Running(9, 5, 5, 5), 2, StudyDirection.Minimize));
        var interval = new MedianPruner(new MedianPrunerOptions { IntervalSteps = 2 });
        Assert.True(interval.ShouldPrune(trials, Running(9, 5, 5, 5), 2, StudyDirection.Minimize));
        Assert.False(interval.ShouldPrune(trials, Running(9, 5, 5, 5, 5), 3, StudyDirection.Minimize)); // 2 was checked
        var sparse = new Dictionary<long, double> { [0] = 5, [3] = 5 }; // the check at 2 was skipped, so 3 is checked
        Assert.True(interval.ShouldPrune(trials, Trial(9, TrialState.Running, intermediate: sparse), 3, StudyDirection.Minimize));
        var minTrials = new MedianPruner(new MedianPrunerOptions { NMinTrials = 6 });
        Assert.False(minTrials.ShouldPrune(trials, Running(9, 5), 0, StudyDirection.Minimize));
        Assert.Throws<ArgumentException>(() => new MedianPruner().ShouldPrune(trials, Running(9, 5), 1, StudyDirection.Minimize));
    }

    [Fact]
    public void Successive_halving_promotes_the_top_fraction_of_each_rung()
    {
        // min_resource 1, η 2: rungs at steps 1, 2, 4. Three others reached rung 0 (step 1) with 0.1, 0.2, 0.3.
        var pruner = new SuccessiveHalvingPruner(new SuccessiveHalvingPrunerOptions { MinResource = 1, ReductionFactor = 2 });
        var others = Completed([9, 0.1, 0.1], [9, 0.2, 0.2], [9, 0.3, 0.3]);
        // Step 0 is below the first rung: never pruned.
        Assert.False(pruner.ShouldPrune(others, Running(9, 100), 0, StudyDirection.Minimize));
        // Four competitors (0.1, 0.2, 0.3 and ours): the top 4/2 = 2 go on, so ours must be ≤ 0.2.
        Assert.True(pruner.ShouldPrune(others, Running(9, 100, 0.25), 1, StudyDirection.Minimize));
        Assert.False(pruner.ShouldPrune(others, Running(9, 100, 0.15), 1, StudyDirection.Minimize));
        // Maximising: the top two are 0.3 and ours, so ours must be ≥ 0.2.
        Assert.False(pruner.ShouldPrune(others, Running(9, 100, 0.25), 1, StudyDirection.Maximize));
        Assert.True(pruner.ShouldPrune(others, Running(9, 100, 0.15), 1, StudyDirection.Maximize));
        // At step 2 (rung 1) the others recorded 0.1, 0.2, 0.3 again; a trial past rung 0 competes there.
        Assert.True(pruner.ShouldPrune(others, Running(9, 100, 0.15, 0.25), 2, StudyDirection.Minimize));
        // Fewer than η at a rung: only the best goes on.
        var one = Completed([9, 0.1, 0.1]);
        Assert.True(pruner.ShouldPrune(one, Running(9, 100, 0.2), 1, StudyDirection.Minimize));
        Assert.False(pruner.ShouldPrune(one, Running(9, 100, 0.05), 1, StudyDirection.Minimize));
    }

    [Fact]
    public void Successive_halving_with_auto_min_resource_waits_for_a_completed_trial()
    {
        var pruner = new SuccessiveHalvingPruner();
        var running = Trial(0, TrialState.Running, intermediate: Curve(1, 1));
        Assert.False(pruner.ShouldPrune([Trial(1, TrialState.Pruned, intermediate: Curve(0.1, 0.1))], running, 1, StudyDirection.Minimize));
        // A completed trial whose last step is 400 gives min_resource 4: rungs at 4, 16, 64, 256.
        var long400 = Trial(1, TrialState.Complete, value: 0, intermediate: Enumerable.Range(0, 401).ToDictionary(i => (long)i, _ => 0.0));
        Assert.Equal(4, SuccessiveHalvingPruner.EstimateMinResource([long400]));
        Assert.False(pruner.ShouldPrune([long400], Trial(2, TrialState.Running, intermediate: Curve(1, 1, 1, 1)), 3, StudyDirection.Minimize));
        Assert.True(pruner.ShouldPrune([long400], Trial(2, TrialState.Running, intermediate: Curve(1, 1, 1, 1, 1)), 4, StudyDirection.Minimize));
    }

    [Fact]
    public void Nop_never_prunes_and_settings_are_checked_by_name()
    {
        Assert.False(new NopPruner().ShouldPrune([], Running(0, double.NaN), 0, StudyDirection.Minimize));
        Assert.Equal("interval_steps", new MedianPrunerOptions { IntervalSteps = 0 }.FindProblem()!.Value.Key);
        Assert.Equal("bootstrap_count", new SuccessiveHalvingPrunerOptions { BootstrapCount = 1 }.FindProblem()!.Value.Key);
        Assert.Null(new SuccessiveHalvingPrunerOptions { BootstrapCount = 1, MinResource = 2 }.FindProblem());
        Assert.Contains("reduction_factor", Assert.Throws<ArgumentException>(() => new SuccessiveHalvingPruner(new() { ReductionFactor = 1 })).Message);
    }
}
