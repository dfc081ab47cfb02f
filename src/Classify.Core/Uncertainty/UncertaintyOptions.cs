using System.Text.Json.Serialization;
using Classify.Core.Prediction;

namespace Classify.Core.Uncertainty;

/// <summary>
/// How a model's uncertainty is estimated: from <see cref="McSamples"/> Monte-Carlo dropout passes, or (the default, 1)
/// from the deterministic pass alone, which gives the predictive entropy with epistemic 0. The same settings are the
/// <c>uncertainty:</c> section of an experiment config, the <c>uncertainty</c> object of <c>classify.json</c> (the
/// package's default for <c>classify predict</c>) and the <c>--mc-samples</c> / <c>--mc-batch-size</c> flags.
/// </summary>
public sealed record UncertaintyOptions
{
    /// <summary>
    /// The default <see cref="McBatchSize"/>: 64 (row, pass) pairs per forward pass. Measured (docs/benchmarks.md): fused
    /// forwards of 32–64 pairs cost 0.95–0.98 × N deterministic passes, forwards of 256–320 cost 1.07–1.20 ×.
    /// </summary>
    public const int DefaultMcBatchSize = 64;

    /// <summary>The settings without dropout sampling: one deterministic pass.</summary>
    public static UncertaintyOptions SinglePass { get; } = new();

    /// <summary>
    /// N, the number of dropout passes (1 … <see cref="MonteCarloDropout.MaxPasses"/>); 1 (the default) uses the
    /// deterministic pass alone.
    /// </summary>
    [JsonPropertyName("mc_samples")] public int McSamples { get; init; } = 1;

    /// <summary>The most (row, pass) pairs one forward pass holds when N &gt; 1 (rows × passes; at least 1).</summary>
    [JsonPropertyName("mc_batch_size")] public int McBatchSize { get; init; } = DefaultMcBatchSize;

    /// <summary>True when dropout passes are sampled (N &gt; 1).</summary>
    [JsonIgnore] public bool Sampled => McSamples > 1;

    /// <summary>What is wrong with a pass count, or null: it must be between 1 and <see cref="MonteCarloDropout.MaxPasses"/>.</summary>
    public static string? SamplesProblem(long samples) => samples is >= 1 and <= MonteCarloDropout.MaxPasses ? null
        : $"the number of Monte-Carlo dropout samples must be between 1 and {MonteCarloDropout.MaxPasses:N0} (1 = no sampling), got {samples}";

    /// <summary>What is wrong with an MC batch size, or null: it must be at least 1.</summary>
    public static string? BatchSizeProblem(long size) => size >= 1 ? null
        : $"the Monte-Carlo batch size (rows × passes per forward pass) must be at least 1, got {size}";

    /// <summary>
    /// The first problem of these settings as (key, reason), keys named as in the config (<c>mc_samples</c>,
    /// <c>mc_batch_size</c>), or null when there is none.
    /// </summary>
    public (string Key, string Reason)? FindProblem() =>
        SamplesProblem(McSamples) is { } s ? ("mc_samples", s)
        : BatchSizeProblem(McBatchSize) is { } b ? ("mc_batch_size", b)
        : null;

    /// <summary>
    /// Why <paramref name="predictor"/> cannot honour these settings, or null when it can: N &gt; 1 needs a model with
    /// dropout (<see cref="IPredictor.HasDropout"/>); without it every pass would equal the deterministic one. An
    /// ensemble (<see cref="IEnsemblePredictor"/>) needs nothing: its members are the passes, so N &gt; 1 is refused for it
    /// as meaningless (its uncertainty always comes from all members).
    /// </summary>
    public string? PredictorProblem(IPredictor predictor)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        if (!Sampled) return null;
        if (predictor.EnsembleMembers() is > 0 and var members)
            return $"this model is an ensemble: its uncertainty always comes from its {members} members (one pass each), " +
                   "so Monte-Carlo samples do not apply; use 1 sample (the default)";
        if (predictor.HasDropout) return null;
        var why = predictor.SupportsDropout ? "every dropout probability of its config is 0"
            : predictor.NoDropoutReason ?? $"{predictor.Manifest.Engine} models have none";
        return $"this model has no dropout: epistemic uncertainty would be 0 in all {McSamples} passes ({why}); " +
               "use 1 sample (the default), which still gives the predictive entropy";
    }
}
