using System.Text.Json.Nodes;
using Classify.Tuning.Pruners;
using Classify.Tuning.Trials;
using static Classify.Tuning.Tests.Samplers.TuningTestData;

namespace Classify.Tuning.Tests.Pruners;

/// <summary>
/// Replays the fixture's studies (30 trials with scripted learning curves, some NaN, some with skipped steps) through our
/// pruners the way the study driver does — report, ask, stop a pruned trial — and expects Optuna 3.1's decisions step
/// for step.
/// </summary>
public class PrunerParityTests
{
    [Fact]
    public void Median_and_successive_halving_prune_the_same_trials_at_the_same_steps_as_optuna()
    {
        int runs = 0;
        foreach (var c in Fixture("pruners").AsArray())
        {
            var settings = c!["settings"]!.AsObject();
            IPruner pruner = (string)c["pruner"]! == "median"
                ? new MedianPruner(new MedianPrunerOptions
                {
                    NStartupTrials = (int)(Int(settings, "n_startup_trials") ?? 5), NWarmupSteps = Int(settings, "n_warmup_steps") ?? 0,
                    IntervalSteps = (int)(Int(settings, "interval_steps") ?? 1), NMinTrials = (int)(Int(settings, "n_min_trials") ?? 1),
                })
                : new SuccessiveHalvingPruner(new SuccessiveHalvingPrunerOptions
                {
                    MinResource = Int(settings, "min_resource"), ReductionFactor = (int)(Int(settings, "reduction_factor") ?? 4),
                    MinEarlyStoppingRate = (int)(Int(settings, "min_early_stopping_rate") ?? 0), BootstrapCount = (int)(Int(settings, "bootstrap_count") ?? 0),
                });
            var direction = Direction((string)c["direction"]!);
            var expected = c["pruned_at"]!.AsArray().Select(n => (long?)n).ToList();
            var actual = Replay(pruner, direction, c["curves"]!.AsArray(), (bool?)c["seed_first"] ?? false);
            Assert.True(expected.SequenceEqual(actual),
                $"{c["pruner"]} {settings.ToJsonString()} {direction}: optuna pruned at [{string.Join(",", expected)}], we at [{string.Join(",", actual)}]");
            runs++;
        }
        Assert.Equal(14, runs);
    }

    private static long? Int(JsonObject o, string key) => o.TryGetPropertyValue(key, out var v) && v is not null ? (long)v : null;

    // The driver's loop: each trial reports its curve, asking the pruner after every report, until pruned or done.
    // With seedFirst the first curve is a trial that completed before the replay (see make_tuning_fixtures.py).
    internal static List<long?> Replay(IPruner pruner, StudyDirection direction, JsonArray curves, bool seedFirst = false)
    {
        var trials = new List<StudyTrial>();
        var prunedAt = new List<long?>();
        foreach (var curve in curves)
        {
            int number = trials.Count;
            var reported = new Dictionary<long, double>();
            long? at = null;
            double last = double.NaN;
            foreach (var point in curve!.AsArray())
            {
                long step = (long)point![0]!;
                last = (double?)point[1] ?? double.NaN;
                reported[step] = last;
                var running = Trial(number, TrialState.Running, intermediate: new Dictionary<long, double>(reported));
                if (seedFirst && number == 0) continue;
                if (pruner.ShouldPrune([.. trials, running], running, step, direction)) { at = step; break; }
            }
            trials.Add(Trial(number, at is null ? TrialState.Complete : TrialState.Pruned, value: last, intermediate: reported));
            prunedAt.Add(at);
        }
        return prunedAt;
    }
}
