namespace Classify.Tuning.Trials;

/// <summary>Where a trial is in its life (Optuna's TrialState).</summary>
public enum TrialState
{
    /// <summary>Created with fixed parameters and not yet claimed by a worker (a retry of a failed trial, or enqueued).</summary>
    Waiting,
    /// <summary>Claimed by a worker that is evaluating it and sending heartbeats.</summary>
    Running,
    /// <summary>Finished with a value.</summary>
    Complete,
    /// <summary>Stopped early by a pruner; keeps its last intermediate value.</summary>
    Pruned,
    /// <summary>Raised an error, was interrupted, or its worker stopped sending heartbeats.</summary>
    Failed,
}

/// <summary>Whether the objective is maximised or minimised.</summary>
public enum StudyDirection
{
    /// <summary>Higher is better (macro_f1, accuracy …).</summary>
    Maximize,
    /// <summary>Lower is better (log_loss, eval_loss …).</summary>
    Minimize,
}

/// <summary>One trial of a study as the storage holds it.</summary>
/// <param name="Id">Storage-wide id.</param>
/// <param name="Number">0-based number within the study, in creation order, never reused.</param>
/// <param name="State">Life-cycle state.</param>
/// <param name="Parameters">Config key → value (see <see cref="Space.ParameterValues"/>).</param>
/// <param name="Value">The objective (for a pruned trial its last intermediate value).</param>
/// <param name="IntermediateValues">Step → value reported while training (for pruning).</param>
/// <param name="StartedUtc">When a worker claimed it.</param>
/// <param name="FinishedUtc">When it ended.</param>
/// <param name="HeartbeatUtc">The running worker's last heartbeat.</param>
/// <param name="Worker">Which worker claimed it (host:pid:random).</param>
/// <param name="RetryOf">The number of the failed trial this one retries, if any.</param>
/// <param name="GridKey">The grid point it occupies (grid sampler), unique among the study's non-failed trials.</param>
/// <param name="Error">Why it failed.</param>
public sealed record StudyTrial(
    long Id,
    int Number,
    TrialState State,
    IReadOnlyDictionary<string, object?> Parameters,
    double? Value,
    IReadOnlyDictionary<long, double> IntermediateValues,
    DateTime? StartedUtc,
    DateTime? FinishedUtc,
    DateTime? HeartbeatUtc,
    string? Worker,
    int? RetryOf,
    string? GridKey,
    string? Error);
