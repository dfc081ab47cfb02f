using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Classify.Core.IO;

namespace Classify.Core.Runs;

/// <summary>What a <c>run.lock</c> file says about the process that holds it.</summary>
public sealed record RunLockHolder
{
    /// <summary>Process id.</summary>
    [JsonPropertyName("pid")] public int Pid { get; init; }
    /// <summary>
    /// When the process started, as <c>proc:&lt;clock ticks since boot&gt;</c> (field 22 of <c>/proc/&lt;pid&gt;/stat</c>) or,
    /// where there is no /proc, <c>utc:&lt;ticks&gt;</c>; it tells a live holder from a later process that got the same pid.
    /// </summary>
    [JsonPropertyName("start")] public string? Start { get; init; }
    /// <summary>The machine (a process on another machine cannot be checked, so its lock is trusted).</summary>
    [JsonPropertyName("host")] public string? Host { get; init; }
    /// <summary>The verb that took the lock (train, eval, report, recover).</summary>
    [JsonPropertyName("command")] public string? Command { get; init; }
    /// <summary>The run id being written, when known.</summary>
    [JsonPropertyName("run_id")] public string? RunId { get; init; }
    /// <summary>When the lock was taken.</summary>
    [JsonPropertyName("created_utc")] public DateTime CreatedUtc { get; init; }
}

/// <summary>
/// The lock of a run folder while a process writes it: <c>run.lock</c>, created with <see cref="FileMode.CreateNew"/>
/// (atomic: of two processes exactly one gets it) and holding the writer's pid and process start time. A lock whose
/// process is gone (or whose pid now belongs to a process that started at another time) is stale and is broken by the
/// next process that needs the folder; a live one refuses it with an <see cref="InputException"/>
/// "run X is being written by pid N". Disposing releases the lock.
/// </summary>
public sealed class RunLock : IDisposable
{
    /// <summary>An unreadable (empty) lock younger than this belongs to a writer that is still filling it in.</summary>
    private static readonly TimeSpan FreshUnreadable = TimeSpan.FromSeconds(10);

    private static readonly Lazy<string?> OwnStart = new(() => StartOf(Environment.ProcessId));

    private readonly string _path;
    private readonly string _content;
    private bool _released;

    private RunLock(RunLayout layout, string content, RunLockHolder holder, RunLockHolder? broken)
    {
        Layout = layout;
        _path = layout.LockFile;
        _content = content;
        Holder = holder;
        Broken = broken;
    }

    /// <summary>The locked run folder.</summary>
    public RunLayout Layout { get; }
    /// <summary>What this lock says (this process).</summary>
    public RunLockHolder Holder { get; }
    /// <summary>The stale lock this one replaced (its process had ended), or null.</summary>
    public RunLockHolder? Broken { get; }

    /// <summary>
    /// Takes the lock of <paramref name="layout"/>, creating the run folder if needed and breaking a stale lock.
    /// </summary>
    /// <exception cref="InputException">A live process holds the lock ("run X is being written by pid N").</exception>
    public static RunLock Acquire(RunLayout layout, string command, string? runId = null) =>
        TryAcquire(layout, command, runId, out var holder) ?? throw Busy(layout, holder);

    /// <summary>Takes the lock, or returns null (with the live holder, when readable) if another process holds it.</summary>
    public static RunLock? TryAcquire(RunLayout layout, string command, string? runId, out RunLockHolder? holder)
    {
        ArgumentNullException.ThrowIfNull(layout);
        Directory.CreateDirectory(layout.Root);
        var mine = new RunLockHolder
        {
            Pid = Environment.ProcessId, Start = OwnStart.Value, Host = Environment.MachineName, Command = command, RunId = runId,
            CreatedUtc = DateTime.UtcNow,
        };
        var content = JsonSerializer.Serialize(mine, AtomicFile.JsonOptions);
        RunLockHolder? broken = null;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                using (var fs = new FileStream(layout.LockFile, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
                {
                    fs.Write(AtomicFile.Utf8.GetBytes(content));
                    fs.Flush(flushToDisk: true);
                }
                holder = null;
                return new RunLock(layout, content, mine, broken);
            }
            catch (IOException) when (File.Exists(layout.LockFile))
            {
                var state = Inspect(layout, out holder, out var observed);
                if (state == RunLockState.Live) return null;
                if (state == RunLockState.Stale && Break(layout, observed)) broken ??= holder ?? new RunLockHolder();
            }
            catch (IOException) { }   // the lock vanished between the attempt and the check: try again
        }
        Inspect(layout, out holder, out _);
        return null;
    }

    /// <summary>Whether the run folder's lock is absent, held by a live process, or stale.</summary>
    public static RunLockState Inspect(RunLayout layout, out RunLockHolder? holder) => Inspect(layout, out holder, out _);

