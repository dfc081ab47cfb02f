using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Classify.Core.IO;

namespace Classify.Transformers.Training;

/// <summary>
/// <c>trainer_state.json</c> of a checkpoint, with Hugging Face's key names: progress, the best evaluation so far,
/// early-stopping patience and the log history (the rows of log.jsonl up to this step).
/// </summary>
internal sealed class TrainerState
{
    /// <summary>File name inside a checkpoint folder.</summary>
    public const string FileName = "trainer_state.json";

    /// <summary><c>global_step</c>: optimizer steps taken.</summary>
    [JsonPropertyName("global_step")] public int GlobalStep { get; set; }
    /// <summary><c>epoch</c>: fractional epochs completed.</summary>
    [JsonPropertyName("epoch")] public double Epoch { get; set; }
    /// <summary><c>max_steps</c>: total optimizer steps of the run.</summary>
    [JsonPropertyName("max_steps")] public int MaxSteps { get; set; }
    /// <summary><c>num_train_epochs</c>: epochs the run spans.</summary>
    [JsonPropertyName("num_train_epochs")] public int NumTrainEpochs { get; set; }
    /// <summary><c>train_batch_size</c>.</summary>
    [JsonPropertyName("train_batch_size")] public int TrainBatchSize { get; set; }
    /// <summary><c>best_metric</c>: the best value of <see cref="MetricForBestModel"/>, or null before the first evaluation.</summary>
    [JsonPropertyName("best_metric")] public double? BestMetric { get; set; }
    /// <summary><c>best_global_step</c>: the step of the best evaluation.</summary>
    [JsonPropertyName("best_global_step")] public int? BestGlobalStep { get; set; }
    /// <summary><c>best_model_checkpoint</c>: the checkpoint folder holding the best weights, or null.</summary>
    [JsonPropertyName("best_model_checkpoint")] public string? BestModelCheckpoint { get; set; }
    /// <summary>The metric the best model is chosen on.</summary>
    [JsonPropertyName("metric_for_best_model")] public string? MetricForBestModel { get; set; }
    /// <summary>Evaluations in a row without improvement (HF's <c>early_stopping_patience_counter</c>).</summary>
    [JsonPropertyName("early_stopping_patience_counter")] public int EarlyStoppingPatienceCounter { get; set; }
    /// <summary><c>should_training_stop</c>: set when early stopping triggered.</summary>
    [JsonPropertyName("should_training_stop")] public bool ShouldTrainingStop { get; set; }
    /// <summary><c>log_history</c>: every logged row so far.</summary>
    [JsonPropertyName("log_history")] public List<JsonObject> LogHistory { get; set; } = new();

    /// <summary>Writes the state atomically.</summary>
    public void Save(string directory) => AtomicFile.WriteJson(Path.Combine(directory, FileName), this);

    /// <summary>Reads the state of a checkpoint folder.</summary>
    public static TrainerState Load(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path)) throw new InputException($"not a checkpoint folder: no {FileName}", directory);
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path), AtomicFile.JsonOptions)
                   ?? throw new InputException("empty trainer state", path);
        }
        catch (JsonException e)
        {
            throw new InputException($"malformed JSON: {e.Message}", path, e.LineNumber + 1, e.Path, e);
        }
    }
}
