using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Classify.Cli.Tests.Infrastructure;

/// <summary>One ledger row, as the interruption tests compare it with run.json.</summary>
internal sealed record LedgerRow(string RunId, string Status, string? FinishedUtc, string? RunDir);

/// <summary>
/// Looks at one run folder from outside (run.json, run.lock, temporaries, the runs folder's ledger.db) and stops a
/// <c>classify train</c> child process at a chosen moment, for the tests that kill or terminate runs. Linux only
/// (signals, /proc).
/// </summary>
internal sealed class RunProbe(string runsDir, string name)
{
    public string RunsDir { get; } = runsDir;
    public string Name { get; } = name;
    public string RunDir => Path.Combine(RunsDir, Name);

    public JsonNode RunJson => JsonNode.Parse(File.ReadAllText(Path.Combine(RunDir, "run.json")))!;
    public string? Status => (string?)RunJson["status"];

    /// <summary>Whether run.json exists and says <paramref name="status"/> (false while it cannot be read).</summary>
    public bool RunJsonSays(string status) => File.Exists(Path.Combine(RunDir, "run.json")) && TryStatus() == status;

    private string? TryStatus()
    {
        try { return Status; }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException) { return null; }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    public static void Sigkill(Process p) => p.Kill();
    public static void Sigterm(Process p) => Assert.Equal(0, kill(p.Id, 15));

    /// <summary>
    /// Runs <c>classify args…</c> as a child process and stops it (<paramref name="stop"/>) the first time
    /// <paramref name="moment"/> holds (polled every 2 ms); fails if the process ended before that moment.
    /// </summary>
    public static (CliResult Result, int Pid) RunAndStopWhen(string[] args, Func<bool> moment, Action<Process> stop, Action<Process>? atMoment = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        bool stopped = false;
        int pid = 0;
        var result = CliRunner.RunProcess(args, whileRunning: p =>
        {
            pid = p.Id;
            if (stopped || !moment()) return;
            atMoment?.Invoke(p);
            stop(p);
            stopped = true;
        }, timeout: TimeSpan.FromMinutes(2), pollMilliseconds: 2, environment: environment);
        Assert.True(stopped, $"the run ended before the moment to stop it came:\n{result}");
        return (result, pid);
    }

    /// <summary>Every row of the ledger's runs table, oldest first.</summary>
    public List<LedgerRow> LedgerRows()
    {
        using var db = new SqliteConnection($"Data Source={Path.Combine(RunsDir, "ledger.db")};Mode=ReadOnly;Pooling=False");
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT run_id, status, finished_utc, run_dir FROM runs ORDER BY created_utc";
        using var r = cmd.ExecuteReader();
        var rows = new List<LedgerRow>();
        while (r.Read())
            rows.Add(new LedgerRow(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3)));
        return rows;
    }

    /// <summary>Hidden entries (temporaries, parked folders, lock leftovers) anywhere under the runs folder.</summary>
    public string[] HiddenEntries() =>
        Directory.GetFileSystemEntries(RunsDir, ".*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 });

    /// <summary>
    /// run.json says <paramref name="status"/>; no run.lock; no hidden temporary anywhere in the runs folder; the run's
    /// ledger row agrees with run.json (status, finish time, folder) and no row is left running.
    /// </summary>
    public void AssertSettled(string status)
    {
        var info = RunJson;
        Assert.Equal(status, (string?)info["status"]);
        Assert.False(File.Exists(Path.Combine(RunDir, "run.lock")), "the lock survived");
        var hidden = HiddenEntries();
        Assert.True(hidden.Length == 0, "temporaries survived: " + string.Join(", ", hidden));
        var rows = LedgerRows();
        var row = Assert.Single(rows, r => r.RunId == (string?)info["run_id"]);
        Assert.Equal(status, row.Status);
        if (info["finished_utc"] is { } finished)
            Assert.Equal(finished.GetValue<DateTime>().ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fff"), row.FinishedUtc?[..23]);
        Assert.Equal(Path.GetFullPath(RunDir), row.RunDir);
        Assert.DoesNotContain(rows, r => r.Status == "running");
    }
}
