using System.Text.Json.Serialization;

namespace Classify.Tuning.Samplers;

/// <summary>The <c>sampler: random</c> settings (Optuna's RandomSampler).</summary>
public sealed record RandomSamplerOptions
{
    /// <summary>
    /// The study's seed (<c>seed</c>): with one, every trial's parameters follow from (seed, trial number), so a study is
    /// reproducible and workers sharing the seed still propose different points. Null draws a seed per sampler.
    /// </summary>
    [JsonPropertyName("seed")] public long? Seed { get; init; }
}
