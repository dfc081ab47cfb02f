using Classify.Core.IO;
using Classify.Tuning.Storage;
using Classify.Tuning.Tests.Storage;
using Classify.Tuning.Trials;
using Npgsql;

namespace Classify.Tuning.PostgreSql.Tests;

/// <summary>The storage contract on PostgreSQL: every instance is its own connection pool to the test database.</summary>
public sealed class PostgreSqlStudyStorageContractTests : StudyStorageContract
{
    protected override IStudyStorage OpenStorage() => PostgreSqlStudyStorage.Open(TestPostgres.Url);
}

public sealed class PostgreSqlStudyStorageTests
{
    [SkippableFact]
    public void Three_worker_processes_share_a_study_and_survive_one_killed_mid_trial()
    {
        var outcome = WorkerScenario.Run(TestPostgres.Url, workers: 3, gridSize: 12, trialMs: 450, staleAfterMs: 1500, killAfterDone: 1, timeout: TimeSpan.FromSeconds(60));
        WorkerScenario.AssertNothingLostOrDuplicated(outcome, gridSize: 12);
    }

    [SkippableFact]
    public void The_description_names_host_and_database_but_never_the_password()
    {
        var url = TestPostgres.Url;
        var settings = PostgreSqlUrl.Parse(url).Settings;
        using var storage = StudyStorages.Open(url, "unused.db");
        Assert.IsType<PostgreSqlStudyStorage>(storage);
        Assert.Equal($"postgresql://{settings.Host}:{settings.Port}/{settings.Database}", storage.Description);
        Assert.DoesNotContain(settings.Password!, storage.Description);
    }

    [SkippableFact]
    public void A_wrong_password_is_one_clear_line_and_writes_nothing()
    {
        var settings = PostgreSqlUrl.Parse(TestPostgres.Url).Settings;
        var database = "nothing_" + Guid.NewGuid().ToString("N")[..8];
        Execute($"CREATE DATABASE {database};");
        try
        {
            var bad = $"postgresql://{settings.Username}:wrong-{Guid.NewGuid():N}@{settings.Host}:{settings.Port}/{database}";
            var e = Assert.Throws<InputException>(() => StudyStorages.Open(bad, "unused.db"));
            Assert.Equal($"field '--storage': PostgreSQL study storage postgresql://{settings.Host}:{settings.Port}/{database}: " +
                         $"wrong password for user '{settings.Username}' (or no such user)", e.Message);
            Assert.DoesNotContain("wrong-", e.Message);
            Assert.DoesNotContain('\n', e.Message);
            Assert.Equal(0L, Scalar(database, "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public';"));
        }
        finally
        {
            Execute($"DROP DATABASE {database} WITH (FORCE);");
        }
    }

    [SkippableFact]
    public void A_missing_database_is_one_clear_line()
    {
        var settings = PostgreSqlUrl.Parse(TestPostgres.Url).Settings;
        var url = $"postgresql://{settings.Username}:{Uri.EscapeDataString(settings.Password!)}@{settings.Host}:{settings.Port}/no_such_db";
        var e = Assert.Throws<InputException>(() => PostgreSqlStudyStorage.Open(url));
        Assert.EndsWith("database 'no_such_db' does not exist (create it, e.g. createdb no_such_db)", e.Message);
    }

