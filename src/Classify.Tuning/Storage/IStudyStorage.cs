using Classify.Tuning.Trials;

namespace Classify.Tuning.Storage;

/// <summary>
/// Where studies and trials live (Optuna's BaseStorage, with heartbeats). Every method is safe to call from many
/// processes on many machines at once: claiming a trial and taking a grid point are atomic. The SQLite implementation
/// serves one machine; PostgreSQL serves workers anywhere.
/// </summary>
public interface IStudyStorage : IDisposable
{
    /// <summary>Where the storage lives, without secrets (a file path or host/database).</summary>
    string Description { get; }

    /// <summary>
    /// Creates the study, or loads it when it exists with the same definition; a study of the same name with another
    /// definition (space, metric, direction, sampler) is refused with an error saying what differs.
    /// </summary>
    StudyInfo CreateOrLoadStudy(StudyDefinition definition);

    /// <summary>Claims the oldest waiting trial for <paramref name="worker"/> (it becomes running, with a heartbeat), or null.</summary>
    StudyTrial? ClaimWaitingTrial(long studyId, string worker);

    /// <summary>
    /// Creates a running trial with the next number for <paramref name="worker"/>; returns null when
    /// <paramref name="gridKey"/> is already held by a waiting, running, complete or pruned trial of the study.
    /// </summary>
    StudyTrial? CreateRunningTrial(long studyId, IReadOnlyDictionary<string, object?> parameters, string? gridKey, string worker);

    /// <summary>Adds a waiting trial with fixed parameters (a retry of <paramref name="retryOf"/>, or an enqueued point).</summary>
    StudyTrial EnqueueTrial(long studyId, IReadOnlyDictionary<string, object?> parameters, string? gridKey, int? retryOf);

    /// <summary>Records an intermediate value and refreshes the heartbeat.</summary>
    void ReportIntermediate(long trialId, long step, double value);

    /// <summary>Refreshes the running trial's heartbeat.</summary>
    void Heartbeat(long trialId);

    /// <summary>Ends a running trial (complete, pruned or failed) with its value or error; ending it twice is refused.</summary>
    void FinishTrial(long trialId, TrialState state, double? value, string? error = null);

    /// <summary>Every trial of the study, by number.</summary>
    IReadOnlyList<StudyTrial> GetTrials(long studyId);

    /// <summary>
    /// Marks failed every running trial whose heartbeat is older than <paramref name="staleAfter"/> (a worker that
    /// died), atomically so two workers never fail the same trial twice; returns the trials it failed.
    /// </summary>
    IReadOnlyList<StudyTrial> FailStaleTrials(long studyId, TimeSpan staleAfter);
}

/// <summary>What identifies a study: two runs of <c>classify tune</c> with the same definition continue one study.</summary>
/// <param name="Name">Study name.</param>
/// <param name="Direction">Maximise or minimise.</param>
/// <param name="Metric">The metric key optimised (macro_f1 …) and where (val, cv).</param>
/// <param name="DefinitionJson">Canonical JSON of the space, sampler, pruner and base config hash; compared on load.</param>
public sealed record StudyDefinition(string Name, StudyDirection Direction, string Metric, string DefinitionJson);

/// <summary>A stored study.</summary>
public sealed record StudyInfo(long Id, StudyDefinition Definition, DateTime CreatedUtc);
