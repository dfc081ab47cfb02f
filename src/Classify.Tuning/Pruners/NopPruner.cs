using Classify.Tuning.Trials;

namespace Classify.Tuning.Pruners;

/// <summary>Never prunes (Optuna's NopPruner; <c>pruner: none</c>).</summary>
public sealed class NopPruner : IPruner
{
    /// <inheritdoc />
    public string Name => "none";

    /// <inheritdoc />
    public bool ShouldPrune(IReadOnlyList<StudyTrial> trials, StudyTrial trial, long step, StudyDirection direction) => false;
}
