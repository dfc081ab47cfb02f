using System.Data;
using System.Globalization;
using Classify.Core.IO;
using Classify.Tuning.Space;
using Classify.Tuning.Trials;
using Microsoft.Data.Sqlite;

namespace Classify.Tuning.Storage;

/// <summary>
/// Studies in a SQLite database, by default the runs ledger (runs/ledger.db) beside its runs, trials and per-class tables,
/// so one file holds a project's whole history. Several processes on one machine may share it: the journal is WAL,
/// writers wait on a busy timeout, and every read-modify-write (claiming, numbering, taking a grid point, failing stale
/// trials) runs in a <c>BEGIN IMMEDIATE</c> transaction, which takes the database's write lock before reading so that
/// two processes never decide on the same snapshot. A kill -9 at any point leaves the last committed state.
/// Workers on several machines need a server (PostgreSQL): SQLite's locking is not reliable over network file systems.
/// </summary>
public sealed class SqliteStudyStorage : IStudyStorage
{
    /// <summary>The version of the study tables this code writes; a database with a newer one is refused.</summary>
    internal const int SchemaVersion = 1;

    // Table names carry a study_ prefix because the ledger already has a per-run "trials" table (the linear grid search).
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS study_schema (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            version INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS studies (
            study_id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT NOT NULL UNIQUE,
            direction TEXT NOT NULL,
            metric TEXT NOT NULL,
            definition_json TEXT NOT NULL,
            created_utc TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS study_trials (
            trial_id INTEGER PRIMARY KEY AUTOINCREMENT,
            study_id INTEGER NOT NULL REFERENCES studies (study_id),
            number INTEGER NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('waiting', 'running', 'complete', 'pruned', 'failed')),
            params_json TEXT NOT NULL,
            value REAL,
            created_utc TEXT NOT NULL,
            started_utc TEXT,
            finished_utc TEXT,
            heartbeat_utc TEXT,
            worker TEXT,
            retry_of INTEGER,
            grid_key TEXT,
            error TEXT,
            UNIQUE (study_id, number));
        CREATE UNIQUE INDEX IF NOT EXISTS study_trials_grid_key
            ON study_trials (study_id, grid_key) WHERE grid_key IS NOT NULL AND state <> 'failed';
        CREATE UNIQUE INDEX IF NOT EXISTS study_trials_retry_of
            ON study_trials (study_id, retry_of) WHERE retry_of IS NOT NULL;
        CREATE INDEX IF NOT EXISTS study_trials_state ON study_trials (study_id, state, number);
        CREATE TABLE IF NOT EXISTS study_trial_values (
            trial_id INTEGER NOT NULL REFERENCES study_trials (trial_id),
            step INTEGER NOT NULL,
            value REAL NOT NULL,
            PRIMARY KEY (trial_id, step));
        """;

    private const string TrialColumns =
        "trial_id, number, state, params_json, value, started_utc, finished_utc, heartbeat_utc, worker, retry_of, grid_key, error";

    private readonly SqliteConnection _connection;
    // One connection serves every thread of the process (a trial's heartbeat thread and its training loop), one call at a time.
    private readonly Lock _gate = new();

    private SqliteStudyStorage(SqliteConnection connection, string path)
    {
        _connection = connection;
        Description = path;
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>Opens (creating the file and the study tables if needed) the SQLite database at <paramref name="path"/>.</summary>
    public static SqliteStudyStorage Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString());
        try
        {
            connection.Open();
            var storage = new SqliteStudyStorage(connection, full);
            storage.Execute("PRAGMA busy_timeout = 30000; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;");
            storage.CreateSchema();
            return storage;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new InputException($"cannot open the study database: {e.Message}", file: full, field: "--storage", inner: e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void CreateSchema() => Write(tx =>
    {
        Execute(Schema, tx);
        Execute($"INSERT OR IGNORE INTO study_schema (id, version) VALUES (1, {SchemaVersion});", tx);
        var version = Convert.ToInt32(Scalar("SELECT version FROM study_schema WHERE id = 1;", tx), CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
            throw new InputException($"its study tables are version {version}, newer than this program's {SchemaVersion}: update Classify", file: Description, field: "--storage");
        return 0;
    });

    /// <inheritdoc />
    public StudyInfo CreateOrLoadStudy(StudyDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return Write(tx =>
        {
            using (var select = Command("SELECT study_id, direction, metric, definition_json, created_utc FROM studies WHERE name = $name;", tx))
            {
                select.Parameters.AddWithValue("$name", definition.Name);
                using var reader = select.ExecuteReader();
                if (reader.Read())
                {
                    var stored = new StudyDefinition(definition.Name, Enum.Parse<StudyDirection>(reader.GetString(1), ignoreCase: true), reader.GetString(2), reader.GetString(3));
                    StudyDefinitions.EnsureSame(stored, definition, Description);
                    return new StudyInfo(reader.GetInt64(0), stored, ParseTime(reader.GetString(4)));
                }
            }
            var now = DateTime.UtcNow;
            using var insert = Command("""
                INSERT INTO studies (name, direction, metric, definition_json, created_utc)
                VALUES ($name, $direction, $metric, $definition, $now) RETURNING study_id;
                """, tx);
            insert.Parameters.AddWithValue("$name", definition.Name);
            insert.Parameters.AddWithValue("$direction", StudyTrialRules.DirectionName(definition.Direction));
            insert.Parameters.AddWithValue("$metric", definition.Metric);
            insert.Parameters.AddWithValue("$definition", definition.DefinitionJson);
            insert.Parameters.AddWithValue("$now", Iso(now));
            var id = (long)insert.ExecuteScalar()!;
            return new StudyInfo(id, definition, ParseTime(Iso(now)));
        });
    }

    /// <inheritdoc />
    public StudyTrial? ClaimWaitingTrial(long studyId, string worker)
    {
        ArgumentException.ThrowIfNullOrEmpty(worker);
        return Write(tx =>
        {
            var now = Iso(DateTime.UtcNow);
            using var claim = Command("""
                UPDATE study_trials SET state = 'running', worker = $worker, started_utc = $now, heartbeat_utc = $now
                WHERE trial_id = (SELECT trial_id FROM study_trials WHERE study_id = $study AND state = 'waiting' ORDER BY number LIMIT 1)
                RETURNING trial_id;
                """, tx);
            claim.Parameters.AddWithValue("$worker", worker);
            claim.Parameters.AddWithValue("$now", now);
            claim.Parameters.AddWithValue("$study", studyId);
            return claim.ExecuteScalar() is long id ? ReadTrial(id, tx) : null;
        });
    }

    /// <inheritdoc />
    public StudyTrial? CreateRunningTrial(long studyId, IReadOnlyDictionary<string, object?> parameters, string? gridKey, string worker)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrEmpty(worker);
        var json = ParameterValues.ToJson(parameters);
        return Write(tx =>
        {
            if (gridKey is not null && GridKeyHolder(studyId, gridKey, tx) is not null) return null;
            return ReadTrial(InsertTrial(studyId, TrialState.Running, json, gridKey, worker, retryOf: null, tx), tx);
        });
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The grid key is held by a live trial, <paramref name="retryOf"/> is not a
    /// failed trial of the study, or it was already retried.</exception>
    public StudyTrial EnqueueTrial(long studyId, IReadOnlyDictionary<string, object?> parameters, string? gridKey, int? retryOf)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var json = ParameterValues.ToJson(parameters);
        return Write(tx =>
        {
            if (gridKey is not null && GridKeyHolder(studyId, gridKey, tx) is { } holder)
                throw new InvalidOperationException($"grid point {gridKey} is already held by trial {holder} of study {studyId}");
            if (retryOf is { } failed)
            {
                using var check = Command("""
                    SELECT (SELECT state FROM study_trials WHERE study_id = $study AND number = $n),
                           (SELECT number FROM study_trials WHERE study_id = $study AND retry_of = $n);
                    """, tx);
                check.Parameters.AddWithValue("$study", studyId);
                check.Parameters.AddWithValue("$n", failed);
                using var reader = check.ExecuteReader();
                reader.Read();
                StudyTrialRules.EnsureRetryable(failed, reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt32(1));
            }
            return ReadTrial(InsertTrial(studyId, TrialState.Waiting, json, gridKey, worker: null, retryOf, tx), tx);
        });
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The trial is not running (it ended, or was failed as stale).</exception>
    public void ReportIntermediate(long trialId, long step, double value)
    {
        StudyTrialRules.EnsureFinite(value, nameof(value));
        Write(tx =>
        {
            if (TouchRunning(trialId, tx) == 0) throw NotRunning(trialId, "report an intermediate value", tx);
            using var insert = Command("INSERT OR REPLACE INTO study_trial_values (trial_id, step, value) VALUES ($id, $step, $value);", tx);
            insert.Parameters.AddWithValue("$id", trialId);
            insert.Parameters.AddWithValue("$step", step);
            insert.Parameters.AddWithValue("$value", value);
            insert.ExecuteNonQuery();
            return 0;
        });
    }

    /// <inheritdoc />
    /// <remarks>A no-op once the trial has ended, so a heartbeat thread racing the trial's end is harmless.</remarks>
    public void Heartbeat(long trialId) => Write(tx => TouchRunning(trialId, tx));

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The trial is not running (finished already, or failed as stale).</exception>
    public void FinishTrial(long trialId, TrialState state, double? value, string? error = null)
    {
        StudyTrialRules.EnsureFinishable(state, value);
        Write(tx =>
        {
            // A pruned trial without a value keeps its last intermediate value (Optuna's rule).
            using var update = Command("""
                UPDATE study_trials
                SET state = $state, finished_utc = $now, error = $error,
                    value = CASE WHEN $value IS NULL AND $state = 'pruned'
                                 THEN (SELECT value FROM study_trial_values v WHERE v.trial_id = $id ORDER BY step DESC LIMIT 1)
                                 ELSE $value END
                WHERE trial_id = $id AND state = 'running';
                """, tx);
            update.Parameters.AddWithValue("$state", StudyTrialRules.StateName(state));
            update.Parameters.AddWithValue("$now", Iso(DateTime.UtcNow));
            update.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
            update.Parameters.AddWithValue("$value", (object?)value ?? DBNull.Value);
            update.Parameters.AddWithValue("$id", trialId);
            if (update.ExecuteNonQuery() == 0) throw NotRunning(trialId, $"finish it as {StudyTrialRules.StateName(state)}", tx);
            return 0;
        });
    }

    /// <inheritdoc />
    public IReadOnlyList<StudyTrial> GetTrials(long studyId) => Read(() =>
    {
        using var select = Command($"SELECT {TrialColumns} FROM study_trials WHERE study_id = $study ORDER BY number;", null);
        select.Parameters.AddWithValue("$study", studyId);
        var trials = ReadTrials(select);
        using var values = Command("""
            SELECT v.trial_id, v.step, v.value FROM study_trial_values v JOIN study_trials t ON t.trial_id = v.trial_id
            WHERE t.study_id = $study ORDER BY v.trial_id, v.step;
            """, null);
        values.Parameters.AddWithValue("$study", studyId);
        return WithValues(trials, values);
    });

    /// <inheritdoc />
    public IReadOnlyList<StudyTrial> FailStaleTrials(long studyId, TimeSpan staleAfter)
    {
        if (staleAfter <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(staleAfter), staleAfter, "must be positive");
        return Write(tx =>
        {
            var now = DateTime.UtcNow;
            using var fail = Command("""
                UPDATE study_trials
                SET state = 'failed', finished_utc = $now,
                    error = 'stale: no heartbeat from ' || COALESCE(worker, 'its worker') || ' since ' || heartbeat_utc || ' (worker presumed dead)'
                WHERE study_id = $study AND state = 'running' AND heartbeat_utc < $cutoff
                RETURNING trial_id;
                """, tx);
            fail.Parameters.AddWithValue("$now", Iso(now));
            fail.Parameters.AddWithValue("$study", studyId);
            fail.Parameters.AddWithValue("$cutoff", Iso(now - staleAfter));
            var ids = new List<long>();
            using (var reader = fail.ExecuteReader())
                while (reader.Read()) ids.Add(reader.GetInt64(0));
            return ids.Select(id => ReadTrial(id, tx)).OrderBy(t => t.Number).ToList();
        });
    }

    /// <summary>Runs <c>PRAGMA integrity_check</c> and returns its verdict ("ok" for a sound file).</summary>
    internal string IntegrityCheck() => Read(() => (string)Scalar("PRAGMA integrity_check;", null)!);

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate) _connection.Dispose();
    }

    private long InsertTrial(long studyId, TrialState state, string parametersJson, string? gridKey, string? worker, int? retryOf, SqliteTransaction tx)
    {
        // max + 1 inside the write transaction: no other writer can interleave, and trials are never deleted, so numbers
        // are dense and never reused.
        var now = Iso(DateTime.UtcNow);
        using var insert = Command("""
            INSERT INTO study_trials (study_id, number, state, params_json, created_utc, started_utc, heartbeat_utc, worker, retry_of, grid_key)
            VALUES ($study, (SELECT COALESCE(MAX(number) + 1, 0) FROM study_trials WHERE study_id = $study), $state, $params, $now,
                    $started, $started, $worker, $retry, $grid)
            RETURNING trial_id;
            """, tx);
        insert.Parameters.AddWithValue("$study", studyId);
        insert.Parameters.AddWithValue("$state", StudyTrialRules.StateName(state));
        insert.Parameters.AddWithValue("$params", parametersJson);
        insert.Parameters.AddWithValue("$now", now);
        insert.Parameters.AddWithValue("$started", state == TrialState.Running ? now : DBNull.Value);
        insert.Parameters.AddWithValue("$worker", (object?)worker ?? DBNull.Value);
        insert.Parameters.AddWithValue("$retry", (object?)retryOf ?? DBNull.Value);
        insert.Parameters.AddWithValue("$grid", (object?)gridKey ?? DBNull.Value);
        try
        {
            return (long)insert.ExecuteScalar()!;
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 19 && e.Message.Contains("FOREIGN KEY", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"study {studyId} does not exist in {Description}", e);
        }
    }

    private int? GridKeyHolder(long studyId, string gridKey, SqliteTransaction tx)
    {
        using var select = Command("SELECT number FROM study_trials WHERE study_id = $study AND grid_key = $grid AND state <> 'failed';", tx);
        select.Parameters.AddWithValue("$study", studyId);
        select.Parameters.AddWithValue("$grid", gridKey);
        return select.ExecuteScalar() is long n ? (int)n : null;
    }

    private int TouchRunning(long trialId, SqliteTransaction tx)
    {
        using var touch = Command("UPDATE study_trials SET heartbeat_utc = $now WHERE trial_id = $id AND state = 'running';", tx);
        touch.Parameters.AddWithValue("$now", Iso(DateTime.UtcNow));
        touch.Parameters.AddWithValue("$id", trialId);
        return touch.ExecuteNonQuery();
    }

    private InvalidOperationException NotRunning(long trialId, string what, SqliteTransaction tx)
    {
        using var select = Command("SELECT number, state, error FROM study_trials WHERE trial_id = $id;", tx);
        select.Parameters.AddWithValue("$id", trialId);
        using var reader = select.ExecuteReader();
        return reader.Read()
            ? StudyTrialRules.NotRunning(reader.GetInt32(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), what)
            : new InvalidOperationException($"trial id {trialId} does not exist in {Description}");
    }

    private StudyTrial ReadTrial(long trialId, SqliteTransaction? tx)
    {
        using var select = Command($"SELECT {TrialColumns} FROM study_trials WHERE trial_id = $id;", tx);
        select.Parameters.AddWithValue("$id", trialId);
        var trials = ReadTrials(select);
        using var values = Command("SELECT trial_id, step, value FROM study_trial_values WHERE trial_id = $id ORDER BY step;", tx);
        values.Parameters.AddWithValue("$id", trialId);
        return WithValues(trials, values).Single();
    }

    private static List<StudyTrial> ReadTrials(SqliteCommand select) => StudyTrialRules.ReadTrials(select, (r, i) => ParseTime(r.GetString(i)));

    private static List<StudyTrial> WithValues(List<StudyTrial> trials, SqliteCommand values) => StudyTrialRules.WithIntermediateValues(trials, values);

    // BeginTransaction(deferred: false) issues BEGIN IMMEDIATE: the write lock is taken (waiting out the busy timeout)
    // before the first read, so a claim or a max+1 never decides on a snapshot another writer is about to change.
    private T Write<T>(Func<SqliteTransaction, T> body)
    {
        lock (_gate)
        {
            using var tx = _connection.BeginTransaction(IsolationLevel.Serializable, deferred: false);
            var result = body(tx);
            tx.Commit();
            return result;
        }
    }

    private T Read<T>(Func<T> body)
    {
        lock (_gate) return body();
    }

    private SqliteCommand Command(string sql, SqliteTransaction? tx)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    private void Execute(string sql, SqliteTransaction? tx = null)
    {
        using var cmd = Command(sql, tx);
        cmd.ExecuteNonQuery();
    }

    private object? Scalar(string sql, SqliteTransaction? tx)
    {
        using var cmd = Command(sql, tx);
        return cmd.ExecuteScalar();
    }


    // Fixed width, so text order is time order (the stale-heartbeat comparison relies on it).
    private static string Iso(DateTime t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static DateTime ParseTime(string text) =>
        DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
}