    [SkippableFact]
    public void A_unix_socket_and_a_password_file_reach_the_server()
    {
        var settings = PostgreSqlUrl.Parse(TestPostgres.Url).Settings;
        var socket = TestPostgres.SocketDirectory;
        var passfile = Path.Combine(Path.GetTempPath(), "classify-pgpass-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllText(passfile, $"*:*:*:{settings.Username}:{settings.Password}\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(passfile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            var url = $"postgresql://{settings.Username}@{Uri.EscapeDataString(socket)}:{settings.Port}/{settings.Database}?passfile={Uri.EscapeDataString(passfile)}";
            using var storage = PostgreSqlStudyStorage.Open(url);
            Assert.StartsWith($"postgresql://{socket} (unix socket", storage.Description);
            var study = storage.CreateOrLoadStudy(new StudyDefinition("socket-" + Guid.NewGuid().ToString("N")[..8], StudyDirection.Minimize, "val.log_loss", "{}"));
            Assert.Equal(0, storage.CreateRunningTrial(study.Id, new Dictionary<string, object?>(), null, "h:1:s")!.Number);
        }
        finally
        {
            File.Delete(passfile);
        }
    }

    [SkippableFact]
    public void Without_a_password_in_the_url_PGPASSWORD_is_used_and_its_absence_is_one_clear_line()
    {
        var settings = PostgreSqlUrl.Parse(TestPostgres.Url).Settings;
        var url = $"postgresql://{settings.Username}@{settings.Host}:{settings.Port}/{settings.Database}";
        var study = WorkerScenario.NewStudyName();
        // In a worker process, so that the test process's environment stays as it is for the tests running beside it.
        (int Code, string Error) RunWorker(string? pgPassword)
        {
            using var worker = WorkerScenario.Worker(url, study, gridSize: 1, trialMs: 0, staleAfterMs: 1000, "env");
            worker.StartInfo.Environment.Remove("PGPASSFILE");
            worker.StartInfo.Environment["HOME"] = Path.GetTempPath(); // no ~/.pgpass of the machine's user
            if (pgPassword is null) worker.StartInfo.Environment.Remove("PGPASSWORD");
            else worker.StartInfo.Environment["PGPASSWORD"] = pgPassword;
            worker.Start();
            var error = worker.StandardError.ReadToEndAsync();
            worker.StandardOutput.ReadToEnd();
            Assert.True(worker.WaitForExit(TimeSpan.FromSeconds(30)), "the worker hung");
            return (worker.ExitCode, error.Result);
        }
        var without = RunWorker(null);
        Assert.NotEqual(0, without.Code);
        Assert.Contains($"the server wants a password for user '{settings.Username}': put it in the URL, a passfile=… option, PGPASSWORD or ~/.pgpass", without.Error);
        var with = RunWorker(settings.Password);
        Assert.True(with.Code == 0, with.Error);
    }

    [SkippableFact]
    public void Server_time_drives_heartbeats_so_worker_clocks_do_not_matter()
    {
        using var storage = PostgreSqlStudyStorage.Open(TestPostgres.Url);
        var study = storage.CreateOrLoadStudy(new StudyDefinition("clock-" + Guid.NewGuid().ToString("N")[..8], StudyDirection.Maximize, "val.macro_f1", "{}"));
        var trial = storage.CreateRunningTrial(study.Id, new Dictionary<string, object?>(), null, "h:1:c")!;
        var serverNow = (DateTime)Scalar(PostgreSqlUrl.Parse(TestPostgres.Url).Settings.Database!, "SELECT now();")!;
        Assert.Equal(serverNow, trial.HeartbeatUtc!.Value, TimeSpan.FromSeconds(5));
        Assert.Equal(DateTimeKind.Utc, trial.HeartbeatUtc!.Value.Kind);
    }

    [Fact]
    public void An_unreachable_server_is_one_clear_line_within_seconds()
    {
        var port = TestPostgres.ClosedPort();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<InputException>(() => StudyStorages.Open($"postgresql://tuner:s3cret@127.0.0.1:{port}/studies", "unused.db"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Equal($"field '--storage': PostgreSQL study storage postgresql://127.0.0.1:{port}/studies: " +
                     $"nothing listens at 127.0.0.1:{port} (connection refused): is the server running?", e.Message);
        Assert.DoesNotContain("s3cret", e.Message);
    }

    [Fact]
    public async Task A_server_that_never_answers_is_one_clear_line_after_the_connect_timeout()
    {
        // Accepts connections on loopback and never says a word, like a hung server or a firewall that swallows packets.
        var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<System.Net.Sockets.Socket>();
        var acceptLoop = Task.Run(async () =>
        {
            try
            {
                while (true) accepted.Add(await silent.AcceptSocketAsync());
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException) { }
        });
        try
        {
            var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var e = Assert.Throws<InputException>(() => PostgreSqlStudyStorage.Open($"postgresql://tuner:pw@127.0.0.1:{port}/studies?connect_timeout=1"));
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(8));
            Assert.EndsWith($"no answer from 127.0.0.1:{port} within 1 s (connect_timeout=N in the URL waits longer)", e.Message);
        }
        finally
        {
            silent.Stop();
            await acceptLoop.WaitAsync(TimeSpan.FromSeconds(5));
            accepted.ForEach(s => s.Dispose());
        }
    }

    private static void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(PostgreSqlUrl.Parse(TestPostgres.Url).Settings.ConnectionString);
        connection.Open();
        using var cmd = new NpgsqlCommand(sql, connection);
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(string database, string sql)
    {
        var settings = PostgreSqlUrl.Parse(TestPostgres.Url).Settings;
        settings.Database = database;
        using var connection = new NpgsqlConnection(settings.ConnectionString);
        connection.Open();
        using var cmd = new NpgsqlCommand(sql, connection);
        return cmd.ExecuteScalar();
    }
}
