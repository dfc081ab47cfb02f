using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Classify.Cli.Tests.Infrastructure;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary>
/// A real <c>classify train</c> of a transformer (a scratch BERT-tiny on 400 tweets, 20 steps of 16, max_length 32,
/// evaluated and checkpointed every 5 steps: about 5 s of training) killed with SIGKILL or stopped with SIGTERM mid-training,
/// found by watching checkpoints/: the next command shows the run interrupted (or cancelled), no temporary survives
/// (not even a half-written <c>checkpoints/.checkpoint-N.&lt;id&gt;.tmp</c>), run.json and the ledger agree, a surviving
/// checkpoint predicts, and the run finishes when resumed or overwritten. The scratch model is cached in the test's
/// workspace (CLASSIFY_CACHE). Linux only (signals, /proc).
/// </summary>
public sealed class InterruptedTransformerRunTests : IDisposable
{
    private const string Name = "tx";
    private const int MaxSteps = 20;
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    private RunProbe Probe => new(_ws.RunsDir, Name);
    private string CheckpointsDir => Path.Combine(Probe.RunDir, "checkpoints");
    private Dictionary<string, string?> Environment => new() { ["CLASSIFY_CACHE"] = _ws.PathOf("cache") };

    private string Config() => _ws.Write("tx.yaml", ScratchTransformer.Config(Name, MaxSteps, transformerExtra: """
          eval_strategy: steps
          eval_steps: 5
          save_steps: 5
          logging_steps: 5
        """));

    private (CliResult Result, int Pid) TrainAndStopWhen(Func<bool> moment, Action<System.Diagnostics.Process> stop) =>
        RunProbe.RunAndStopWhen(["train", "--config", Config(), "--runs-dir", _ws.RunsDir], moment, stop, environment: Environment);

