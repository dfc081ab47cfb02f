using Classify.Tuning.Space;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Samplers;

/// <summary>
/// Proposes the parameters of the next trial from the study's history (Optuna's BaseSampler, with every parameter
/// sampled independently). Samplers are deterministic given their seed and the trials they are shown.
/// </summary>
public interface ISampler
{
    /// <summary>The sampler's name as it appears in outputs (grid, random, tpe).</summary>
    string Name { get; }

    /// <summary>
    /// Parameters for the trial numbered <paramref name="trialNumber"/>, or null when the sampler has nothing left to
    /// propose (the grid is exhausted). <paramref name="trials"/> holds every trial of the study so far, any state.
    /// </summary>
    TrialProposal? Propose(SearchSpace space, IReadOnlyList<StudyTrial> trials, int trialNumber, StudyDirection direction);
}

/// <summary>What a sampler proposes.</summary>
/// <param name="Parameters">Config key → value, one per parameter of the space.</param>
/// <param name="GridKey">For the grid sampler, the point's key; the storage refuses a second live trial with the same key,
/// which is how every point is evaluated exactly once across workers.</param>
public sealed record TrialProposal(IReadOnlyDictionary<string, object?> Parameters, string? GridKey = null);
