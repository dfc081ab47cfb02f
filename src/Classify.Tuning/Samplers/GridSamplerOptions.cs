using System.Text.Json.Serialization;

namespace Classify.Tuning.Samplers;

/// <summary>The <c>sampler: grid</c> settings.</summary>
public sealed record GridSamplerOptions
{
    /// <summary>
    /// <c>seed</c>: when set, the grid's points are visited in a permutation fixed by the seed (every worker computes the
    /// same one), so a study stopped early has spread over the whole grid — Optuna's reason for picking unvisited points
    /// at random, without giving up determinism. Null (the default) visits the points in config order: the Cartesian
    /// product with the last parameter varying fastest.
    /// </summary>
    [JsonPropertyName("seed")] public long? Seed { get; init; }
}
