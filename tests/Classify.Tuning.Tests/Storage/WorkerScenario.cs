using System.Collections.Concurrent;
using System.Diagnostics;
using Classify.Tuning.Storage;
using Classify.Tuning.Trials;

namespace Classify.Tuning.Tests.Storage;

/// <summary>
/// Several Classify.Tuning.StorageWorker processes on one grid study, one of them killed with SIGKILL in the middle of a
/// trial; the survivors must fail its trial as stale, retry it, and complete every grid point exactly once.
/// Linked into the SQLite and the PostgreSQL test projects.
/// </summary>
internal static class WorkerScenario
{
    internal sealed record Outcome(IReadOnlyList<StudyTrial> Trials, int KilledTrialNumber, IReadOnlyList<string> Output);

    /// <summary>Runs the scenario; at least <paramref name="killAfterDone"/> trials of the victim complete before it is killed inside a later one.</summary>
    internal static Outcome Run(string storageUrl, int workers, int gridSize, int trialMs, int staleAfterMs, int killAfterDone, TimeSpan timeout)
    {
        var study = NewStudyName();
        var output = new ConcurrentQueue<string>();
        var victimStarted = new ConcurrentQueue<int>();
        var victimDone = 0;
        var processes = new List<Process>();
        try
        {
            for (var w = 0; w < workers; w++)
            {
                var label = $"w{w}";
                var p = Worker(storageUrl, study, gridSize, trialMs, staleAfterMs, label);
                var isVictim = w == 0;
                p.OutputDataReceived += (_, e) =>
                {
                    if (e.Data is null) return;
                    output.Enqueue($"{label}: {e.Data}");
                    if (!isVictim) return;
                    if (e.Data.StartsWith("started ", StringComparison.Ordinal)) victimStarted.Enqueue(int.Parse(e.Data[8..]));
                    if (e.Data.StartsWith("done ", StringComparison.Ordinal)) Interlocked.Increment(ref victimDone);
                };
                p.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue($"{label} (stderr): {e.Data}"); };
                p.Start();
                p.BeginOutputReadLine();
                p.BeginErrorReadLine();
                processes.Add(p);
            }

            // Kill the victim while it is inside a trial: after it started one beyond its first killAfterDone.
            var clock = Stopwatch.StartNew();
            int killed = -1;
            while (killed < 0)
            {
                Assert.True(clock.Elapsed < timeout, "the victim never started enough trials:\n" + string.Join("\n", output));
                Assert.False(processes[0].HasExited, "the victim exited before it was killed:\n" + string.Join("\n", output));
                // Inside a trial (it started one more than it finished), after at least killAfterDone: a busy machine may
                // wake this loop a trial or two late, which changes nothing the assertions rely on.
                int done = Volatile.Read(ref victimDone);
                if (done >= killAfterDone && victimStarted.Count > done)
                {
                    processes[0].Kill(); // SIGKILL on Unix: no finally blocks, no flush
                    processes[0].WaitForExit();
                    // The last trial it started is the one it was running (unless it finished it just before the kill).
                    killed = victimStarted.Last();
                }
                else Thread.Sleep(5);
            }
            foreach (var p in processes.Skip(1))
            {
                var left = timeout - clock.Elapsed;
                Assert.True(left > TimeSpan.Zero && p.WaitForExit(left), "a worker did not finish in time:\n" + string.Join("\n", output));
                p.WaitForExit();
                Assert.True(p.ExitCode == 0, $"a worker exited with {p.ExitCode}:\n" + string.Join("\n", output));
            }
            using var storage = StudyStorages.Open(storageUrl, storageUrl);
            var loaded = storage.CreateOrLoadStudy(Definition(study, gridSize));
            return new Outcome(storage.GetTrials(loaded.Id), killed, output.ToList());
        }
        finally
        {
            foreach (var p in processes)
            {
                if (!p.HasExited) p.Kill();
                p.Dispose();
            }
        }
    }

    internal static string NewStudyName() => "workers-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The definition the worker uses for a grid of <paramref name="gridSize"/> points.</summary>
    internal static StudyDefinition Definition(string study, int gridSize) =>
        new(study, StudyDirection.Maximize, "val.macro_f1", $$"""{"grid":{{gridSize}}}""");

    /// <summary>A worker process, not started, with its output redirected.</summary>
    internal static Process Worker(string storageUrl, string study, int gridSize, int trialMs, int staleAfterMs, string label)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Classify.Tuning.StorageWorker.dll");
        Assert.True(File.Exists(dll), $"the worker is not built beside the tests: {dll}");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "exec", dll, storageUrl, study, gridSize.ToString(), trialMs.ToString(), staleAfterMs.ToString(), label })
            info.ArgumentList.Add(a);
        return new Process { StartInfo = info };
    }

    /// <summary>Every grid point complete exactly once, numbers dense, the killed trial failed as stale and retried to completion.</summary>
    internal static void AssertNothingLostOrDuplicated(Outcome outcome, int gridSize)
    {
        var log = "\n" + string.Join("\n", outcome.Output);
        var trials = outcome.Trials;
        Assert.Equal(Enumerable.Range(0, trials.Count), trials.Select(t => t.Number));
        var complete = trials.Where(t => t.State == TrialState.Complete).ToList();
        Assert.True(complete.Select(t => t.GridKey).Order().SequenceEqual(Enumerable.Range(0, gridSize).Select(x => $"g{x}").Order()),
            "each grid point must be complete exactly once:" + log);
        Assert.All(complete, t => Assert.Equal((double)(long)t.Parameters["x"]!, t.Value));
        Assert.All(complete, t => Assert.Equal(3, t.IntermediateValues.Count));
        Assert.DoesNotContain(trials, t => t.State is TrialState.Running or TrialState.Waiting);

        var killed = trials.Single(t => t.Number == outcome.KilledTrialNumber);
        Assert.True(killed.State == TrialState.Failed, $"the killed worker's trial {killed.Number} is {killed.State}:" + log);
        Assert.Contains("stale", killed.Error);
        Assert.EndsWith(":w0", killed.Worker);
        // Retried once (or, if its worker died before enqueuing the retry, its grid point re-created): either way the
        // point was completed by another worker.
        var redo = complete.Single(t => t.GridKey == killed.GridKey);
        Assert.DoesNotContain(":w0", redo.Worker);
        Assert.All(trials.Where(t => t.State == TrialState.Failed), f => Assert.True(trials.Count(t => t.RetryOf == f.Number) <= 1));
    }
}
