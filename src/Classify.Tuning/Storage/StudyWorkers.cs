using System.Diagnostics;
using System.Globalization;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Storage;

/// <summary>
/// Worker ids (<c>host:pid:random</c>) and the one check heartbeats cannot make at once: whether a running trial's
/// worker was a process on this machine that no longer exists. A study restarted right after a kill -9 thus fails the
/// killed trial immediately instead of waiting for its heartbeat to go stale; trials of other machines, and of live
/// processes, are left to <see cref="IStudyStorage.FailStaleTrials"/>.
/// </summary>
public static class StudyWorkers
{
    /// <summary>A new id for this process: <c>host:pid:random</c> (the random part tells apart workers of one process).</summary>
    public static string NewId() =>
        $"{Environment.MachineName}:{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}:{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>
    /// True when <paramref name="worker"/> names a process of this machine (same host name) that is not running. False
    /// for other machines, malformed ids and live processes (a reused pid keeps the trial until its heartbeat goes stale:
    /// the safe side).
    /// </summary>
    public static bool IsDeadOnThisMachine(string? worker)
    {
        if (worker is null) return false;
        var parts = worker.Split(':');
        if (parts.Length < 2 || !string.Equals(parts[0], Environment.MachineName, StringComparison.OrdinalIgnoreCase)) return false;
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0) return false;
        if (pid == Environment.ProcessId) return false;
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true; // no such process
        }
        catch (InvalidOperationException)
        {
            return true; // it ended while we looked
        }
    }

    /// <summary>
    /// Fails the study's running trials whose worker is a dead process of this machine, and returns them (to be retried
    /// like stale trials). A trial another worker ends first is skipped.
    /// </summary>
    public static IReadOnlyList<StudyTrial> FailTrialsOfDeadLocalWorkers(IStudyStorage storage, long studyId)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var failed = new List<StudyTrial>();
        foreach (var trial in storage.GetTrials(studyId))
        {
            if (trial.State != TrialState.Running || !IsDeadOnThisMachine(trial.Worker)) continue;
            var error = $"worker {trial.Worker} is no longer running (its process ended without finishing the trial)";
            try
            {
                storage.FinishTrial(trial.Id, TrialState.Failed, null, error);
            }
            catch (InvalidOperationException)
            {
                continue; // another worker failed it first (stale sweep, or the same check)
            }
            failed.Add(trial with { State = TrialState.Failed, Error = error });
        }
        return failed;
    }
}
