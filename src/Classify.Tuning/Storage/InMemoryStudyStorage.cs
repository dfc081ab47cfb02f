using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Storage;

/// <summary>
/// A study storage in this process's memory (the <c>memory:</c> URL): the reference behaviour of
/// <see cref="IStudyStorage"/> for tests and throw-away studies. Thread-safe; gone when the process ends.
/// </summary>
internal sealed class InMemoryStudyStorage : IStudyStorage
{
    private readonly object _gate = new();
    private readonly List<StudyInfo> _studies = [];
    private readonly List<(long StudyId, StudyTrial Trial)> _trials = [];
    private readonly Func<DateTime> _clock;

    /// <summary>A storage on the system clock, or on <paramref name="clock"/> (tests move time forward to make trials stale).</summary>
    public InMemoryStudyStorage(Func<DateTime>? clock = null) => _clock = clock ?? (() => DateTime.UtcNow);

    public string Description => "memory (this process only)";

    public StudyInfo CreateOrLoadStudy(StudyDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        lock (_gate)
        {
            var existing = _studies.FirstOrDefault(s => s.Definition.Name == definition.Name);
            if (existing is null)
            {
                var created = new StudyInfo(_studies.Count + 1, definition, _clock());
                _studies.Add(created);
                return created;
            }
            if (Differences(existing.Definition, definition) is { Count: > 0 } differences)
                throw new InputException($"study '{definition.Name}' exists with another definition ({string.Join(", ", differences)} differ); " +
                                         "give another study name (tune.study or --study) to start a new one", field: "tune.study");
            return existing;
        }
    }

    public StudyTrial? ClaimWaitingTrial(long studyId, string worker)
    {
        lock (_gate)
        {
            int index = _trials.FindIndex(t => t.StudyId == studyId && t.Trial.State == TrialState.Waiting);
            if (index < 0) return null;
            var now = _clock();
            var claimed = _trials[index].Trial with { State = TrialState.Running, StartedUtc = now, HeartbeatUtc = now, Worker = worker };
            _trials[index] = (studyId, claimed);
            return claimed;
        }
    }

    public StudyTrial? CreateRunningTrial(long studyId, IReadOnlyDictionary<string, object?> parameters, string? gridKey, string worker)
    {
        lock (_gate)
        {
            if (GridKeyTaken(studyId, gridKey)) return null;
            var now = _clock();
            var trial = NewTrial(studyId, parameters, gridKey, retryOf: null) with { State = TrialState.Running, StartedUtc = now, HeartbeatUtc = now, Worker = worker };
            _trials.Add((studyId, trial));
            return trial;
        }
    }

    public StudyTrial EnqueueTrial(long studyId, IReadOnlyDictionary<string, object?> parameters, string? gridKey, int? retryOf)
    {
        lock (_gate)
        {
            var trial = NewTrial(studyId, parameters, gridKey, retryOf);
            _trials.Add((studyId, trial));
            return trial;
        }
    }

    public void ReportIntermediate(long trialId, long step, double value) =>
        Update(trialId, t => t with
        {
            IntermediateValues = new SortedDictionary<long, double>(t.IntermediateValues.ToDictionary()) { [step] = value },
            HeartbeatUtc = _clock(),
        });

    public void Heartbeat(long trialId) => Update(trialId, t => t with { HeartbeatUtc = _clock() });

    public void FinishTrial(long trialId, TrialState state, double? value, string? error = null)
    {
        if (state is TrialState.Waiting or TrialState.Running) throw new ArgumentException($"a trial ends complete, pruned or failed, not {state}", nameof(state));
        Update(trialId, t => t with { State = state, Value = value, Error = error, FinishedUtc = _clock() });
    }

    public IReadOnlyList<StudyTrial> GetTrials(long studyId)
    {
        lock (_gate) return _trials.Where(t => t.StudyId == studyId).Select(t => t.Trial).OrderBy(t => t.Number).ToArray();
    }

    public IReadOnlyList<StudyTrial> FailStaleTrials(long studyId, TimeSpan staleAfter)
    {
        lock (_gate)
        {
            var now = _clock();
            var failed = new List<StudyTrial>();
            for (int i = 0; i < _trials.Count; i++)
            {
                var (id, t) = _trials[i];
                if (id != studyId || t.State != TrialState.Running || t.HeartbeatUtc is not { } beat || now - beat <= staleAfter) continue;
                var ended = t with
                {
                    State = TrialState.Failed, FinishedUtc = now,
                    Error = $"stale: no heartbeat from worker {t.Worker} for {(now - beat).TotalSeconds:0.#} s (more than {staleAfter.TotalSeconds:0.#} s)",
                };
                _trials[i] = (id, ended);
                failed.Add(ended);
            }
            return failed;
        }
    }

    /// <summary>Nothing to release: the studies live as long as the object (the process-wide <c>memory:</c> store outlives its sessions).</summary>
    public void Dispose() { }

    // Only running trials change (a heartbeat, a value, the end); anything else is a caller's mistake.
    private void Update(long trialId, Func<StudyTrial, StudyTrial> change)
    {
        lock (_gate)
        {
            int index = _trials.FindIndex(t => t.Trial.Id == trialId);
            if (index < 0) throw new InvalidOperationException($"no trial with id {trialId}");
            var (studyId, trial) = _trials[index];
            if (trial.State != TrialState.Running) throw new InvalidOperationException($"trial {trial.Number} is {trial.State.ToString().ToLowerInvariant()}, not running");
            _trials[index] = (studyId, change(trial));
        }
    }

    private StudyTrial NewTrial(long studyId, IReadOnlyDictionary<string, object?> parameters, string? gridKey, int? retryOf) =>
        new(Id: _trials.Count + 1, Number: _trials.Count(t => t.StudyId == studyId), TrialState.Waiting, new Dictionary<string, object?>(parameters),
            Value: null, IntermediateValues: new SortedDictionary<long, double>(), StartedUtc: null, FinishedUtc: null, HeartbeatUtc: null, Worker: null,
            RetryOf: retryOf, GridKey: gridKey, Error: null);

    private bool GridKeyTaken(long studyId, string? gridKey) =>
        gridKey is not null && _trials.Any(t => t.StudyId == studyId && t.Trial.GridKey == gridKey && t.Trial.State != TrialState.Failed);

    private static List<string> Differences(StudyDefinition a, StudyDefinition b)
    {
        var differences = new List<string>();
        if (a.Direction != b.Direction) differences.Add("direction");
        if (a.Metric != b.Metric) differences.Add("metric");
        var x = JsonNode.Parse(a.DefinitionJson) as JsonObject ?? [];
        var y = JsonNode.Parse(b.DefinitionJson) as JsonObject ?? [];
        foreach (var key in x.Select(kv => kv.Key).Union(y.Select(kv => kv.Key)))
            if (!JsonNode.DeepEquals(x[key], y[key])) differences.Add(key);
        return differences;
    }
}
