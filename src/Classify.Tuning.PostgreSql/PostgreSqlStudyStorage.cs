using Classify.Core.IO;
using Classify.Tuning.Space;
using Classify.Tuning.Storage;
using Classify.Tuning.Trials;
using Npgsql;
using NpgsqlTypes;

namespace Classify.Tuning.PostgreSql;

/// <summary>
/// Studies in a PostgreSQL database, shared by workers on any number of machines. Waiting trials are claimed with
/// <c>SELECT … FOR UPDATE SKIP LOCKED</c> (two workers never take the same one, and neither waits for the other); trial
/// numbers come from a per-study counter row updated in the creating transaction (dense, never reused: a refused grid
/// point rolls the counter back); a grid point is taken by <c>INSERT … ON CONFLICT DO NOTHING</c> against a unique index
/// over the study's non-failed trials; heartbeats and staleness use the server's <c>now()</c>, so the workers' clocks
/// do not matter. Thread-safe: each call borrows a pooled connection.
/// </summary>
public sealed class PostgreSqlStudyStorage : IStudyStorage
{
    /// <summary>The version of the study tables this code writes; a database with a newer one is refused.</summary>
    internal const int SchemaVersion = 1;

    // Serialises schema creation across workers that start at once: concurrent CREATE TABLE IF NOT EXISTS of the same
    // table can fail on the catalog's unique index.
    private const long SchemaLockKey = 0x436C617373696679; // "Classify"

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS study_schema (
            id integer PRIMARY KEY CHECK (id = 1),
            version integer NOT NULL);
        CREATE TABLE IF NOT EXISTS studies (
            study_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name text NOT NULL UNIQUE,
            direction text NOT NULL,
            metric text NOT NULL,
            definition_json text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            next_number integer NOT NULL DEFAULT 0);
        -- params_json is text, not jsonb: jsonb reorders keys, and the parameters keep the search space's order.
        CREATE TABLE IF NOT EXISTS study_trials (
            trial_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            study_id bigint NOT NULL REFERENCES studies (study_id),
            number integer NOT NULL,
            state text NOT NULL CHECK (state IN ('waiting', 'running', 'complete', 'pruned', 'failed')),
            params_json text NOT NULL,
            value double precision,
            created_at timestamptz NOT NULL DEFAULT now(),
            started_at timestamptz,
            finished_at timestamptz,
            heartbeat_at timestamptz,
            worker text,
            retry_of integer,
            grid_key text,
            error text,
            UNIQUE (study_id, number));
        CREATE UNIQUE INDEX IF NOT EXISTS study_trials_grid_key
            ON study_trials (study_id, grid_key) WHERE grid_key IS NOT NULL AND state <> 'failed';
        CREATE UNIQUE INDEX IF NOT EXISTS study_trials_retry_of
            ON study_trials (study_id, retry_of) WHERE retry_of IS NOT NULL;
        CREATE INDEX IF NOT EXISTS study_trials_state ON study_trials (study_id, state, number);
        CREATE TABLE IF NOT EXISTS study_trial_values (
            trial_id bigint NOT NULL REFERENCES study_trials (trial_id),
            step bigint NOT NULL,
            value double precision NOT NULL,
            PRIMARY KEY (trial_id, step));
        """;

    private const string TrialColumns =
        "trial_id, number, state, params_json, value, started_at, finished_at, heartbeat_at, worker, retry_of, grid_key, error";

    private readonly NpgsqlDataSource _dataSource;

    private PostgreSqlStudyStorage(NpgsqlDataSource dataSource, string description)
    {
        _dataSource = dataSource;
        Description = description;
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>
    /// Connects to the database of <paramref name="url"/> (<c>postgresql://user:password@host:port/database</c>, see the
    /// class remarks of the URL options) and creates the study tables if needed. An unreachable server, a wrong password
    /// or a missing database is an <see cref="InputException"/> with one line saying which, and nothing is written.
    /// </summary>
    public static PostgreSqlStudyStorage Open(string url)
    {
        var parsed = PostgreSqlUrl.Parse(url);
        var dataSource = NpgsqlDataSource.Create(parsed.Settings);
        var storage = new PostgreSqlStudyStorage(dataSource, parsed.Description);
        try
        {
            storage.CreateSchema();
            return storage;
        }
        catch (Exception e) when (PostgreSqlErrors.ForOpen(e, parsed) is { } clear)
        {
            storage.Dispose();
            throw clear;
        }
        catch
        {
            storage.Dispose();
            throw;
        }
    }

    private void CreateSchema() => InTransaction((connection, tx) =>
    {
        using (var exists = Command(connection, tx, "SELECT to_regclass('study_schema') IS NOT NULL AND to_regclass('study_trial_values') IS NOT NULL;"))
        {
            // Already created: no lock and no DDL, so a worker needs no CREATE privilege on a prepared database.
            if ((bool)exists.ExecuteScalar()! && StoredVersion(connection, tx) is { } v) return CheckVersion(v);
        }
        using (var lockCommand = Command(connection, tx, "SELECT pg_advisory_xact_lock($1);", (SchemaLockKey, NpgsqlDbType.Bigint)))
            lockCommand.ExecuteNonQuery();
        using (var create = Command(connection, tx, Schema)) create.ExecuteNonQuery();
        using (var version = Command(connection, tx, "INSERT INTO study_schema (id, version) VALUES (1, $1) ON CONFLICT (id) DO NOTHING;", (SchemaVersion, NpgsqlDbType.Integer)))
            version.ExecuteNonQuery();
        return CheckVersion(StoredVersion(connection, tx)!.Value);
    });

    private static int? StoredVersion(NpgsqlConnection connection, NpgsqlTransaction tx)
    {
        using var select = Command(connection, tx, "SELECT version FROM study_schema WHERE id = 1;");
        return select.ExecuteScalar() is int v ? v : null;
    }

    private int CheckVersion(int version) => version <= SchemaVersion
        ? version
        : throw new InputException($"{Description}: its study tables are version {version}, newer than this program's {SchemaVersion}: update Classify", field: "--storage");

    /// <inheritdoc />
    public StudyInfo CreateOrLoadStudy(StudyDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        return InTransaction((connection, tx) =>
        {
            // ON CONFLICT DO NOTHING: two workers starting the same study at once both end up loading the one row.
            using (var insert = Command(connection, tx, """
                INSERT INTO studies (name, direction, metric, definition_json) VALUES ($1, $2, $3, $4)
                ON CONFLICT (name) DO NOTHING RETURNING study_id, created_at;
                """, (definition.Name, NpgsqlDbType.Text), (StudyTrialRules.DirectionName(definition.Direction), NpgsqlDbType.Text),
                (definition.Metric, NpgsqlDbType.Text), (definition.DefinitionJson, NpgsqlDbType.Text)))
            using (var reader = insert.ExecuteReader())
                if (reader.Read()) return new StudyInfo(reader.GetInt64(0), definition, reader.GetDateTime(1));
            using var select = Command(connection, tx, "SELECT study_id, direction, metric, definition_json, created_at FROM studies WHERE name = $1;",
                (definition.Name, NpgsqlDbType.Text));
            using var stored = select.ExecuteReader();
            stored.Read();
            var storedDefinition = new StudyDefinition(definition.Name, Enum.Parse<StudyDirection>(stored.GetString(1), ignoreCase: true), stored.GetString(2), stored.GetString(3));
            StudyDefinitions.EnsureSame(storedDefinition, definition, Description);
            return new StudyInfo(stored.GetInt64(0), storedDefinition, stored.GetDateTime(4));
        });
    }

    /// <inheritdoc />
    public StudyTrial? ClaimWaitingTrial(long studyId, string worker)
    {
        ArgumentException.ThrowIfNullOrEmpty(worker);
        return InTransaction((connection, tx) =>
        {
            // SKIP LOCKED: a waiting trial another worker is claiming right now is passed over instead of waited for.
            using var claim = Command(connection, tx, """
                UPDATE study_trials SET state = 'running', worker = $2, started_at = now(), heartbeat_at = now()
                WHERE trial_id = (SELECT trial_id FROM study_trials WHERE study_id = $1 AND state = 'waiting'
                                  ORDER BY number LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING trial_id;
                """, (studyId, NpgsqlDbType.Bigint), (worker, NpgsqlDbType.Text));
            return claim.ExecuteScalar() is long id ? ReadTrial(connection, tx, id) : null;
        });
    }

    /// <inheritdoc />
    public StudyTrial? CreateRunningTrial(long studyId, IReadOnlyDictionary<string, object?> parameters, string? gridKey, string worker)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentException.ThrowIfNullOrEmpty(worker);
        var json = ParameterValues.ToJson(parameters);
        using var connection = _dataSource.OpenConnection();
        using var tx = connection.BeginTransaction();
        var number = NextNumber(connection, tx, studyId);
        using var insert = Command(connection, tx, """
            INSERT INTO study_trials (study_id, number, state, params_json, started_at, heartbeat_at, worker, grid_key)
            VALUES ($1, $2, 'running', $3, now(), now(), $4, $5)
            ON CONFLICT (study_id, grid_key) WHERE grid_key IS NOT NULL AND state <> 'failed' DO NOTHING
            RETURNING trial_id;
            """, (studyId, NpgsqlDbType.Bigint), (number, NpgsqlDbType.Integer), (json, NpgsqlDbType.Text),
            (worker, NpgsqlDbType.Text), (gridKey, NpgsqlDbType.Text));
        if (insert.ExecuteScalar() is not long id)
        {
            // The grid point is held: roll back so that the number returns to the counter.
            tx.Rollback();
            return null;
        }
        var trial = ReadTrial(connection, tx, id);
        tx.Commit();
        return trial;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The grid key is held by a live trial, <paramref name="retryOf"/> is not a
    /// failed trial of the study, or it was already retried.</exception>
    public StudyTrial EnqueueTrial(long studyId, IReadOnlyDictionary<string, object?> parameters, string? gridKey, int? retryOf)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var json = ParameterValues.ToJson(parameters);
        return InTransaction((connection, tx) =>
        {
            // The counter row lock comes first: it serialises this study's inserts, so the checks below see every
            // committed trial and cannot be overtaken.
            var number = NextNumber(connection, tx, studyId);
            if (gridKey is not null)
            {
                using var holder = Command(connection, tx, "SELECT number FROM study_trials WHERE study_id = $1 AND grid_key = $2 AND state <> 'failed';",
                    (studyId, NpgsqlDbType.Bigint), (gridKey, NpgsqlDbType.Text));
                if (holder.ExecuteScalar() is int held)
                    throw new InvalidOperationException($"grid point {gridKey} is already held by trial {held} of study {studyId}");
            }
            if (retryOf is { } failed)
            {
                using var check = Command(connection, tx, """
                    SELECT (SELECT state FROM study_trials WHERE study_id = $1 AND number = $2),
                           (SELECT number FROM study_trials WHERE study_id = $1 AND retry_of = $2);
                    """, (studyId, NpgsqlDbType.Bigint), (failed, NpgsqlDbType.Integer));
                using var reader = check.ExecuteReader();
                reader.Read();
                StudyTrialRules.EnsureRetryable(failed, reader.IsDBNull(0) ? null : reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetInt32(1));
            }
            using var insert = Command(connection, tx, """
                INSERT INTO study_trials (study_id, number, state, params_json, retry_of, grid_key)
                VALUES ($1, $2, 'waiting', $3, $4, $5) RETURNING trial_id;
                """, (studyId, NpgsqlDbType.Bigint), (number, NpgsqlDbType.Integer), (json, NpgsqlDbType.Text),
                (retryOf, NpgsqlDbType.Integer), (gridKey, NpgsqlDbType.Text));
            return ReadTrial(connection, tx, (long)insert.ExecuteScalar()!);
        });
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The trial is not running (it ended, or was failed as stale).</exception>
    public void ReportIntermediate(long trialId, long step, double value)
    {
        StudyTrialRules.EnsureFinite(value, nameof(value));
        InTransaction((connection, tx) =>
        {
            if (TouchRunning(connection, tx, trialId) == 0) throw NotRunning(connection, tx, trialId, "report an intermediate value");
            using var insert = Command(connection, tx, """
                INSERT INTO study_trial_values (trial_id, step, value) VALUES ($1, $2, $3)
                ON CONFLICT (trial_id, step) DO UPDATE SET value = excluded.value;
                """, (trialId, NpgsqlDbType.Bigint), (step, NpgsqlDbType.Bigint), (value, NpgsqlDbType.Double));
            insert.ExecuteNonQuery();
            return 0;
        });
    }

    /// <inheritdoc />
    /// <remarks>A no-op once the trial has ended, so a heartbeat thread racing the trial's end is harmless.</remarks>
    public void Heartbeat(long trialId)
    {
        using var connection = _dataSource.OpenConnection();
        TouchRunning(connection, null, trialId);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The trial is not running (finished already, or failed as stale).</exception>
    public void FinishTrial(long trialId, TrialState state, double? value, string? error = null)
    {
        StudyTrialRules.EnsureFinishable(state, value);
        InTransaction((connection, tx) =>
        {
            // One conditional UPDATE: of two racing finishers (or a finisher and a stale-trial sweep) exactly one matches.
            using var update = Command(connection, tx, """
                UPDATE study_trials
                SET state = $2, finished_at = now(), error = $4,
                    value = CASE WHEN $3::double precision IS NULL AND $2 = 'pruned'
                                 THEN (SELECT v.value FROM study_trial_values v WHERE v.trial_id = $1 ORDER BY v.step DESC LIMIT 1)
                                 ELSE $3 END
                WHERE trial_id = $1 AND state = 'running';
                """, (trialId, NpgsqlDbType.Bigint), (StudyTrialRules.StateName(state), NpgsqlDbType.Text), (value, NpgsqlDbType.Double),
                (error, NpgsqlDbType.Text));
            if (update.ExecuteNonQuery() == 0) throw NotRunning(connection, tx, trialId, $"finish it as {StudyTrialRules.StateName(state)}");
            return 0;
        });
    }

    /// <inheritdoc />
    public IReadOnlyList<StudyTrial> GetTrials(long studyId)
    {
        // One snapshot for the trials and their values (REPEATABLE READ), so a value reported in between cannot belong
        // to a trial the first query did not see.
        using var connection = _dataSource.OpenConnection();
        using var tx = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        using var select = Command(connection, tx, $"SELECT {TrialColumns} FROM study_trials WHERE study_id = $1 ORDER BY number;", (studyId, NpgsqlDbType.Bigint));
        var trials = ReadTrials(select);
        using var values = Command(connection, tx, """
            SELECT v.trial_id, v.step, v.value FROM study_trial_values v JOIN study_trials t ON t.trial_id = v.trial_id
            WHERE t.study_id = $1 ORDER BY v.trial_id, v.step;
            """, (studyId, NpgsqlDbType.Bigint));
        var result = WithValues(trials, values);
        tx.Commit();
        return result;
    }

    /// <inheritdoc />
    public IReadOnlyList<StudyTrial> FailStaleTrials(long studyId, TimeSpan staleAfter)
    {
        if (staleAfter <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(staleAfter), staleAfter, "must be positive");
        return InTransaction((connection, tx) =>
        {
            // A row-locking UPDATE: a second sweeper waits for the first, then re-checks state = 'running' and skips it.
            using var fail = Command(connection, tx, """
                UPDATE study_trials
                SET state = 'failed', finished_at = now(),
                    error = 'stale: no heartbeat from ' || COALESCE(worker, 'its worker') || ' since '
                            || to_char(heartbeat_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || ' (worker presumed dead)'
                WHERE study_id = $1 AND state = 'running' AND heartbeat_at < now() - $2
                RETURNING trial_id;
                """, (studyId, NpgsqlDbType.Bigint), (staleAfter, NpgsqlDbType.Interval));
            var ids = new List<long>();
            using (var reader = fail.ExecuteReader())
                while (reader.Read()) ids.Add(reader.GetInt64(0));
            return (IReadOnlyList<StudyTrial>)ids.Select(id => ReadTrial(connection, tx, id)).OrderBy(t => t.Number).ToList();
        });
    }

    /// <inheritdoc />
    public void Dispose() => _dataSource.Dispose();

    private static int NextNumber(NpgsqlConnection connection, NpgsqlTransaction tx, long studyId)
    {
        using var next = Command(connection, tx, "UPDATE studies SET next_number = next_number + 1 WHERE study_id = $1 RETURNING next_number - 1;",
            (studyId, NpgsqlDbType.Bigint));
        return next.ExecuteScalar() is int n ? n : throw new InvalidOperationException($"study {studyId} does not exist");
    }

    private static int TouchRunning(NpgsqlConnection connection, NpgsqlTransaction? tx, long trialId)
    {
        using var touch = Command(connection, tx, "UPDATE study_trials SET heartbeat_at = now() WHERE trial_id = $1 AND state = 'running';", (trialId, NpgsqlDbType.Bigint));
        return touch.ExecuteNonQuery();
    }

    private static InvalidOperationException NotRunning(NpgsqlConnection connection, NpgsqlTransaction tx, long trialId, string attempted)
    {
        using var select = Command(connection, tx, "SELECT number, state, error FROM study_trials WHERE trial_id = $1;", (trialId, NpgsqlDbType.Bigint));
        using var reader = select.ExecuteReader();
        return reader.Read()
            ? StudyTrialRules.NotRunning(reader.GetInt32(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), attempted)
            : new InvalidOperationException($"trial id {trialId} does not exist");
    }

    private static StudyTrial ReadTrial(NpgsqlConnection connection, NpgsqlTransaction? tx, long trialId)
    {
        using var select = Command(connection, tx, $"SELECT {TrialColumns} FROM study_trials WHERE trial_id = $1;", (trialId, NpgsqlDbType.Bigint));
        var trials = ReadTrials(select);
        using var values = Command(connection, tx, "SELECT trial_id, step, value FROM study_trial_values WHERE trial_id = $1 ORDER BY step;", (trialId, NpgsqlDbType.Bigint));
        return WithValues(trials, values).Single();
    }

    private static List<StudyTrial> ReadTrials(NpgsqlCommand select) => StudyTrialRules.ReadTrials(select, (r, i) => r.GetDateTime(i));

    private static List<StudyTrial> WithValues(List<StudyTrial> trials, NpgsqlCommand values) => StudyTrialRules.WithIntermediateValues(trials, values);

    // READ COMMITTED (PostgreSQL's default) suffices: every read-modify-write here either locks its rows first (the
    // counter, SKIP LOCKED) or is a single conditional UPDATE that re-checks its WHERE after waiting for a lock.
    private T InTransaction<T>(Func<NpgsqlConnection, NpgsqlTransaction, T> body)
    {
        using var connection = _dataSource.OpenConnection();
        using var tx = connection.BeginTransaction();
        var result = body(connection, tx);
        tx.Commit();
        return result;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, params (object? Value, NpgsqlDbType Type)[] parameters)
    {
        var cmd = new NpgsqlCommand(sql, connection, tx);
        foreach (var (value, type) in parameters) cmd.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = type });
        return cmd;
    }
}

/// <summary>Opens <c>postgresql://</c> and <c>postgres://</c> storages for <see cref="StudyStorages"/>.</summary>
public sealed class PostgreSqlStudyStorageProvider : IStudyStorageProvider
{
    /// <inheritdoc />
    public IReadOnlyList<string> Schemes { get; } = ["postgresql", "postgres"];

    /// <inheritdoc />
    public IStudyStorage Open(string url) => PostgreSqlStudyStorage.Open(url);
}
