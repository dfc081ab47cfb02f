using System.Text.Json.Serialization;

namespace Classify.Tuning.Pruners;

/// <summary>The <c>pruner: median</c> settings, named and defaulted as Optuna's MedianPruner.</summary>
public sealed record MedianPrunerOptions
{
    /// <summary><c>n_startup_trials</c>: no pruning until this many trials have completed. Default 5.</summary>
    [JsonPropertyName("n_startup_trials")] public int NStartupTrials { get; init; } = 5;

    /// <summary><c>n_warmup_steps</c>: no pruning of a trial before this step (steps count from 0). Default 0.</summary>
    [JsonPropertyName("n_warmup_steps")] public long NWarmupSteps { get; init; }

    /// <summary><c>interval_steps</c>: check once per this many steps past the warm-up (a check postponed to the next
    /// report when no value falls on the interval's step). Default 1.</summary>
    [JsonPropertyName("interval_steps")] public long IntervalSteps { get; init; } = 1;

    /// <summary><c>n_min_trials</c>: no pruning at a step that fewer completed trials reported. Default 1.</summary>
    [JsonPropertyName("n_min_trials")] public int NMinTrials { get; init; } = 1;

    /// <summary>The first problem of these settings as (key, reason), keys named as in the config, or null.</summary>
    public (string Key, string Reason)? FindProblem() =>
        NStartupTrials < 0 ? ("n_startup_trials", $"must be at least 0, got {NStartupTrials}")
        : NWarmupSteps < 0 ? ("n_warmup_steps", $"must be at least 0, got {NWarmupSteps}")
        : IntervalSteps < 1 ? ("interval_steps", $"must be at least 1, got {IntervalSteps}")
        : NMinTrials < 1 ? ("n_min_trials", $"must be at least 1, got {NMinTrials}")
        : null;
}
