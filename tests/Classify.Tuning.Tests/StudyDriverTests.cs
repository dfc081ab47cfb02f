using Classify.Tuning.Pruners;
using Classify.Tuning.Samplers;
using Classify.Tuning.Space;
using Classify.Tuning.Storage;
using Classify.Tuning.Study;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Tests;

/// <summary>The optimisation loop against the in-memory storage, with small objectives instead of experiments.</summary>
public sealed class StudyDriverTests
{
    private static readonly SearchSpace LineSpace = new([new IntDistribution("linear.tfidf.min_df", 0, 1_000_000)]);
    private static readonly SearchSpace ThreePoints = new([new ChoiceDistribution("linear.logreg.C", [0.1, 1.0, 10.0])]);

    private static TuneSettings Settings(SearchSpace space, int trials, string sampler = "grid", int maxRetries = 2, double heartbeatSeconds = 10) => new()
    {
        Study = "study", Metric = "macro_f1", Direction = StudyDirection.Maximize, On = ObjectiveSplit.Validation,
        Sampler = new SamplerSettings(sampler, 1), Pruner = new PrunerSettings("none"), Trials = trials, Space = space, MaxRetries = maxRetries,
        HeartbeatInterval = TimeSpan.FromSeconds(heartbeatSeconds),
    };

    private static (InMemoryStudyStorage Storage, StudyInfo Study) NewStudy(Func<DateTime>? clock = null)
    {
        var storage = new InMemoryStudyStorage(clock);
        return (storage, storage.CreateOrLoadStudy(new StudyDefinition("study", StudyDirection.Maximize, "macro_f1@val", "{}")));
    }

    /// <summary>Proposes min_df = the trial number: never exhausted, so only n_trials stops it.</summary>
    private sealed class CountingSampler : ISampler
    {
        public string Name => "counting";
        public TrialProposal? Propose(SearchSpace space, IReadOnlyList<StudyTrial> trials, int trialNumber, StudyDirection direction) =>
            new(new Dictionary<string, object?> { [space.Parameters[0].Key] = (long)trialNumber });
    }

    /// <summary>An objective from a function of the trial (the value is the function's result).</summary>
    private sealed class Objective(Func<StudyTrial, TrialReporter, CancellationToken, double> evaluate) : ITrialObjective
    {
        public int Calls { get; private set; }
        public double Evaluate(StudyTrial trial, TrialReporter reporter, CancellationToken ct)
        {
            Calls++;
            return evaluate(trial, reporter, ct);
        }
    }

    private static double MinDf(StudyTrial t) => (long)t.Parameters["linear.tfidf.min_df"]!;

    [Fact]
    public void The_study_stops_at_n_trials_and_a_rerun_continues_its_numbering()
    {
        var (storage, study) = NewStudy();
        var objective = new Objective((t, _, _) => MinDf(t) / 10);
        var outcome = new StudyDriver(storage, study, Settings(LineSpace, 4), new CountingSampler(), null).Optimize(objective);
        Assert.Equal(StudyStopReason.TrialBudget, outcome.Reason);
        Assert.Equal(4, outcome.TrialsRun);
        Assert.Equal([0, 1, 2, 3], storage.GetTrials(study.Id).Select(t => t.Number));

        // Rerunning with the same budget does nothing; a larger one continues from trial 4.
        Assert.Equal(0, new StudyDriver(storage, study, Settings(LineSpace, 4), new CountingSampler(), null).Optimize(objective).TrialsRun);
        new StudyDriver(storage, study, Settings(LineSpace, 6), new CountingSampler(), null).Optimize(objective);
        var trials = storage.GetTrials(study.Id);
        Assert.Equal([0, 1, 2, 3, 4, 5], trials.Select(t => t.Number));
        Assert.All(trials, t => Assert.Equal(TrialState.Complete, t.State));
        Assert.Equal(0.5, StudyDriver.BestTrial(trials, StudyDirection.Maximize)!.Value);
        Assert.Equal(0.0, StudyDriver.BestTrial(trials, StudyDirection.Minimize)!.Value);
    }

