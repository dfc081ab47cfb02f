using System.Text.Json.Nodes;
using Classify.Core.Data;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Core.Runs;

namespace Classify.Core.Training;

/// <summary>
/// An engine's trainer: fits a model on the training split (using the validation split for model selection or
/// early stopping where the engine does that), writes the model package and returns a predictor over it.
/// The <see cref="Runs.Experiment"/> does everything around it (data, cleaning, splits, evaluation, run folder).
/// </summary>
public interface IClassifierTrainer
{
    /// <summary>Engine name written to classify.json (linear, transformer …).</summary>
    string Engine { get; }

    /// <summary>
    /// Checks the engine's config section before anything is written, so a typo fails the run before the run folder
    /// exists. Throws <see cref="IO.InputException"/> naming <paramref name="source"/> and the key.
    /// </summary>
    void ValidateOptions(JsonObject options, LabelSchema schema, string? source) { }

    /// <summary>Trains and writes the model package to <see cref="TrainingRequest.ModelDirectory"/>.</summary>
    TrainingOutcome Train(TrainingRequest request, CancellationToken cancellationToken);
}

/// <summary>Everything a trainer gets. Texts are already cleaned with the manifest's cleaning options.</summary>
public sealed class TrainingRequest
{
    /// <summary>Task and labels.</summary>
    public required LabelSchema Schema { get; init; }
    /// <summary>Training examples.</summary>
    public required IReadOnlyList<Example> Train { get; init; }
    /// <summary>Validation examples.</summary>
    public required IReadOnlyList<Example> Validation { get; init; }
    /// <summary>The engine's config section (for example the <c>linear:</c> block of the YAML file).</summary>
    public required JsonObject Options { get; init; }
    /// <summary>The run seed.</summary>
    public int Seed { get; init; }
    /// <summary>Where the model package goes (written atomically by the trainer).</summary>
    public required string ModelDirectory { get; init; }
    /// <summary>The run folder (for logs, checkpoints and search tables).</summary>
    public required RunLayout Run { get; init; }
    /// <summary>The manifest fields common to every engine (task, labels, cleaning, context); the trainer adds its own.</summary>
    public required ModelManifest Manifest { get; init; }
    /// <summary>Progress of long steps, for progress bars.</summary>
    public IProgress<ProgressUpdate>? Progress { get; init; }
}

/// <summary>What training produced.</summary>
/// <param name="Predictor">A predictor over the saved package.</param>
/// <param name="Best">The selected configuration and its score, for run.json (or null).</param>
/// <param name="Trials">Every configuration tried (search trials), for the ledger.</param>
public sealed record TrainingOutcome(IPredictor Predictor, JsonObject? Best, IReadOnlyList<TrialRecord> Trials);

/// <summary>A progress report for a long step.</summary>
/// <param name="Stage">What is running (e.g. "grid search", "epoch 2/3").</param>
/// <param name="Completed">Units done.</param>
/// <param name="Total">Units in all (0 when unknown).</param>
/// <param name="Detail">Short status text (e.g. "loss 0.412 lr 1.9e-5").</param>
public sealed record ProgressUpdate(string Stage, long Completed, long Total, string? Detail = null);
