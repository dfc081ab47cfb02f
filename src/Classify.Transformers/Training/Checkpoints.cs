using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Classify.Core.IO;
using Classify.Core.Prediction;
using Classify.HuggingFace.SafeTensors;
using Classify.HuggingFace.Tokenization;
using Classify.Transformers.Models;

namespace Classify.Transformers.Training;

/// <summary>
/// The <c>checkpoints/</c> folder of a run: <c>checkpoint-&lt;step&gt;/</c> folders, each written atomically as a whole.
/// Each is a loadable model, as transformers' checkpoints are (<c>config.json</c> with <c>id2label</c>,
/// <c>model.safetensors</c>, the tokenizer files and <c>classify.json</c>, so <c>predict --model
/// checkpoints/checkpoint-N</c> works), plus everything needed to resume: <c>optimizer.safetensors</c> (AdamW
/// <c>exp_avg</c>/<c>exp_avg_sq</c> per parameter, step count in the metadata), <c>scheduler.json</c>,
/// <c>rng_state.json</c> and <c>trainer_state.json</c>.
/// </summary>
internal sealed partial class Checkpoints
{
    /// <summary>Folder name prefix (HF's <c>PREFIX_CHECKPOINT_DIR</c>).</summary>
    public const string Prefix = "checkpoint-";
    /// <summary>The optimizer state file.</summary>
    public const string OptimizerFile = "optimizer.safetensors";
    /// <summary>The scheduler state file.</summary>
    public const string SchedulerFile = "scheduler.json";
    /// <summary>The random-state file.</summary>
    public const string RngStateFile = "rng_state.json";

    /// <summary>Wraps a checkpoints folder (it need not exist).</summary>
    public Checkpoints(string directory) => Directory = Path.GetFullPath(directory);

    /// <summary>The checkpoints folder.</summary>
    public string Directory { get; }

    /// <summary>The folder of the checkpoint at <paramref name="step"/>.</summary>
    public string PathOf(int step) => Path.Combine(Directory, Prefix + step.ToString(CultureInfo.InvariantCulture));

    /// <summary>Existing checkpoints, oldest step first.</summary>
    public IReadOnlyList<(int Step, string Path)> List()
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        var found = new List<(int, string)>();
        foreach (var dir in System.IO.Directory.GetDirectories(Directory, Prefix + "*"))
            if (int.TryParse(Path.GetFileName(dir)[Prefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int step)
                && File.Exists(Path.Combine(dir, TrainerState.FileName)))
                found.Add((step, dir));
        return found.OrderBy(c => c.Item1).ToList();
    }

    /// <summary>The newest checkpoint folder, or null.</summary>
    public string? Latest() => List() is { Count: > 0 } all ? all[^1].Path : null;

    /// <summary>
    /// Writes the checkpoint of <paramref name="state"/>'s step atomically; returns its folder. <paramref name="manifest"/>
    /// is the <c>classify.json</c> of the model package training will produce (without tuned thresholds); null for a
    /// pretraining checkpoint, which is a plain HF masked-LM folder. <paramref name="extraRngState"/> adds entries to
    /// <c>rng_state.json</c> (documentation of further seeded streams, such as MLM masking).
    /// </summary>
    public string Save(PreTrainedModel model, PreTrainedTokenizer tokenizer, ModelManifest? manifest, AdamW optimizer,
        LearningRateSchedule schedule, double learningRate, int seed, TrainerState state, JsonObject? extraRngState = null)
    {
        var path = PathOf(state.GlobalStep);
        AtomicFile.WriteDirectory(path, dir =>
        {
            model.SavePretrained(dir);
            tokenizer.SaveTokenizerFiles(dir);
            manifest?.Save(dir);
            SafeTensorsWriter.Write(Path.Combine(dir, OptimizerFile), optimizer.StateEntries(),
                new Dictionary<string, string> { ["step"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture), ["optimizer"] = "AdamW" });
            AtomicFile.WriteJson(Path.Combine(dir, SchedulerFile), new JsonObject
            {
                ["lr_scheduler_type"] = schedule.Type.ToString(),
                ["last_epoch"] = state.GlobalStep,
                ["base_lr"] = learningRate,
                ["warmup_steps"] = schedule.WarmupSteps,
                ["num_training_steps"] = schedule.TotalSteps,
            });
            // Batch order and dropout are pure functions of (seed, epoch) and (seed, step): the seed restores both.
            var rng = new JsonObject
            {
                ["seed"] = seed,
                ["data_order"] = "SeededRandom.ForPurpose(seed, \"train-order-epoch-<epoch>\")",
                ["torch_seed_next_step"] = TransformerTrainer.StepSeed(seed, state.GlobalStep),
            };
            foreach (var (key, value) in extraRngState ?? []) rng[key] = value?.DeepClone();
            AtomicFile.WriteJson(Path.Combine(dir, RngStateFile), rng);
            state.Save(dir);
        });
        return path;
    }