    [Fact]
    public void An_exhausted_grid_stops_the_study_with_every_point_evaluated_once()
    {
        var (storage, study) = NewStudy();
        var outcome = new StudyDriver(storage, study, Settings(ThreePoints, 10), new ExhaustiveGridSampler(), null)
            .Optimize(new Objective((t, _, _) => (double)t.Parameters["linear.logreg.C"]!));
        Assert.Equal(StudyStopReason.SamplerExhausted, outcome.Reason);
        var trials = storage.GetTrials(study.Id);
        Assert.Equal(3, trials.Count);
        Assert.Equal(3, trials.Select(t => t.GridKey).Distinct().Count());
        Assert.Equal(10.0, StudyDriver.BestTrial(trials, StudyDirection.Maximize)!.Value);
    }

    /// <summary>Prunes every trial at its second step.</summary>
    private sealed class PruneAtSecondStep : IPruner
    {
        public string Name => "test";
        public bool ShouldPrune(IReadOnlyList<StudyTrial> trials, StudyTrial trial, long step, StudyDirection direction)
        {
            Assert.Equal(step, trial.IntermediateValues.Keys.Max());   // the pruner sees the value just reported
            return step >= 2;
        }
    }

    [Fact]
    public void A_pruned_trial_keeps_its_last_intermediate_value()
    {
        var (storage, study) = NewStudy();
        var objective = new Objective((_, reporter, _) =>
        {
            for (int step = 1; step <= 5; step++)
                if (reporter.Report(step, step / 10.0)) return 99;   // stop when told; the returned value is ignored
            return 1;
        });
        new StudyDriver(storage, study, Settings(LineSpace, 1), new CountingSampler(), new PruneAtSecondStep()).Optimize(objective);
        var trial = Assert.Single(storage.GetTrials(study.Id));
        Assert.Equal(TrialState.Pruned, trial.State);
        Assert.Equal(0.2, trial.Value);
        Assert.Equal(new Dictionary<long, double> { [1] = 0.1, [2] = 0.2 }, trial.IntermediateValues);
        Assert.Null(StudyDriver.BestTrial([trial], StudyDirection.Maximize));   // partial values are not candidates
        Assert.Equal(1, StudyDriver.CountFinished([trial]));                   // but they count towards n_trials
    }

    [Fact]
    public void An_engine_error_after_pruning_still_records_the_trial_as_pruned()
    {
        var (storage, study) = NewStudy();
        var objective = new Objective((_, reporter, _) =>
        {
            reporter.Report(1, 0.3);
            reporter.Report(2, 0.4);
            throw new InvalidOperationException("stopped mid-way");
        });
        new StudyDriver(storage, study, Settings(LineSpace, 1), new CountingSampler(), new PruneAtSecondStep()).Optimize(objective);
        var trial = Assert.Single(storage.GetTrials(study.Id));
        Assert.Equal((TrialState.Pruned, 0.4), (trial.State, trial.Value));
    }

    [Fact]
    public void A_failing_trial_is_recorded_with_its_error_and_the_study_goes_on()
    {
        var (storage, study) = NewStudy();
        var objective = new Objective((t, _, _) => MinDf(t) == 1 ? throw new ArgumentException("min_df 1 is refused here") : 0.5);
        var outcome = new StudyDriver(storage, study, Settings(LineSpace, 3), new CountingSampler(), null).Optimize(objective);
        var trials = storage.GetTrials(study.Id);
        Assert.Equal([TrialState.Complete, TrialState.Failed, TrialState.Complete], trials.Select(t => t.State));
        Assert.Equal("min_df 1 is refused here", trials[1].Error);
        Assert.Null(trials[1].Value);
        Assert.Equal(3, StudyDriver.CountFinished(trials));   // an error is not retried, so it counts
        Assert.Equal("min_df 1 is refused here", outcome.LastError);
    }

    [Fact]
    public void Trials_failing_in_a_row_stop_the_worker()
    {
        var (storage, study) = NewStudy();
        var outcome = new StudyDriver(storage, study, Settings(LineSpace, 50), new CountingSampler(), null)
            .Optimize(new Objective((_, _, _) => throw new InvalidOperationException("no GPU")));
        Assert.Equal(StudyStopReason.RepeatedFailures, outcome.Reason);
        Assert.Equal(StudyDriver.MaxConsecutiveFailures, storage.GetTrials(study.Id).Count);
    }

