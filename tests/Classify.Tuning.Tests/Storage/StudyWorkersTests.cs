using System.Diagnostics;
using Classify.Tuning.Storage;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Tests.Storage;

public sealed class StudyWorkersTests : IDisposable
{
    private readonly string _dir = TestPaths.NewTempDirectory();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Ids_name_this_host_and_process_and_differ()
    {
        var a = StudyWorkers.NewId();
        Assert.StartsWith($"{Environment.MachineName}:{Environment.ProcessId}:", a);
        Assert.NotEqual(a, StudyWorkers.NewId());
        Assert.False(StudyWorkers.IsDeadOnThisMachine(a));
    }

    [Fact]
    public void A_killed_local_worker_s_trial_fails_at_once_and_live_or_remote_ones_wait_for_their_heartbeat()
    {
        var deadPid = EndedProcessId();
        using var storage = SqliteStudyStorage.Open(Path.Combine(_dir, "ledger.db"));
        var studyId = storage.CreateOrLoadStudy(new StudyDefinition("s", StudyDirection.Maximize, "val.macro_f1", "{}")).Id;
        var p = new Dictionary<string, object?>();
        var dead = storage.CreateRunningTrial(studyId, p, null, $"{Environment.MachineName}:{deadPid}:abc")!;
        var alive = storage.CreateRunningTrial(studyId, p, null, StudyWorkers.NewId())!;
        var remote = storage.CreateRunningTrial(studyId, p, null, $"other-host-{Guid.NewGuid():N}:{deadPid}:abc")!;
        var ended = storage.CreateRunningTrial(studyId, p, null, $"{Environment.MachineName}:{deadPid}:def")!;
        storage.FinishTrial(ended.Id, TrialState.Complete, 1);

        var failed = Assert.Single(StudyWorkers.FailTrialsOfDeadLocalWorkers(storage, studyId));
        Assert.Equal(dead.Id, failed.Id);
        var states = storage.GetTrials(studyId).ToDictionary(t => t.Id);
        Assert.Equal(TrialState.Failed, states[dead.Id].State);
        Assert.Contains("no longer running", states[dead.Id].Error);
        Assert.Equal((TrialState.Running, TrialState.Running, TrialState.Complete), (states[alive.Id].State, states[remote.Id].State, states[ended.Id].State));
        Assert.Empty(StudyWorkers.FailTrialsOfDeadLocalWorkers(storage, studyId));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("no-colon")]
    [InlineData("host-only:")]
    public void Malformed_ids_are_never_presumed_dead(string? worker) => Assert.False(StudyWorkers.IsDeadOnThisMachine(worker));

    private static int EndedProcessId()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.Id;
    }
}
