using System.Diagnostics;
using System.Text.Json;
using Classify.Core.IO;
using Classify.Core.Runs;
using Classify.Core.Tests.Data;

namespace Classify.Core.Tests.Runs;

public sealed class RunLockTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private RunLayout Layout(string name = "base") => new(Path.Combine(_dir.Path, "runs", name));

    /// <summary>The pid of a process that has ended (and been reaped).</summary>
    internal static int DeadPid()
    {
        using var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        p.WaitForExit();
        return p.Id;
    }

    /// <summary>Writes a run.lock as another process would have.</summary>
    internal static void WriteLock(RunLayout layout, int pid, string? start, string? host = null, string? runId = null)
    {
        Directory.CreateDirectory(layout.Root);
        File.WriteAllText(layout.LockFile, JsonSerializer.Serialize(new RunLockHolder
        {
            Pid = pid, Start = start, Host = host ?? Environment.MachineName, Command = "train", RunId = runId, CreatedUtc = DateTime.UtcNow,
        }, AtomicFile.JsonOptions));
    }

    [Fact]
    public void The_lock_records_this_process_and_a_second_writer_is_refused_naming_the_pid()
    {
        var layout = Layout();
        using (var held = RunLock.Acquire(layout, "train", "base-1"))
        {
            var holder = JsonSerializer.Deserialize<RunLockHolder>(File.ReadAllText(layout.LockFile), AtomicFile.JsonOptions)!;
            Assert.Equal(Environment.ProcessId, holder.Pid);
            Assert.Equal("base-1", holder.RunId);
            if (OperatingSystem.IsLinux()) Assert.StartsWith("proc:", holder.Start);
            Assert.Equal(RunLockState.Live, RunLock.Inspect(layout, out _));

            var e = Assert.Throws<InputException>(() => RunLock.Acquire(layout, "eval"));
            Assert.Contains($"run 'base' is being written by pid {Environment.ProcessId}", e.Message);
            Assert.Null(RunLock.TryAcquire(layout, "eval", null, out var live));
            Assert.Equal(Environment.ProcessId, live!.Pid);
        }
        Assert.False(File.Exists(layout.LockFile));
        Assert.Equal(RunLockState.None, RunLock.Inspect(layout, out _));
    }

    [Fact]
    public void The_lock_of_a_process_that_ended_is_stale_and_is_broken_by_the_next_writer()
    {
        if (!OperatingSystem.IsLinux()) return;
        var layout = Layout();
        int dead = DeadPid();
        WriteLock(layout, dead, "proc:1");
        Assert.Equal(RunLockState.Stale, RunLock.Inspect(layout, out var holder));
        Assert.Equal(dead, holder!.Pid);

        using var taken = RunLock.Acquire(layout, "train");
        Assert.Equal(dead, taken.Broken!.Pid);
        Assert.Equal(Environment.ProcessId, JsonSerializer.Deserialize<RunLockHolder>(File.ReadAllText(layout.LockFile), AtomicFile.JsonOptions)!.Pid);
        Assert.Single(Directory.GetFileSystemEntries(layout.Root));   // the broken lock was not left aside
    }

    [Fact]
    public void A_pid_that_now_belongs_to_a_process_started_at_another_time_is_stale()
    {
        if (!OperatingSystem.IsLinux()) return;
        // This process's pid with another start time: the lock's writer died and the pid was reused.
        var layout = Layout();
        WriteLock(layout, Environment.ProcessId, "proc:1");
        Assert.Equal(RunLockState.Stale, RunLock.Inspect(layout, out _));
        var other = new RunLockHolder { Pid = 1, Start = "proc:999999999999", Host = Environment.MachineName };
        Assert.False(RunLock.IsAlive(other));    // pid 1 lives, but started at another time
        Assert.True(RunLock.IsAlive(other with { Start = null }));   // no start time recorded: a live pid is enough
    }

    [Fact]
    public void A_lock_from_another_machine_is_trusted()
    {
        var layout = Layout();
        WriteLock(layout, DeadPid(), "proc:1", host: "elsewhere-" + Guid.NewGuid().ToString("N"));
        Assert.Equal(RunLockState.Live, RunLock.Inspect(layout, out _));
        var e = Assert.Throws<InputException>(() => RunLock.Acquire(layout, "train"));
        Assert.Contains(" on elsewhere-", e.Message);
        Assert.Contains("delete", e.Message);
    }

    [Fact]
    public void An_empty_lock_is_a_writer_filling_it_in_until_it_is_old()
    {
        var layout = Layout();
        Directory.CreateDirectory(layout.Root);
        File.WriteAllText(layout.LockFile, "");
        Assert.Equal(RunLockState.Live, RunLock.Inspect(layout, out var holder));
        Assert.Null(holder);
        Assert.Contains("being written by another process", Assert.Throws<InputException>(() => RunLock.Acquire(layout, "train")).Message);
        File.SetLastWriteTimeUtc(layout.LockFile, DateTime.UtcNow.AddMinutes(-1));
        Assert.Equal(RunLockState.Stale, RunLock.Inspect(layout, out _));
        using var taken = RunLock.Acquire(layout, "train");
        Assert.NotNull(taken.Broken);
    }

    [Fact]
    public void Two_threads_racing_for_one_folder_get_it_once()
    {
        var layout = Layout();
        int won = 0, refused = 0;
        var locks = new System.Collections.Concurrent.ConcurrentBag<RunLock>();
        Parallel.For(0, 8, i =>
        {
            if (RunLock.TryAcquire(layout, "train", null, out _) is { } l) { Interlocked.Increment(ref won); locks.Add(l); }
            else Interlocked.Increment(ref refused);
        });
        Assert.Equal(1, won);
        Assert.Equal(7, refused);
        foreach (var l in locks) l.Dispose();
    }
}