    /// <summary><c>classify train</c> of the config as a child process (so that it sees the workspace's scratch cache).</summary>
    private CliResult Train(params string[] extra)
    {
        var result = CliRunner.RunProcess(["train", "--config", Config(), "--runs-dir", _ws.RunsDir, "--no-report", .. extra],
            timeout: TimeSpan.FromMinutes(2), environment: Environment);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private bool CheckpointExists(int step) => Directory.Exists(Path.Combine(CheckpointsDir, $"checkpoint-{step}"));

    // A checkpoint being staged (AtomicFile.WriteDirectory) whose last file, trainer_state.json, is not written yet.
    private bool SavingCheckpoint() =>
        Directory.Exists(CheckpointsDir) && Directory.EnumerateDirectories(CheckpointsDir, ".checkpoint-*.tmp")
            .Any(d => !File.Exists(Path.Combine(d, "trainer_state.json")));

    /// <summary>The checkpoint folders (not staging ones), oldest first; each must be complete.</summary>
    private List<string> Checkpoints()
    {
        var all = Directory.GetDirectories(CheckpointsDir, "checkpoint-*")
            .OrderBy(d => int.Parse(Path.GetFileName(d)["checkpoint-".Length..])).ToList();
        foreach (var dir in all)
            foreach (var file in new[] { "config.json", "model.safetensors", "classify.json", "optimizer.safetensors", "trainer_state.json" })
                Assert.True(File.Exists(Path.Combine(dir, file)), $"{dir} lacks {file}");
        return all;
    }

    /// <summary><c>predict --model checkpoints/checkpoint-N</c> gives one of the three labels.</summary>
    private static void AssertPredicts(string checkpoint)
    {
        var predicted = CliRunner.Ok("predict", "--model", checkpoint, "--format", "json", "what a lovely day", "this is awful");
        var lines = predicted.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        foreach (var line in lines)
        {
            var labels = JsonNode.Parse(line)!["labels"]!.AsArray().Select(l => (string?)l).ToList();
            Assert.Contains(Assert.Single(labels), new[] { "negative", "neutral", "positive" });
        }
    }

    /// <summary>The run finished all its steps and is recorded as completed.</summary>
    private void AssertFinished()
    {
        Probe.AssertSettled("completed");
        Assert.Equal(MaxSteps, (int?)Probe.RunJson["training"]?["global_step"]);
        Assert.True(File.Exists(Path.Combine(Probe.RunDir, "model", "model.safetensors")));
    }

    private static bool Linux => OperatingSystem.IsLinux();

    [Fact]
    public void Killed_after_the_first_checkpoint_the_run_shows_interrupted_its_checkpoint_predicts_and_resuming_finishes_it()
    {
        if (!Linux) return;
        var (killed, pid) = TrainAndStopWhen(() => CheckpointExists(5), RunProbe.Sigkill);
        Assert.Equal(137, killed.ExitCode);
        Assert.Equal("running", Probe.Status);   // nothing has looked at it yet
        var firstRunId = (string)Probe.RunJson["run_id"]!;

        var list = CliRunner.Ok("runs", "list", "--runs-dir", _ws.RunsDir);
        Assert.Contains($"run '{Name}' was left running by process {pid}, which has ended: marked interrupted", list.StderrUnwrapped);
        Assert.Contains("interrupted", list.Stdout);
        Probe.AssertSettled("interrupted");
        Assert.Equal($"process {pid} ended without finishing the run", (string?)Probe.RunJson["error"]);

        var checkpoints = Checkpoints();
        Assert.Contains(Path.Combine(CheckpointsDir, "checkpoint-5"), checkpoints);
        AssertPredicts(checkpoints[^1]);

        // The documented way on: resume from the latest checkpoint, in the same folder, without --overwrite.
        Train("--set", "transformer.resume_from_checkpoint=true");
        AssertFinished();
        var log = File.ReadAllLines(Path.Combine(Probe.RunDir, "log.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(MaxSteps, (int?)log[^1]["step"]);
        // The interrupted attempt's row stays, marked overwritten: the folder now holds the resumed run.
        Assert.Equal([(firstRunId, "overwritten"), ((string)Probe.RunJson["run_id"]!, "completed")],
            Probe.LedgerRows().Select(r => (r.RunId, r.Status)));
    }

    [Fact]
    public void Killed_while_a_checkpoint_is_being_saved_the_next_command_removes_the_staging_folder_and_overwrite_redoes_the_run()
    {
        if (!Linux) return;
        // The second save (step 10), so that a complete checkpoint survives beside the half-written one.
        TrainAndStopWhen(() => CheckpointExists(5) && SavingCheckpoint(), RunProbe.Sigkill);
        var staging = Probe.HiddenEntries().Where(e => Regex.IsMatch(Path.GetFileName(e), @"^\.checkpoint-[0-9]+\.[0-9a-f]{32}\.tmp$")).ToList();
        Assert.True(staging.Count == 1, "expected one staging folder: " + string.Join(", ", Probe.HiddenEntries()));

        var list = CliRunner.Ok("runs", "list", "--runs-dir", _ws.RunsDir);
        Assert.Contains("marked interrupted; removed", list.StderrUnwrapped);
        Probe.AssertSettled("interrupted");   // the staging folder is gone too
        var checkpoints = Checkpoints();
        Assert.NotEmpty(checkpoints);
        AssertPredicts(checkpoints[^1]);

        var redo = Train("--overwrite");
        Assert.Contains("reusing the saved ids", redo.StderrUnwrapped);
        AssertFinished();
        Assert.Equal(["overwritten", "completed"], Probe.LedgerRows().Select(r => r.Status));
    }

    [Fact]
    public void Sigterm_during_training_cancels_with_a_checkpoint_of_that_step_exits_143_and_resuming_finishes_it()
    {
        if (!Linux) return;
        var (stopped, _) = TrainAndStopWhen(() => CheckpointExists(5), RunProbe.Sigterm);
        Assert.True(stopped.ExitCode == 143, stopped.ToString());
        Assert.Contains("SIGTERM", stopped.StderrUnwrapped);
        Probe.AssertSettled("cancelled");   // recorded by the process itself: nothing to recover
        var error = (string?)Probe.RunJson["error"] ?? "";
        var step = Regex.Match(error, @"cancelled at step (\d+); resume with resume_from_checkpoint: true");
        Assert.True(step.Success, error);
        Assert.Contains(Path.Combine(CheckpointsDir, "checkpoint-" + step.Groups[1].Value), Checkpoints());
        Assert.Contains("cancelled", CliRunner.Ok("runs", "list", "--runs-dir", _ws.RunsDir).Stdout);
        var cancelledRunId = (string)Probe.RunJson["run_id"]!;

        var resumed = Train("--set", "transformer.resume_from_checkpoint=true");
        Assert.Contains($"continuing run '{Name}' (cancelled) in its folder", resumed.StderrUnwrapped);
        AssertFinished();
        Assert.Equal([(cancelledRunId, "overwritten"), ((string)Probe.RunJson["run_id"]!, "completed")],
            Probe.LedgerRows().Select(r => (r.RunId, r.Status)));
    }
}
