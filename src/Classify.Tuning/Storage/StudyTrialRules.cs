using Classify.Tuning.Trials;

namespace Classify.Tuning.Storage;

/// <summary>
/// The checks and messages every <see cref="IStudyStorage"/> shares, so that SQLite, PostgreSQL and any later storage
/// accept and refuse the same calls with the same words.
/// </summary>
public static class StudyTrialRules
{
    /// <summary>
    /// The trials of a <c>SELECT id, number, state, params_json, value, started, finished, heartbeat, worker, retry_of,
    /// grid_key, error</c>, in row order, without intermediate values; <paramref name="time"/> reads a timestamp column
    /// (each database stores them its own way).
    /// </summary>
    public static List<StudyTrial> ReadTrials(System.Data.Common.DbCommand select, Func<System.Data.Common.DbDataReader, int, DateTime> time)
    {
        ArgumentNullException.ThrowIfNull(select);
        ArgumentNullException.ThrowIfNull(time);
        var trials = new List<StudyTrial>();
        using var r = select.ExecuteReader();
        while (r.Read())
            trials.Add(new StudyTrial(
                Id: r.GetInt64(0),
                Number: r.GetInt32(1),
                State: ParseState(r.GetString(2)),
                Parameters: Space.ParameterValues.ParametersFromJson(r.GetString(3)),
                Value: r.IsDBNull(4) ? null : r.GetDouble(4),
                IntermediateValues: new Dictionary<long, double>(),
                StartedUtc: r.IsDBNull(5) ? null : time(r, 5),
                FinishedUtc: r.IsDBNull(6) ? null : time(r, 6),
                HeartbeatUtc: r.IsDBNull(7) ? null : time(r, 7),
                Worker: r.IsDBNull(8) ? null : r.GetString(8),
                RetryOf: r.IsDBNull(9) ? null : r.GetInt32(9),
                GridKey: r.IsDBNull(10) ? null : r.GetString(10),
                Error: r.IsDBNull(11) ? null : r.GetString(11)));
        return trials;
    }

    /// <summary>The trials with their intermediate values from a <c>SELECT trial_id, step, value</c>.</summary>
    public static List<StudyTrial> WithIntermediateValues(List<StudyTrial> trials, System.Data.Common.DbCommand values)
    {
        ArgumentNullException.ThrowIfNull(trials);
        ArgumentNullException.ThrowIfNull(values);
        var byTrial = new Dictionary<long, SortedDictionary<long, double>>();
        using (var r = values.ExecuteReader())
            while (r.Read())
            {
                if (!byTrial.TryGetValue(r.GetInt64(0), out var steps)) byTrial[r.GetInt64(0)] = steps = [];
                steps[r.GetInt64(1)] = r.GetDouble(2);
            }
        return trials.Select(t => byTrial.TryGetValue(t.Id, out var v) ? t with { IntermediateValues = v } : t).ToList();
    }

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