    [Fact]
    public void A_stale_trial_is_failed_and_retried_with_the_same_parameters()
    {
        var now = new DateTime(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);
        var (storage, study) = NewStudy(() => now);
        // Another machine's worker took grid point C=1 and then went silent.
        var point = new Dictionary<string, object?> { ["linear.logreg.C"] = 1.0 };
        var abandoned = storage.CreateRunningTrial(study.Id, point, ParameterValues.ToJson(point), "elsewhere:123:abcdef")!;
        now += TimeSpan.FromMinutes(5);   // far past 3 × the 10 s heartbeat interval
        var objective = new Objective((t, _, _) => (double)t.Parameters["linear.logreg.C"]!);
        new StudyDriver(storage, study, Settings(ThreePoints, 3), new ExhaustiveGridSampler(), null).Optimize(objective);

        var trials = storage.GetTrials(study.Id);
        var stale = trials.Single(t => t.Id == abandoned.Id);
        Assert.Equal(TrialState.Failed, stale.State);
        Assert.Contains("heartbeat", stale.Error);
        var retry = Assert.Single(trials, t => t.RetryOf == stale.Number);
        Assert.Equal(TrialState.Complete, retry.State);
        Assert.Equal(1.0, retry.Value);
        Assert.Equal(stale.GridKey, retry.GridKey);
        Assert.Equal(1, retry.Number);                 // the retry was queued first and claimed first
        Assert.Equal(3, StudyDriver.CountFinished(trials));   // the stale trial is replaced by its retry, not counted
        Assert.Equal(4, trials.Count);
        Assert.Equal(3, trials.Where(t => t.State == TrialState.Complete).Select(t => t.GridKey).Distinct().Count());
    }

    [Fact]
    public void A_worker_waits_for_the_last_running_trial_and_retries_it_when_its_worker_goes_silent()
    {
        // Another machine's worker holds grid point C=1 (heartbeat fresh when this worker starts) and dies mid-trial. This
        // worker evaluates the two other points; the budget is then full counting the running trial, so it waits instead of
        // leaving — and once the silent trial is stale, fails it, retries it and completes the study.
        var (storage, study) = NewStudy();
        var point = new Dictionary<string, object?> { ["linear.logreg.C"] = 1.0 };
        var silent = storage.CreateRunningTrial(study.Id, point, ParameterValues.ToJson(point), "elsewhere:123:abcdef")!;
        var objective = new Objective((t, _, _) => (double)t.Parameters["linear.logreg.C"]!);
        var outcome = new StudyDriver(storage, study, Settings(ThreePoints, 3, heartbeatSeconds: 0.2), new ExhaustiveGridSampler(), null).Optimize(objective);

        var trials = storage.GetTrials(study.Id);
        Assert.Equal(StudyStopReason.TrialBudget, outcome.Reason);
        Assert.Equal(TrialState.Failed, trials.Single(t => t.Id == silent.Id).State);
        var retry = Assert.Single(trials, t => t.RetryOf == silent.Number);
        Assert.Equal((TrialState.Complete, 1.0), (retry.State, retry.Value!.Value));
        Assert.Equal(3, trials.Count(t => t.State == TrialState.Complete));
        Assert.Equal(3, trials.Where(t => t.State == TrialState.Complete).Select(t => t.GridKey).Distinct().Count());
    }

    [Fact]
    public void A_trial_of_a_dead_process_on_this_machine_is_failed_at_once_and_retried()
    {
        var (storage, study) = NewStudy();
        // kill -9: the trial is running, its heartbeat is fresh, but no process has that id.
        var orphan = storage.CreateRunningTrial(study.Id, new Dictionary<string, object?> { ["linear.tfidf.min_df"] = 7L }, null,
            $"{Environment.MachineName}:{int.MaxValue}:dead00")!;
        Assert.True(StudyWorkers.IsDeadOnThisMachine(orphan.Worker));
        Assert.False(StudyWorkers.IsDeadOnThisMachine($"{Environment.MachineName}:{Environment.ProcessId}:live00"));
        Assert.False(StudyWorkers.IsDeadOnThisMachine($"another-host:{int.MaxValue}:x"));   // not ours to judge: the heartbeat rule decides

        new StudyDriver(storage, study, Settings(LineSpace, 2), new CountingSampler(), null).Optimize(new Objective((t, _, _) => MinDf(t)));
        var trials = storage.GetTrials(study.Id);
        Assert.Equal(TrialState.Failed, trials[0].State);
        Assert.Contains("no longer running", trials[0].Error);
        Assert.Equal((0, 7.0, TrialState.Complete), (trials[1].RetryOf!.Value, trials[1].Value!.Value, trials[1].State));
        Assert.Equal(2, StudyDriver.CountFinished(trials));
    }