    /// <summary>
    /// Removes what an interrupted save left behind (a process killed inside <see cref="AtomicFile.WriteDirectory"/>):
    /// <c>.checkpoint-N.&lt;guid&gt;.tmp</c> folders are deleted; a <c>.checkpoint-N.&lt;guid&gt;.old</c> folder is the
    /// previous copy of a checkpoint being replaced, moved back when the checkpoint itself is missing and deleted
    /// otherwise. Call it before training starts, when no save can be running. Returns the paths removed or restored.
    /// </summary>
    public IReadOnlyList<string> RemoveStaleTemporaries()
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        var handled = new List<string>();
        foreach (var dir in System.IO.Directory.GetDirectories(Directory, "." + Prefix + "*"))
        {
            var match = StalePattern().Match(Path.GetFileName(dir));
            if (!match.Success) continue;
            var target = Path.Combine(Directory, match.Groups["name"].Value);
            if (match.Groups["kind"].Value == "old" && !System.IO.Directory.Exists(target)) System.IO.Directory.Move(dir, target);
            else System.IO.Directory.Delete(dir, recursive: true);
            handled.Add(dir);
        }
        return handled;
    }

    [GeneratedRegex(@"^\.(?<name>checkpoint-[0-9]+)\.[0-9a-f]{32}\.(?<kind>tmp|old)$")]
    private static partial Regex StalePattern();

    /// <summary>Restores model weights and optimizer state from a checkpoint folder; returns its trainer state.</summary>
    public static TrainerState Load(string path, PreTrainedModel model, AdamW optimizer)
    {
        if (!System.IO.Directory.Exists(path)) throw new InputException("checkpoint folder not found", path, field: "resume_from_checkpoint");
        var state = TrainerState.Load(path);
        using (var weights = SafeTensorsCheckpoint.Open(path))
            model.LoadWeights(weights, Path.Combine(path, SafeTensorsCheckpoint.WeightsName));
        using (var moments = SafeTensorsFile.Open(Path.Combine(path, OptimizerFile)))
        {
            long step = long.Parse(moments.Metadata.GetValueOrDefault("step", state.GlobalStep.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
            optimizer.LoadState(moments, step);
        }
        return state;
    }

    /// <summary>
    /// Deletes the oldest checkpoints beyond <paramref name="limit"/>, never the newest nor the one in <paramref name="keep"/> (the best),
    /// as HF's <c>_rotate_checkpoints</c>.
    /// </summary>
    public void Rotate(int? limit, string? keep)
    {
        if (limit is not int max) return;
        var all = List();
        var keepFull = keep is null ? null : Path.GetFullPath(keep);
        int excess = all.Count - max;
        // The newest checkpoint is never deleted: it is where a resume starts.
        foreach (var (_, path) in all.Take(all.Count - 1))
        {
            if (excess <= 0) break;
            if (string.Equals(Path.GetFullPath(path), keepFull, StringComparison.Ordinal)) continue;
            System.IO.Directory.Delete(path, recursive: true);
            excess--;
        }
    }
}
