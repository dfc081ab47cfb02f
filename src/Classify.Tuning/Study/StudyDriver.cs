using System.Diagnostics;
using Classify.Core.IO;
using Classify.Tuning.Pruners;
using Classify.Tuning.Samplers;
using Classify.Tuning.Storage;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Study;

/// <summary>Why a worker stopped optimising.</summary>
public enum StudyStopReason
{
    /// <summary>The study holds <c>n_trials</c> finished trials (or enough are running elsewhere to get there).</summary>
    TrialBudget,
    /// <summary>The sampler has nothing left to propose (every grid point is taken).</summary>
    SamplerExhausted,
    /// <summary>This worker's <c>timeout</c> passed.</summary>
    Timeout,
    /// <summary>Cancelled (Ctrl+C, SIGTERM): the running trial was marked failed and queued again.</summary>
    Interrupted,
    /// <summary><see cref="StudyDriver.MaxConsecutiveFailures"/> trials in a row failed: something is wrong beyond one trial's parameters.</summary>
    RepeatedFailures,
}

/// <summary>What one worker's <see cref="StudyDriver.Optimize"/> did.</summary>
/// <param name="Reason">Why it stopped.</param>
/// <param name="TrialsRun">Trials this worker ran (any outcome).</param>
/// <param name="Elapsed">Wall time of this worker.</param>
/// <param name="LastError">The last trial error this worker saw, if any.</param>
public sealed record StudyRunOutcome(StudyStopReason Reason, int TrialsRun, TimeSpan Elapsed, string? LastError);

/// <summary>A trial starting or ending, for progress displays.</summary>
/// <param name="Trial">The trial as stored (running when it starts; complete, pruned or failed when it ends).</param>
/// <param name="Best">The best complete trial of the study so far, or null.</param>
/// <param name="Finished">Trials of the study that count towards <paramref name="Target"/>.</param>
/// <param name="Target"><c>n_trials</c>.</param>
/// <param name="Eta">Estimated time until the study reaches its target at this worker's pace, once a trial has ended.</param>
public sealed record TrialProgress(StudyTrial Trial, StudyTrial? Best, int Finished, int Target, TimeSpan? Eta);

/// <summary>
/// One worker's optimisation loop (Optuna's <c>study.optimize</c> with heartbeats and <c>RetryFailedTrialCallback</c>).
/// Many workers — processes on one machine or many — may drive the same study through a shared storage:
/// <list type="number">
/// <item>On start, running trials of dead processes on this machine are failed at once (a <c>kill -9</c>), and before
/// every trial any running trial whose heartbeat is older than <see cref="TuneSettings.StaleAfter"/> is failed (a dead
/// worker anywhere). Each of those is queued again as a retry (at most <see cref="TuneSettings.MaxRetries"/> in a
/// chain), so no trial is lost.</item>
/// <item>The worker claims the oldest waiting trial, or asks the sampler and creates a running trial; a grid point another
/// worker took meanwhile is refused by the storage and the sampler is asked again.</item>
/// <item>While the objective runs, a timer refreshes the heartbeat; intermediate values go to the storage and the pruner.</item>
/// <item>The trial ends complete (its value), pruned (its last intermediate value) or failed (the error; a
/// cancelled trial is failed as interrupted and queued again).</item>
/// </list>
/// <para><b>Counting.</b> The study is done when it holds <c>n_trials</c> complete, pruned or failed trials, where a
/// failed trial that was queued again (stale, dead worker, interrupted) does not count — its retry does. A worker starts
/// no trial that would take the study past <c>n_trials</c> counting the trials running elsewhere; while the rest of the
/// budget (or, on a grid, every remaining point) is held by trials running elsewhere it waits for them instead of
/// leaving, so that a trial whose worker dies is failed and retried by a worker that is still there.</para>
/// </summary>
public sealed class StudyDriver
{
    /// <summary>A worker stops after this many failed trials in a row.</summary>
    public const int MaxConsecutiveFailures = 5;

    // Proposals a worker tries before concluding that the sampler only proposes points other workers hold.
    private const int MaxProposalAttempts = 100;

    private readonly IStudyStorage _storage;
    private readonly StudyInfo _study;
    private readonly TuneSettings _settings;
    private readonly ISampler _sampler;
    private readonly IPruner? _pruner;
    // The storage is called from the loop, the heartbeat timer and the trainer's callbacks: one call at a time.
    private readonly object _storageGate = new();

