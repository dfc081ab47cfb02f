using System.Text.Json.Serialization;

namespace Classify.Tuning.Pruners;

/// <summary>The <c>pruner: successive_halving</c> settings, named and defaulted as Optuna's SuccessiveHalvingPruner.</summary>
public sealed record SuccessiveHalvingPrunerOptions
{
    /// <summary>
    /// <c>min_resource</c>: the step of the first rung, r; rung k is at r · η^(s + k). Null is Optuna's <c>'auto'</c>
    /// (the default): the largest last step of the completed trials divided by 100, at least 1, and no pruning until a
    /// trial has completed.
    /// </summary>
    [JsonPropertyName("min_resource")] public long? MinResource { get; init; }

    /// <summary><c>reduction_factor</c>: η, the top 1/η of a rung are promoted. Default 4.</summary>
    [JsonPropertyName("reduction_factor")] public int ReductionFactor { get; init; } = 4;

    /// <summary><c>min_early_stopping_rate</c>: s, shifts the first rung to r · η^s. Default 0.</summary>
    [JsonPropertyName("min_early_stopping_rate")] public int MinEarlyStoppingRate { get; init; }

    /// <summary><c>bootstrap_count</c>: prune at a rung until more than this many trials have reached it. Default 0;
    /// needs a fixed <see cref="MinResource"/>.</summary>
    [JsonPropertyName("bootstrap_count")] public int BootstrapCount { get; init; }

    /// <summary>The first problem of these settings as (key, reason), keys named as in the config, or null.</summary>
    public (string Key, string Reason)? FindProblem() =>
        MinResource is < 1 ? ("min_resource", $"must be at least 1 or 'auto', got {MinResource}")
        : ReductionFactor < 2 ? ("reduction_factor", $"must be at least 2, got {ReductionFactor}")
        : MinEarlyStoppingRate < 0 ? ("min_early_stopping_rate", $"must be at least 0, got {MinEarlyStoppingRate}")
        : BootstrapCount < 0 ? ("bootstrap_count", $"must be at least 0, got {BootstrapCount}")
        : BootstrapCount > 0 && MinResource is null ? ("bootstrap_count", "needs a fixed min_resource (Optuna refuses it with 'auto')")
        : null;
}
