using System.Text.Json.Serialization;

namespace Classify.Tuning.Samplers;

/// <summary>
/// The <c>sampler: tpe</c> settings, named and defaulted as Optuna 3.1's TPESampler (independent sampling; the
/// multivariate, group, constant-liar and constraints options are not offered).
/// </summary>
public sealed record TpeSamplerOptions
{
    /// <summary>The most trials TPE's "good" density is fitted to, whatever <see cref="Gamma"/> gives (Optuna's
    /// <c>default_gamma</c> caps at 25).</summary>
    public const int MaxBelowTrials = 25;

    /// <summary><c>n_startup_trials</c>: trials sampled at random (by the random sampler's rule) until this many trials
    /// have completed or been pruned. Default 10.</summary>
    [JsonPropertyName("n_startup_trials")] public int NStartupTrials { get; init; } = 10;

    /// <summary><c>n_ei_candidates</c>: candidates drawn from the good density l(x) per parameter; the one with the
    /// highest l(x)/g(x) (expected improvement) is proposed. Default 24.</summary>
    [JsonPropertyName("n_ei_candidates")] public int NEiCandidates { get; init; } = 24;

    /// <summary>
    /// <c>gamma</c>: the fraction of the n finished trials that form the good density — ⌈gamma · n⌉ trials, at most
    /// <see cref="MaxBelowTrials"/>. Optuna takes a function here; its default, <c>default_gamma</c>, is exactly this with
    /// 0.1, the default.
    /// </summary>
    [JsonPropertyName("gamma")] public double Gamma { get; init; } = 0.1;

    /// <summary><c>prior_weight</c>: the weight of the prior component (a normal over the whole range, or uniform over
    /// the choices) against the observations' weights. Default 1.0.</summary>
    [JsonPropertyName("prior_weight")] public double PriorWeight { get; init; } = 1.0;

    /// <summary><c>consider_prior</c>: add the prior component to both densities. Default true.</summary>
    [JsonPropertyName("consider_prior")] public bool ConsiderPrior { get; init; } = true;

    /// <summary><c>consider_magic_clip</c>: keep every bandwidth at least range / min(100, 1 + components). Default true.</summary>
    [JsonPropertyName("consider_magic_clip")] public bool ConsiderMagicClip { get; init; } = true;

    /// <summary><c>consider_endpoints</c>: let the range's ends widen the outermost components' bandwidths. Default false.</summary>
    [JsonPropertyName("consider_endpoints")] public bool ConsiderEndpoints { get; init; }

    /// <summary><c>seed</c>: with one, a proposal follows from (seed, trial number, trial history). Null draws a seed per
    /// sampler.</summary>
    [JsonPropertyName("seed")] public long? Seed { get; init; }

    /// <summary>The number of trials forming the good density out of <paramref name="finished"/>: min(⌈gamma·n⌉, 25),
    /// computed in doubles as numpy does.</summary>
    public int BelowCount(int finished) => (int)Math.Min(Math.Ceiling(Gamma * finished), MaxBelowTrials);

    /// <summary>The first problem of these settings as (key, reason), keys named as in the config, or null.</summary>
    public (string Key, string Reason)? FindProblem() =>
        NStartupTrials < 0 ? ("n_startup_trials", $"must be at least 0, got {NStartupTrials}")
        : NEiCandidates < 1 ? ("n_ei_candidates", $"must be at least 1, got {NEiCandidates}")
        : !(Gamma > 0 && Gamma <= 1) ? ("gamma", $"must be a fraction in (0, 1], got {Gamma}")
        : !(PriorWeight > 0) || double.IsInfinity(PriorWeight) ? ("prior_weight", $"must be a positive number, got {PriorWeight}")
        : null;
}
