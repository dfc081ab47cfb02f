using Classify.Tuning.Trials;

namespace Classify.Tuning.Pruners;

/// <summary>
/// Decides whether a running trial should stop early from its intermediate values and the other trials' (Optuna's
/// BasePruner). Fed by <see cref="Classify.Core.Training.ITrainerCallback"/>: transformer evaluations (step = optimiser
/// step) and the linear engine's cross-validation folds (step = fold).
/// </summary>
public interface IPruner
{
    /// <summary>The pruner's name (none, median, successive_halving).</summary>
    string Name { get; }

    /// <summary>True when <paramref name="trial"/>, having just reported a value at <paramref name="step"/>, should be pruned.</summary>
    bool ShouldPrune(IReadOnlyList<StudyTrial> trials, StudyTrial trial, long step, StudyDirection direction);
}