    /// <summary>A worker for <paramref name="study"/>; <paramref name="pruner"/> null never prunes.</summary>
    public StudyDriver(IStudyStorage storage, StudyInfo study, TuneSettings settings, ISampler sampler, IPruner? pruner, string? worker = null)
    {
        _storage = storage ?? throw new ArgumentNullException(nameof(storage));
        _study = study ?? throw new ArgumentNullException(nameof(study));
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _sampler = sampler ?? throw new ArgumentNullException(nameof(sampler));
        _pruner = pruner;
        Worker = worker ?? NewWorkerId();
    }

    /// <summary>This worker's id: <c>host:pid:random</c>.</summary>
    public string Worker { get; }

    /// <summary>Told when a trial starts.</summary>
    public Action<TrialProgress>? TrialStarted { get; init; }

    /// <summary>Told when a trial ends.</summary>
    public Action<TrialProgress>? TrialFinished { get; init; }

    /// <summary>One-line messages (stale trials failed, retries queued, why the worker stopped).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>A new worker id for this process: host, process id and a random suffix (two drivers in one process differ).</summary>
    public static string NewWorkerId() => $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>
    /// Runs trials until the study is done, the sampler is exhausted, the timeout passes or <paramref name="cancellationToken"/>
    /// is cancelled (then the running trial is failed as interrupted, queued again, and the outcome says so; nothing throws).
    /// </summary>
    public StudyRunOutcome Optimize(ITrialObjective objective, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(objective);
        var clock = Stopwatch.StartNew();
        int run = 0, failuresInRow = 0;
        string? lastError = null;
        var durations = new List<double>();
        FailDeadLocalWorkers();
        while (true)
        {
            if (cancellationToken.IsCancellationRequested) return Stop(StudyStopReason.Interrupted);
            if (_settings.Timeout is { } timeout && clock.Elapsed >= timeout) return Stop(StudyStopReason.Timeout);
            FailStaleTrials();
            var trials = Trials();
            int finished = CountFinished(trials);
            int running = trials.Count(t => t.State == TrialState.Running);
            int waiting = trials.Count(t => t.State == TrialState.Waiting);
            if (finished + running >= _settings.Trials)
            {
                if (running == 0) return Stop(StudyStopReason.TrialBudget);
                // The rest of the budget is running elsewhere: wait for it rather than leave, so that a trial whose
                // worker died is failed when its heartbeat stops and retried here instead of being lost.
                if (!WaitForOtherWorkers(cancellationToken)) return Stop(StudyStopReason.Interrupted);
                continue;
            }

            StudyTrial? trial;
            lock (_storageGate) trial = _storage.ClaimWaitingTrial(_study.Id, Worker);
            if (trial is null)
            {
                if (finished + running + waiting >= _settings.Trials) return Stop(StudyStopReason.TrialBudget);
                trial = CreateSampledTrial();
                if (trial is null)
                {
                    // Every remaining point is held by a running trial (a grid near its end): the same wait.
                    if (running == 0) return Stop(StudyStopReason.SamplerExhausted);
                    if (!WaitForOtherWorkers(cancellationToken)) return Stop(StudyStopReason.Interrupted);
                    continue;
                }
            }
            else if (trial.RetryOf is { } original) Log?.Invoke($"trial {trial.Number}: retrying trial {original}");

            var ended = RunTrial(trial, objective, cancellationToken);
            run++;
            durations.Add(((ended.FinishedUtc ?? DateTime.UtcNow) - (ended.StartedUtc ?? DateTime.UtcNow)).TotalSeconds);
            var after = Trials();
            int finishedAfter = CountFinished(after);
            TimeSpan? eta = TimeSpan.FromSeconds(durations.Average() * Math.Max(0, _settings.Trials - finishedAfter));
            TrialFinished?.Invoke(new TrialProgress(ended, Best(after), finishedAfter, _settings.Trials, eta));
            if (ended.State == TrialState.Failed)
            {
                lastError = ended.Error;
                if (cancellationToken.IsCancellationRequested) return Stop(StudyStopReason.Interrupted);
                if (++failuresInRow >= MaxConsecutiveFailures) return Stop(StudyStopReason.RepeatedFailures);
            }
            else failuresInRow = 0;
        }

        StudyRunOutcome Stop(StudyStopReason reason) => new(reason, run, clock.Elapsed, lastError);
    }