    [Fact]
    public void Retries_stop_after_max_retries()
    {
        var now = new DateTime(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc);
        var (storage, study) = NewStudy(() => now);
        var p = new Dictionary<string, object?> { ["linear.tfidf.min_df"] = 3L };
        var first = storage.CreateRunningTrial(study.Id, p, null, "elsewhere:1:a")!;
        now += TimeSpan.FromMinutes(5);
        var settings = Settings(LineSpace, 1, maxRetries: 1);
        // The retry's worker dies too (it is claimed by another machine's worker that goes silent).
        storage.FailStaleTrials(study.Id, settings.StaleAfter);
        var retry = storage.EnqueueTrial(study.Id, p, null, first.Number);
        storage.ClaimWaitingTrial(study.Id, "elsewhere:2:b");
        now += TimeSpan.FromMinutes(5);
        var log = new List<string>();
        new StudyDriver(storage, study, settings, new CountingSampler(), null) { Log = log.Add }.Optimize(new Objective((_, _, _) => 1));
        var trials = storage.GetTrials(study.Id);
        Assert.Equal(TrialState.Failed, trials.Single(t => t.Id == retry.Id).State);
        Assert.DoesNotContain(trials, t => t.RetryOf == retry.Number);   // max_retries: 1 reached
        Assert.Contains(log, l => l.Contains("not retried again"));
    }

    [Fact]
    public void Cancelling_marks_the_running_trial_failed_as_interrupted_and_the_next_run_retries_it()
    {
        var (storage, study) = NewStudy();
        using var cts = new CancellationTokenSource();
        var interrupted = new Objective((t, _, ct) =>
        {
            if (MinDf(t) == 1)
            {
                cts.Cancel();   // Ctrl+C while trial 1 trains
                ct.ThrowIfCancellationRequested();
            }
            return MinDf(t);
        });
        var outcome = new StudyDriver(storage, study, Settings(LineSpace, 3), new CountingSampler(), null).Optimize(interrupted, cts.Token);
        Assert.Equal(StudyStopReason.Interrupted, outcome.Reason);
        var trials = storage.GetTrials(study.Id);
        Assert.Equal([TrialState.Complete, TrialState.Failed, TrialState.Waiting], trials.Select(t => t.State));
        Assert.StartsWith("interrupted", trials[1].Error);
        Assert.Equal(1, trials[2].RetryOf);

        // Rerunning continues: the retry first (same parameters), then new trials until n_trials count.
        new StudyDriver(storage, study, Settings(LineSpace, 3), new CountingSampler(), null).Optimize(new Objective((t, _, _) => MinDf(t)));
        trials = storage.GetTrials(study.Id);
        Assert.Equal([TrialState.Complete, TrialState.Failed, TrialState.Complete, TrialState.Complete], trials.Select(t => t.State));
        Assert.Equal(1L, trials[2].Parameters["linear.tfidf.min_df"]);
        Assert.Equal(3, StudyDriver.CountFinished(trials));
    }

    [Fact]
    public void A_running_trial_sends_heartbeats()
    {
        var (storage, study) = NewStudy();
        DateTime? started = null, lastBeat = null;
        var objective = new Objective((t, _, _) =>
        {
            // The trial "trains" until a heartbeat lands (every 50 ms; up to 20 s on a machine too busy to run timers).
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            do
            {
                Thread.Sleep(20);
                var stored = storage.GetTrials(study.Id).Single(x => x.Id == t.Id);
                (started, lastBeat) = (stored.StartedUtc, stored.HeartbeatUtc);
            }
            while (!(lastBeat > started) && DateTime.UtcNow < deadline);
            return 1;
        });
        new StudyDriver(storage, study, Settings(LineSpace, 1, heartbeatSeconds: 0.05), new CountingSampler(), null).Optimize(objective);
        Assert.True(lastBeat > started, $"heartbeat {lastBeat:O} should be later than the start {started:O}");
    }

    [Fact]
    public void A_proposal_outside_the_space_is_a_sampler_bug_not_a_trial()
    {
        var (storage, study) = NewStudy();
        var driver = new StudyDriver(storage, study, Settings(ThreePoints, 3), new CountingSampler(), null);
        var e = Assert.Throws<InvalidOperationException>(() => driver.Optimize(new Objective((_, _, _) => 1)));
        Assert.Contains("outside the space", e.Message);
        Assert.Empty(storage.GetTrials(study.Id));
    }
}
