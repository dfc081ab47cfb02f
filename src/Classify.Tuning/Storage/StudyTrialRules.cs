using Classify.Tuning.Trials;

namespace Classify.Tuning.Storage;

/// <summary>
/// The checks and messages every <see cref="IStudyStorage"/> shares, so that SQLite, PostgreSQL and any later storage
/// accept and refuse the same calls with the same words.
/// </summary>
public static class StudyTrialRules
{
    /// <summary>The state's name as stored (lower case: waiting, running, complete, pruned, failed).</summary>
    public static string StateName(TrialState state) => state switch
    {
        TrialState.Waiting => "waiting",
        TrialState.Running => "running",
        TrialState.Complete => "complete",
        TrialState.Pruned => "pruned",
        TrialState.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
    };

    /// <summary>The state for a stored name.</summary>
    /// <exception cref="FormatException">The name is not a state.</exception>
    public static TrialState ParseState(string name) => name switch
    {
        "waiting" => TrialState.Waiting,
        "running" => TrialState.Running,
        "complete" => TrialState.Complete,
        "pruned" => TrialState.Pruned,
        "failed" => TrialState.Failed,
        _ => throw new FormatException($"unknown trial state '{name}' in the study storage"),
    };

    /// <summary>The direction's name as stored (maximize, minimize).</summary>
    public static string DirectionName(StudyDirection direction) => direction.ToString().ToLowerInvariant();

    /// <summary>Refuses NaN and infinities: a storage keeps only values a sampler can compare (Optuna fails such trials).</summary>
    public static void EnsureFinite(double value, string parameterName)
    {
        if (!double.IsFinite(value)) throw new ArgumentOutOfRangeException(parameterName, value, "a trial value must be finite (fail the trial instead)");
    }

    /// <summary>
    /// Checks the arguments of <see cref="IStudyStorage.FinishTrial"/>: the end state is complete, pruned or failed; a
    /// complete trial has a value; any value is finite.
    /// </summary>
    public static void EnsureFinishable(TrialState state, double? value)
    {
        if (state is TrialState.Waiting or TrialState.Running)
            throw new ArgumentOutOfRangeException(nameof(state), state, "a trial ends as complete, pruned or failed");
        if (state == TrialState.Complete && value is null)
            throw new ArgumentNullException(nameof(value), "a complete trial needs its objective value");
        if (value is { } v) EnsureFinite(v, nameof(value));
    }

    /// <summary>
    /// Checks that trial <paramref name="failedNumber"/> may be retried: it exists (<paramref name="storedState"/> is its
    /// state name, null when missing), it failed, and no trial retries it yet (<paramref name="existingRetry"/>), so a
    /// failed trial is retried once however many workers noticed it.
    /// </summary>
    public static void EnsureRetryable(int failedNumber, string? storedState, int? existingRetry)
    {
        if (storedState is null) throw new InvalidOperationException($"trial {failedNumber} does not exist, so it cannot be retried");
        if (storedState != "failed") throw new InvalidOperationException($"trial {failedNumber} is {storedState}; only a failed trial is retried");
        if (existingRetry is { } r) throw new InvalidOperationException($"trial {failedNumber} is already retried by trial {r}");
    }

    /// <summary>
    /// The error for an operation on a trial that is no longer running, e.g. a slow worker finishing a trial that another
    /// worker failed as stale: the worker should drop its result.
    /// </summary>
    public static InvalidOperationException NotRunning(int number, string storedState, string? error, string attempted) =>
        new($"cannot {attempted}: trial {number} is {storedState}, not running" + (error is null ? "" : $" ({error})"));
}
