using System.Globalization;
using Classify.Tuning.Storage;
using Classify.Tuning.Trials;

// Usage: Classify.Tuning.StorageWorker STORAGE STUDY GRID_SIZE TRIAL_MS STALE_AFTER_MS LABEL
// Works through a grid of GRID_SIZE points (x = 0 … GRID_SIZE-1, grid key g<x>) until every point has a complete trial:
// fails stale trials and enqueues their retries, claims a waiting trial or takes a free grid point, reports three
// intermediate values over TRIAL_MS (each refreshes the heartbeat) and completes the trial with value x.
// Prints "started N", "done N", "retry N as M" and "finished" lines, flushed, for the test to follow.
if (args.Length != 6)
{
    Console.Error.WriteLine("usage: Classify.Tuning.StorageWorker STORAGE STUDY GRID_SIZE TRIAL_MS STALE_AFTER_MS LABEL");
    return 2;
}
var (storageUrl, studyName, gridSize, trialMs, staleAfterMs, label) =
    (args[0], args[1], Int(args[2]), Int(args[3]), Int(args[4]), args[5]);
const int Steps = 3;

using var storage = StudyStorages.Open(storageUrl, storageUrl);
var study = storage.CreateOrLoadStudy(new StudyDefinition(studyName, StudyDirection.Maximize, "val.macro_f1", $$"""{"grid":{{gridSize}}}"""));
var worker = $"{Environment.MachineName}:{Environment.ProcessId}:{label}";
var staleAfter = TimeSpan.FromMilliseconds(staleAfterMs);

while (true)
{
    foreach (var failed in storage.FailStaleTrials(study.Id, staleAfter))
    {
        try
        {
            var retry = storage.EnqueueTrial(study.Id, failed.Parameters, failed.GridKey, failed.Number);
            Say($"retry {failed.Number} as {retry.Number}");
        }
        catch (InvalidOperationException)
        {
            // Another worker retried it or re-created the grid point first: nothing is lost.
        }
    }
    var trial = storage.ClaimWaitingTrial(study.Id, worker) ?? CreateNext();
    if (trial is null)
    {
        var trials = storage.GetTrials(study.Id);
        if (trials.Count(t => t.State == TrialState.Complete) >= gridSize) break;
        // Others are still running trials (or one is stale and will be retried): wait for them.
        Thread.Sleep(Math.Max(20, staleAfterMs / 5));
        continue;
    }
    Say($"started {trial.Number}");
    var x = (long)trial.Parameters["x"]!;
    try
    {
        for (var step = 0; step < Steps; step++)
        {
            if (trialMs > 0) Thread.Sleep(trialMs / Steps);
            storage.ReportIntermediate(trial.Id, step, x + step / 10.0);
        }
        storage.FinishTrial(trial.Id, TrialState.Complete, x);
        Say($"done {trial.Number}");
    }
    catch (InvalidOperationException e)
    {
        // Failed as stale by another worker while this one was slow: its result is dropped, the retry counts.
        Say($"dropped {trial.Number}: {e.Message}");
    }
}
Say("finished");
return 0;

StudyTrial? CreateNext()
{
    var held = storage.GetTrials(study.Id).Where(t => t.State != TrialState.Failed && t.GridKey is not null).Select(t => t.GridKey!).ToHashSet();
    for (var x = 0L; x < gridSize; x++)
    {
        if (held.Contains($"g{x}")) continue;
        // Null when another worker took the point since GetTrials: try the next one.
        if (storage.CreateRunningTrial(study.Id, new Dictionary<string, object?> { ["x"] = x }, $"g{x}", worker) is { } created) return created;
    }
    return null;
}

static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);

static void Say(string line)
{
    Console.Out.WriteLine(line);
    Console.Out.Flush();
}