    private static RunLockState Inspect(RunLayout layout, out RunLockHolder? holder, out string? observed)
    {
        holder = null;
        observed = null;
        try
        {
            observed = File.ReadAllText(layout.LockFile);
        }
        catch (FileNotFoundException) { return RunLockState.None; }
        catch (DirectoryNotFoundException) { return RunLockState.None; }
        catch (IOException) { return RunLockState.Live; }
        catch (UnauthorizedAccessException) { return RunLockState.Live; }
        try { holder = JsonSerializer.Deserialize<RunLockHolder>(observed, AtomicFile.JsonOptions); }
        catch (JsonException) { holder = null; }
        if (holder is null || holder.Pid <= 0)
        {
            holder = null;
            // Just created and not yet written, or left empty by a writer killed in that instant.
            var age = DateTime.UtcNow - File.GetLastWriteTimeUtc(layout.LockFile);
            return age < FreshUnreadable ? RunLockState.Live : RunLockState.Stale;
        }
        return IsAlive(holder) ? RunLockState.Live : RunLockState.Stale;
    }

    /// <summary>
    /// Whether the process of <paramref name="holder"/> still runs: same pid and the same start time (from /proc), or,
    /// where start times cannot be read, a process with that pid exists. A lock from another machine counts as alive.
    /// </summary>
    public static bool IsAlive(RunLockHolder holder)
    {
        ArgumentNullException.ThrowIfNull(holder);
        if (holder.Host is { } host && !string.Equals(host, Environment.MachineName, StringComparison.OrdinalIgnoreCase)) return true;
        if (holder.Pid == Environment.ProcessId) return holder.Start is null || holder.Start == OwnStart.Value;
        var start = StartOf(holder.Pid);
        if (start is not null) return holder.Start is null || holder.Start == start;
        if (ProcFileSystem) return false;   // /proc is there and has no such process
        try
        {
            using var p = Process.GetProcessById(holder.Pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>Releases the lock (deletes run.lock if it is still this one).</summary>
    public void Dispose()
    {
        if (_released) return;
        _released = true;
        try
        {
            if (File.Exists(_path) && File.ReadAllText(_path) == _content) File.Delete(_path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>The input error for a folder that another process is writing.</summary>
    public static InputException Busy(RunLayout layout, RunLockHolder? holder)
    {
        var who = holder is null ? "another process" : $"pid {holder.Pid}"
            + (holder.Host is { } h && !string.Equals(h, Environment.MachineName, StringComparison.OrdinalIgnoreCase) ? $" on {h}" : "")
            + (holder.Command is { } c ? $" ({c})" : "");
        return new InputException($"run '{layout.Name}' is being written by {who}; wait for it to finish, or delete {layout.LockFile} if that process is gone",
            layout.Root);
    }

    // Moves the stale lock aside (only one process can move a given file), checks it is the one judged stale, deletes it.
    private static bool Break(RunLayout layout, string? observed)
    {
        var aside = Path.Combine(layout.Root, $".run.lock.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try { File.Move(layout.LockFile, aside); }
        catch (IOException) { return false; }
        try
        {
            if (observed is not null && File.ReadAllText(aside) != observed)
            {
                // Another process replaced the stale lock in the meantime: put its live lock back.
                try { File.Move(aside, layout.LockFile, overwrite: false); } catch (IOException) { }
                return false;
            }
            return true;
        }
        finally
        {
            try { if (File.Exists(aside)) File.Delete(aside); } catch (IOException) { }
        }
    }

    private static bool ProcFileSystem => File.Exists("/proc/self/stat");

    // Field 22 (starttime) of /proc/<pid>/stat, fields counted from 1; the command name (field 2) is in parentheses and
    // may hold spaces, so fields are counted from the last ')': field 3 (state) is then index 0 and field 22 index 19.
    private static string? StartOf(int pid)
    {
        if (ProcFileSystem)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // A zombie (Z) or dead (X) process has ended; only its parent has not collected it yet.
                if (fields.Length <= 19 || fields[0] is "Z" or "X") return null;
                return "proc:" + fields[19];
            }
            catch (IOException) { return null; }
            catch (UnauthorizedAccessException) { return null; }
        }
        try
        {
            using var p = Process.GetProcessById(pid);
            return "utc:" + p.StartTime.ToUniversalTime().Ticks.ToString(CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return null;
        }
    }
}

/// <summary>The state of a run folder's lock.</summary>
public enum RunLockState
{
    /// <summary>No run.lock: nobody is writing the folder.</summary>
    None,
    /// <summary>A live process holds it.</summary>
    Live,
    /// <summary>Its process has ended: the lock can be broken.</summary>
    Stale,
}