    /// <summary>
    /// Sleeps while other workers' trials run (a poll of at most a second, or the heartbeat interval when shorter) and
    /// fails the trials of workers of this machine that died meanwhile; false when cancelled.
    /// </summary>
    private bool WaitForOtherWorkers(CancellationToken cancellationToken)
    {
        var poll = _settings.HeartbeatInterval < TimeSpan.FromSeconds(1) ? _settings.HeartbeatInterval : TimeSpan.FromSeconds(1);
        if (cancellationToken.WaitHandle.WaitOne(poll)) return false;
        FailDeadLocalWorkers();
        return true;
    }

    /// <summary>Trials that count towards <c>n_trials</c>: complete, pruned, and failed ones that were not queued again.</summary>
    public static int CountFinished(IReadOnlyList<StudyTrial> trials)
    {
        ArgumentNullException.ThrowIfNull(trials);
        var retried = trials.Where(t => t.RetryOf is not null).Select(t => t.RetryOf!.Value).ToHashSet();
        return trials.Count(t => t.State is TrialState.Complete or TrialState.Pruned
                                 || (t.State == TrialState.Failed && !retried.Contains(t.Number)));
    }

    /// <summary>The best complete trial (pruned trials hold partial values and are not candidates), ties to the lower number.</summary>
    public static StudyTrial? BestTrial(IReadOnlyList<StudyTrial> trials, StudyDirection direction)
    {
        ArgumentNullException.ThrowIfNull(trials);
        StudyTrial? best = null;
        foreach (var t in trials.Where(t => t.State == TrialState.Complete && t.Value is { } v && double.IsFinite(v)).OrderBy(t => t.Number))
            if (best is null || (direction == StudyDirection.Maximize ? t.Value > best.Value : t.Value < best.Value)) best = t;
        return best;
    }

    private StudyTrial? Best(IReadOnlyList<StudyTrial> trials) => BestTrial(trials, _study.Definition.Direction);

    private IReadOnlyList<StudyTrial> Trials()
    {
        lock (_storageGate) return _storage.GetTrials(_study.Id);
    }

    private StudyTrial? CreateSampledTrial()
    {
        for (int attempt = 0; attempt < MaxProposalAttempts; attempt++)
        {
            var trials = Trials();
            var proposal = _sampler.Propose(_settings.Space, trials, trials.Count == 0 ? 0 : trials.Max(t => t.Number) + 1, _study.Definition.Direction);
            if (proposal is null) return null;
            foreach (var p in _settings.Space.Parameters)
                if (!proposal.Parameters.TryGetValue(p.Key, out var value) || !p.Contains(value))
                    throw new InvalidOperationException($"the {_sampler.Name} sampler proposed {ParameterValueText(proposal, p.Key)} for {p.Key}, outside the space");
            lock (_storageGate)
                if (_storage.CreateRunningTrial(_study.Id, proposal.Parameters, proposal.GridKey, Worker) is { } created) return created;
        }
        Log?.Invoke($"the {_sampler.Name} sampler proposed only points other workers hold ({MaxProposalAttempts} attempts); stopping");
        return null;
    }

    private static string ParameterValueText(TrialProposal proposal, string key) =>
        proposal.Parameters.TryGetValue(key, out var v) ? Space.ParameterValues.ToJson(v) : "nothing";

