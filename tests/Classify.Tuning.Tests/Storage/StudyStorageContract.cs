using Classify.Core.IO;
using Classify.Tuning.Storage;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Tests.Storage;

/// <summary>
/// What every <see cref="IStudyStorage"/> must do, run against each implementation by a subclass (SQLite here,
/// PostgreSQL in Classify.Tuning.PostgreSql.Tests, which links this file). "Separate connections" means separate
/// storage instances, as separate worker processes would have.
/// </summary>
public abstract class StudyStorageContract
{
    /// <summary>A new storage instance (its own connection) on the shared test database; skips when there is none.</summary>
    protected abstract IStudyStorage OpenStorage();

    private const string Worker = "host:1:test";

    protected static StudyDefinition Definition(string? name = null, StudyDirection direction = StudyDirection.Maximize, string high = "0.1") =>
        new(name ?? "study-" + Guid.NewGuid().ToString("N")[..10], direction, "val.macro_f1",
            $$"""{"space":{"lr":{"low":0.001,"high":{{high}}},"penalty":["l1","l2"]},"sampler":"tpe"}""");

    private static Dictionary<string, object?> P(long x) => new() { ["x"] = x };

    /// <summary>
    /// Runs <paramref name="body"/> on <paramref name="count"/> dedicated threads, each with its own storage instance, all
    /// starting together once every instance is open and <paramref name="beforeStart"/> ran (threads, not the thread
    /// pool: blocked pool threads would be added one by one, half a second apart, and the race would not be one).
    /// </summary>
    protected void OnThreads(int count, Action<int, IStudyStorage> body, Action? beforeStart = null)
    {
        // The post-phase action runs once every thread is ready and before any is released.
        using var start = new Barrier(count, _ => beforeStart?.Invoke());
        var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        var threads = Enumerable.Range(0, count).Select(i => new Thread(() =>
        {
            try
            {
                using var storage = OpenStorage();
                start.SignalAndWait(TimeSpan.FromSeconds(30));
                body(i, storage);
            }
            catch (Exception e)
            {
                errors.Enqueue(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        if (!errors.IsEmpty) throw new AggregateException(errors);
    }

    [SkippableFact]
    public void The_same_definition_continues_the_study()
    {
        var definition = Definition();
        using var a = OpenStorage();
        var created = a.CreateOrLoadStudy(definition);
        a.CreateRunningTrial(created.Id, P(1), null, Worker);
        using var b = OpenStorage();
        // Key order and whitespace of the JSON do not make another definition.
        var loaded = b.CreateOrLoadStudy(definition with
        {
            DefinitionJson = """{ "sampler": "tpe", "space": { "penalty": ["l1", "l2"], "lr": { "high": 0.1, "low": 0.001 } } }""",
        });
        Assert.Equal(created.Id, loaded.Id);
        Assert.Equal(created.CreatedUtc, loaded.CreatedUtc, TimeSpan.FromMilliseconds(1));
        Assert.Single(b.GetTrials(loaded.Id));
    }

    [SkippableFact]
    public void Another_definition_under_the_same_name_is_refused_saying_what_differs()
    {
        var definition = Definition();
        using var storage = OpenStorage();
        var study = storage.CreateOrLoadStudy(definition);
        var e = Assert.Throws<InputException>(() => storage.CreateOrLoadStudy(Definition(definition.Name, StudyDirection.Minimize, high: "0.2")));
        Assert.Contains($"study '{definition.Name}'", e.Message);
        Assert.Contains("direction: stored maximize, requested minimize", e.Message);
        Assert.Contains("space.lr.high: stored 0.1, requested 0.2", e.Message);
        Assert.DoesNotContain("penalty", e.Message);
        Assert.Empty(storage.GetTrials(study.Id));
        Assert.Equal(study.Id, storage.CreateOrLoadStudy(definition).Id);
    }

    [SkippableFact]
    public void Trial_numbers_are_unique_and_dense_when_many_connections_create_at_once()
    {
        long studyId;
        using (var s = OpenStorage()) studyId = s.CreateOrLoadStudy(Definition()).Id;
        const int Threads = 4, PerThread = 25;
        var numbers = new System.Collections.Concurrent.ConcurrentBag<int>();
        OnThreads(Threads, (t, storage) =>
        {
            for (int i = 0; i < PerThread; i++)
                numbers.Add(storage.CreateRunningTrial(studyId, P(t * 100 + i), null, $"host:{t}:x")!.Number);
        });
        Assert.Equal(Enumerable.Range(0, Threads * PerThread), numbers.Order());
        using var check = OpenStorage();
        Assert.Equal(Enumerable.Range(0, Threads * PerThread), check.GetTrials(studyId).Select(t => t.Number));
    }

    [SkippableFact]
    public void A_grid_point_is_taken_exactly_once_when_many_connections_race_for_it()
    {
        long studyId;
        using (var s = OpenStorage()) studyId = s.CreateOrLoadStudy(Definition()).Id;
        const int Threads = 4, Points = 10;
        var taken = new System.Collections.Concurrent.ConcurrentBag<(string Key, int Number)>();
        OnThreads(Threads, (t, storage) =>
        {
            for (int x = 0; x < Points; x++)
                if (storage.CreateRunningTrial(studyId, P(x), $"g{x}", $"host:{t}:x") is { } trial) taken.Add((trial.GridKey!, trial.Number));
        });
        Assert.Equal(Enumerable.Range(0, Points).Select(x => $"g{x}").Order(), taken.Select(t => t.Key).Order());
        // Refused attempts consume no number.
        Assert.Equal(Enumerable.Range(0, Points), taken.Select(t => t.Number).Order());
    }

    [SkippableFact]
    public void A_failed_trial_frees_its_grid_point_and_other_states_hold_it()
    {
        using var storage = OpenStorage();
        var studyId = storage.CreateOrLoadStudy(Definition()).Id;
        var first = storage.CreateRunningTrial(studyId, P(0), "g0", Worker)!;
        Assert.Null(storage.CreateRunningTrial(studyId, P(0), "g0", Worker));
        storage.FinishTrial(first.Id, TrialState.Failed, null, "boom");
        var second = storage.CreateRunningTrial(studyId, P(0), "g0", Worker)!;
        Assert.Equal(1, second.Number);
        storage.FinishTrial(second.Id, TrialState.Complete, 0.5);
        Assert.Null(storage.CreateRunningTrial(studyId, P(0), "g0", Worker));
        var pruned = storage.CreateRunningTrial(studyId, P(1), "g1", Worker)!;
        storage.FinishTrial(pruned.Id, TrialState.Pruned, 0.1);
        Assert.Null(storage.CreateRunningTrial(studyId, P(1), "g1", Worker));
        storage.EnqueueTrial(studyId, P(2), "g2", null);
        Assert.Null(storage.CreateRunningTrial(studyId, P(2), "g2", Worker));
        Assert.Throws<InvalidOperationException>(() => storage.EnqueueTrial(studyId, P(2), "g2", null));
        // Grid keys are per study.
        var other = storage.CreateOrLoadStudy(Definition()).Id;
        Assert.NotNull(storage.CreateRunningTrial(other, P(0), "g0", Worker));
    }

    [SkippableFact]
    public void A_waiting_trial_is_claimed_exactly_once_when_many_connections_claim_at_once()
    {
        long studyId;
        using (var s = OpenStorage())
        {
            studyId = s.CreateOrLoadStudy(Definition()).Id;
            for (int i = 0; i < 12; i++) s.EnqueueTrial(studyId, P(i), null, null);
        }
        var claimed = new System.Collections.Concurrent.ConcurrentBag<StudyTrial>();
        OnThreads(4, (t, storage) =>
        {
            while (storage.ClaimWaitingTrial(studyId, $"host:{t}:x") is { } trial) claimed.Add(trial);
        });
        Assert.Equal(Enumerable.Range(0, 12), claimed.Select(t => t.Number).Order());
        Assert.All(claimed, t =>
        {
            Assert.Equal(TrialState.Running, t.State);
            Assert.NotNull(t.HeartbeatUtc);
            Assert.NotNull(t.StartedUtc);
            Assert.StartsWith("host:", t.Worker);
            Assert.Equal((long)t.Number, t.Parameters["x"]);
        });
        using var check = OpenStorage();
        Assert.Null(check.ClaimWaitingTrial(studyId, Worker));
    }

    [SkippableFact]
    public void Waiting_trials_are_claimed_oldest_first()
    {
        using var storage = OpenStorage();
        var studyId = storage.CreateOrLoadStudy(Definition()).Id;
        storage.EnqueueTrial(studyId, P(7), null, null);
        storage.EnqueueTrial(studyId, P(8), null, null);
        Assert.Equal(7L, storage.ClaimWaitingTrial(studyId, Worker)!.Parameters["x"]);
        Assert.Equal(8L, storage.ClaimWaitingTrial(studyId, Worker)!.Parameters["x"]);
    }

    [SkippableFact]
    public void Trials_without_a_recent_heartbeat_are_failed_once_and_the_others_kept()
    {
        using var storage = OpenStorage();
        var studyId = storage.CreateOrLoadStudy(Definition()).Id;
        var alive = storage.CreateRunningTrial(studyId, P(0), null, "host:1:alive")!;
        var dead = storage.CreateRunningTrial(studyId, P(1), "g1", "host:2:dead")!;
        var reporting = storage.CreateRunningTrial(studyId, P(2), null, "host:3:reporting")!;
        Assert.Empty(storage.FailStaleTrials(studyId, TimeSpan.FromSeconds(30)));
        Thread.Sleep(1500);

        // Several sweepers at once, right after two of the three trials showed signs of life: each stale trial is failed
        // by exactly one of them (a 1 s margin on either side of the 1 s threshold).
        var failed = new System.Collections.Concurrent.ConcurrentBag<StudyTrial>();
        OnThreads(3, (_, sweeper) =>
        {
            foreach (var t in sweeper.FailStaleTrials(studyId, TimeSpan.FromSeconds(1))) failed.Add(t);
        }, beforeStart: () =>
        {
            storage.Heartbeat(alive.Id);
            storage.ReportIntermediate(reporting.Id, 0, 0.5);
        });
        var heartbeat = storage.GetTrials(studyId).Single(t => t.Id == alive.Id).HeartbeatUtc!.Value;
        Assert.True(heartbeat >= alive.HeartbeatUtc!.Value.AddSeconds(1), "a heartbeat must move the heartbeat time");
        var only = Assert.Single(failed);
        Assert.Equal(dead.Id, only.Id);
        Assert.Equal(TrialState.Failed, only.State);
        Assert.Contains("stale", only.Error);
        Assert.Contains("host:2:dead", only.Error);
        Assert.NotNull(only.FinishedUtc);

        // The presumed-dead worker comes back: its trial is no longer its own.
        var e = Assert.Throws<InvalidOperationException>(() => storage.FinishTrial(dead.Id, TrialState.Complete, 1.0));
        Assert.Contains($"trial {dead.Number} is failed", e.Message);
        Assert.Throws<InvalidOperationException>(() => storage.ReportIntermediate(dead.Id, 1, 0.3));
        storage.Heartbeat(dead.Id); // harmless no-op
        Assert.Equal(TrialState.Failed, storage.GetTrials(studyId).Single(t => t.Id == dead.Id).State);
        Assert.Equal(2, storage.GetTrials(studyId).Count(t => t.State == TrialState.Running));
    }

    [SkippableFact]
    public void A_failed_trial_is_retried_once_with_its_parameters_and_grid_point()
    {
        using var storage = OpenStorage();
        var studyId = storage.CreateOrLoadStudy(Definition()).Id;
        var original = storage.CreateRunningTrial(studyId, P(4), "g4", Worker)!;
        Assert.Throws<InvalidOperationException>(() => storage.EnqueueTrial(studyId, P(4), "g4", original.Number)); // still running
        storage.FinishTrial(original.Id, TrialState.Failed, null, "killed");
        var retry = storage.EnqueueTrial(studyId, original.Parameters, original.GridKey, original.Number);
        Assert.Equal((TrialState.Waiting, 1, (int?)0, "g4"), (retry.State, retry.Number, retry.RetryOf, retry.GridKey));
        Assert.Null(retry.HeartbeatUtc);
        var again = Assert.Throws<InvalidOperationException>(() => storage.EnqueueTrial(studyId, original.Parameters, null, original.Number));
        Assert.Contains("already retried by trial 1", again.Message);
        Assert.Throws<InvalidOperationException>(() => storage.EnqueueTrial(studyId, P(9), null, 99));
        var claimed = storage.ClaimWaitingTrial(studyId, "host:2:other")!;
        Assert.Equal((retry.Id, TrialState.Running, "host:2:other"), (claimed.Id, claimed.State, claimed.Worker));
        storage.FinishTrial(claimed.Id, TrialState.Complete, 0.9);
        Assert.Throws<InvalidOperationException>(() => storage.EnqueueTrial(studyId, P(4), null, claimed.Number)); // complete
    }

    [SkippableFact]
    public void Finishing_twice_is_refused_and_the_first_end_kept()
    {
        using var storage = OpenStorage();
        var studyId = storage.CreateOrLoadStudy(Definition()).Id;
        var trial = storage.CreateRunningTrial(studyId, P(1), null, Worker)!;
        storage.FinishTrial(trial.Id, TrialState.Complete, 0.75);
        var e = Assert.Throws<InvalidOperationException>(() => storage.FinishTrial(trial.Id, TrialState.Failed, null, "late"));
        Assert.Contains("is complete, not running", e.Message);
        var stored = storage.GetTrials(studyId).Single();
        Assert.Equal((TrialState.Complete, (double?)0.75, (string?)null), (stored.State, stored.Value, stored.Error));
        Assert.NotNull(stored.FinishedUtc);
        Assert.True(stored.FinishedUtc >= stored.StartedUtc);
        Assert.Throws<ArgumentNullException>(() => storage.FinishTrial(storage.CreateRunningTrial(studyId, P(2), null, Worker)!.Id, TrialState.Complete, null));
        Assert.Throws<ArgumentOutOfRangeException>(() => storage.FinishTrial(trial.Id, TrialState.Running, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => storage.FinishTrial(trial.Id, TrialState.Complete, double.NaN));
        var waiting = storage.EnqueueTrial(studyId, P(3), null, null);
        Assert.Throws<InvalidOperationException>(() => storage.FinishTrial(waiting.Id, TrialState.Complete, 1));
    }

    [SkippableFact]
    public void Intermediate_values_round_trip_and_a_pruned_trial_keeps_the_last_one()
    {
        using var storage = OpenStorage();
        var studyId = storage.CreateOrLoadStudy(Definition()).Id;
        var trial = storage.CreateRunningTrial(studyId, P(1), null, Worker)!;
        storage.ReportIntermediate(trial.Id, 0, 0.25);
        storage.ReportIntermediate(trial.Id, 10, 0.5);
        storage.ReportIntermediate(trial.Id, 5, 0.375);
        storage.ReportIntermediate(trial.Id, 10, 0.625); // a step reported again keeps the newer value
        Assert.Throws<ArgumentOutOfRangeException>(() => storage.ReportIntermediate(trial.Id, 11, double.PositiveInfinity));
        storage.FinishTrial(trial.Id, TrialState.Pruned, null);
        using var other = OpenStorage();
        var stored = other.GetTrials(studyId).Single();
        Assert.Equal([0L, 5L, 10L], stored.IntermediateValues.Keys);
        Assert.Equal([0.25, 0.375, 0.625], stored.IntermediateValues.Values);
        Assert.Equal((TrialState.Pruned, (double?)0.625), (stored.State, stored.Value));
    }

    [SkippableFact]
    public void Parameters_round_trip_with_their_types_and_order()
    {
        using var storage = OpenStorage();
        var studyId = storage.CreateOrLoadStudy(Definition()).Id;
        var parameters = new Dictionary<string, object?>
        {
            ["train.epochs"] = 3L, ["optimizer.lr"] = 2.5e-5, ["linear.penalty"] = "l2", ["model.fp16"] = true,
            ["linear.class_weight"] = null, ["linear.ngram_range"] = new List<object?> { 1L, 2L }, ["a.whole_double"] = 1.0, ["b.negative_zero_double"] = -0.0,
            ["c.big_double"] = 3e20,
        };
        var created = storage.CreateRunningTrial(studyId, parameters, "k", Worker)!;
        var enqueued = storage.EnqueueTrial(studyId, parameters, null, null);
        using var other = OpenStorage();
        foreach (var t in other.GetTrials(studyId).Append(created).Append(enqueued))
        {
            Assert.Equal(parameters.Keys, t.Parameters.Keys);
            Assert.Equal(3L, t.Parameters["train.epochs"]);
            Assert.Equal(2.5e-5, t.Parameters["optimizer.lr"]);
            Assert.Equal("l2", t.Parameters["linear.penalty"]);
            Assert.Equal(true, t.Parameters["model.fp16"]);
            Assert.Null(t.Parameters["linear.class_weight"]);
            Assert.Equal(new List<object?> { 1L, 2L }, t.Parameters["linear.ngram_range"]);
            // A float parameter that happens to be whole stays a double (a sampler compares it with its distribution).
            Assert.Equal(1.0, Assert.IsType<double>(t.Parameters["a.whole_double"]));
            Assert.IsType<double>(t.Parameters["b.negative_zero_double"]);
            Assert.Equal(3e20, Assert.IsType<double>(t.Parameters["c.big_double"]));
        }
    }

    [SkippableFact]
    public void Studies_are_separate()
    {
        using var storage = OpenStorage();
        var a = storage.CreateOrLoadStudy(Definition()).Id;
        var b = storage.CreateOrLoadStudy(Definition()).Id;
        Assert.NotEqual(a, b);
        storage.CreateRunningTrial(a, P(1), null, Worker);
        storage.EnqueueTrial(a, P(2), null, null);
        Assert.Equal(0, storage.CreateRunningTrial(b, P(1), null, Worker)!.Number);
        Assert.Null(storage.ClaimWaitingTrial(b, Worker));
        Assert.Equal(2, storage.GetTrials(a).Count);
        Assert.Throws<InvalidOperationException>(() => storage.CreateRunningTrial(987654321, P(1), null, Worker));
    }
}