    private StudyTrial RunTrial(StudyTrial trial, ITrialObjective objective, CancellationToken ct)
    {
        if (TrialStarted is { } started)
        {
            var before = Trials();
            started(new TrialProgress(trial, Best(before), CountFinished(before), _settings.Trials, null));
        }
        var reporter = new TrialReporter((step, value) =>
        {
            IReadOnlyList<StudyTrial> trials;
            lock (_storageGate)
            {
                _storage.ReportIntermediate(trial.Id, step, value);
                trials = _pruner is null ? [] : _storage.GetTrials(_study.Id);
            }
            if (_pruner is null) return false;
            var current = trials.First(t => t.Id == trial.Id);
            return _pruner.ShouldPrune(trials, current, step, _study.Definition.Direction);
        });
        string? heartbeatError = null;
        var heartbeat = new Timer(_ =>
        {
            try { lock (_storageGate) _storage.Heartbeat(trial.Id); }
            catch (Exception e) { heartbeatError ??= e.Message; }
        }, null, _settings.HeartbeatInterval, _settings.HeartbeatInterval);
        TrialState state;
        double? result = null;
        string? error = null;
        bool retry = false;
        try
        {
            double value = objective.Evaluate(trial, reporter, ct);
            ct.ThrowIfCancellationRequested();
            if (reporter.Pruned) (state, result) = (TrialState.Pruned, reporter.LastValue);
            else if (!double.IsFinite(value)) (state, error) = (TrialState.Failed, $"the objective returned {value}");
            else (state, result) = (TrialState.Complete, value);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            (state, error, retry) = (TrialState.Failed, "interrupted: the worker was cancelled (Ctrl+C or SIGTERM)", true);
        }
        catch (Exception) when (reporter.Pruned)
        {
            // Stopping early may surface as an error from the engine; the pruner's decision stands.
            (state, result) = (TrialState.Pruned, reporter.LastValue);
        }
        catch (Exception e)
        {
            // One trial's parameters can be bad (a value the engine refuses with these data): the study goes on.
            (state, error) = (TrialState.Failed, e.Message);
            Log?.Invoke($"trial {trial.Number} failed: {e.Message}");
        }
        finally
        {
            // No heartbeat may land after the trial ended: wait for a callback in flight before finishing.
            using var stopped = new ManualResetEvent(false);
            if (heartbeat.Dispose(stopped)) stopped.WaitOne();
        }
        Finish(trial, state, result, error);
        if (retry) QueueRetry(trial);
        if (heartbeatError is not null) Log?.Invoke($"warning: trial {trial.Number}: a heartbeat could not be stored ({heartbeatError})");
        lock (_storageGate) return _storage.GetTrials(_study.Id).First(t => t.Id == trial.Id);
    }

    private void Finish(StudyTrial trial, TrialState state, double? value, string? error)
    {
        lock (_storageGate) _storage.FinishTrial(trial.Id, state, value, error);
    }

    private void FailStaleTrials()
    {
        IReadOnlyList<StudyTrial> failed;
        lock (_storageGate) failed = _storage.FailStaleTrials(_study.Id, _settings.StaleAfter);
        foreach (var trial in failed)
        {
            Log?.Invoke($"trial {trial.Number} of worker {trial.Worker} sent no heartbeat for {_settings.StaleAfter.TotalSeconds:0.#} s: marked failed");
            QueueRetry(trial);
        }
    }

    /// <summary>
    /// A trial left running by a process of this machine that no longer exists (killed, crashed) is failed at once
    /// rather than after the heartbeat timeout, and queued again.
    /// </summary>
    private void FailDeadLocalWorkers()
    {
        IReadOnlyList<StudyTrial> failed;
        lock (_storageGate) failed = StudyWorkers.FailTrialsOfDeadLocalWorkers(_storage, _study.Id);
        foreach (var trial in failed)
        {
            Log?.Invoke($"trial {trial.Number}: its worker {trial.Worker} (this machine) is no longer running; marked failed");
            QueueRetry(trial);
        }
    }

    private void QueueRetry(StudyTrial failed)
    {
        var trials = Trials();
        int depth = 0;
        for (var t = failed; t.RetryOf is { } previous; t = trials.First(x => x.Number == previous)) depth++;
        if (depth >= _settings.MaxRetries)
        {
            Log?.Invoke($"trial {failed.Number} failed after {depth} retries (max_retries: {_settings.MaxRetries}); not retried again");
            return;
        }
        StudyTrial retry;
        try
        {
            lock (_storageGate) retry = _storage.EnqueueTrial(_study.Id, failed.Parameters, failed.GridKey, failed.Number);
        }
        catch (InvalidOperationException e)
        {
            // Another worker retried it first, or its grid point, freed by the failure, was already taken again by a
            // new trial: either way the point is being evaluated, and a second retry would be a duplicate.
            Log?.Invoke($"trial {failed.Number} is not queued again: {e.Message}");
            return;
        }
        Log?.Invoke($"trial {failed.Number} queued again as trial {retry.Number}");
    }
}
