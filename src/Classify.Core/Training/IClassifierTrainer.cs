using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.Data;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Core.Runs;

namespace Classify.Core.Training;

/// <summary>
/// An engine's trainer: parses its config section into typed options, then fits a model on the training split (using
/// the validation split for model selection or early stopping where the engine does that). The
/// <see cref="Experiment"/> does everything around it (data, cleaning, splits, thresholds, evaluation, the package and
/// the run folder). Engines usually derive from <see cref="ClassifierTrainer{TOptions}"/>.
/// </summary>
public interface IClassifierTrainer
{
    /// <summary>Engine name written to classify.json and used as <c>engine:</c> in configs (linear, transformer …).</summary>
    string Engine { get; }

    /// <summary>
    /// Reads and validates the engine's config section (for example <c>linear:</c>) into the engine's typed options.
    /// Called once, before anything is written; errors are <see cref="IO.InputException"/>s naming the file, line and key
    /// (use <see cref="ConfigReader.Error"/>). Every key must be read, so a typo fails here.
    /// </summary>
    object ParseOptions(ConfigReader section, LabelSchema schema);

    /// <summary>
    /// Checks parsed options against the prepared split (for example cross-validation folds against class sizes), before
    /// anything is written. Errors are <see cref="IO.InputException"/>s naming the file, line and key; warnings go to
    /// <paramref name="log"/>. The default checks nothing.
    /// </summary>
    void CheckTrainingData(object options, LabelSchema schema, IReadOnlyList<Example> train, int validationCount, Action<string>? log) { }

    /// <summary>Trains. <see cref="TrainingRequest.Options"/> is what <see cref="ParseOptions"/> returned.</summary>
    TrainingOutcome Train(TrainingRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// False when no model these options train can have dropout (Monte-Carlo dropout, <c>uncertainty.mc_samples</c>
    /// above 1, is then refused before training). The default is true; the trained model has the last word
    /// (<see cref="IPredictor.HasDropout"/>).
    /// </summary>
    bool ModelsHaveDropout(object options) => true;
}

/// <summary>A trainer with typed options: the cast from <see cref="TrainingRequest.Options"/> is done once, here.</summary>
/// <typeparam name="TOptions">The engine's options record.</typeparam>
public abstract class ClassifierTrainer<TOptions> : IClassifierTrainer where TOptions : class
{
    /// <inheritdoc />
    public abstract string Engine { get; }

    /// <summary>Reads and validates the engine's config section (see <see cref="IClassifierTrainer.ParseOptions"/>).</summary>
    public abstract TOptions ParseOptions(ConfigReader section, LabelSchema schema);

    /// <summary>Trains with parsed options.</summary>
    public abstract TrainingOutcome Train(TrainingRequest request, TOptions options, CancellationToken cancellationToken);

    object IClassifierTrainer.ParseOptions(ConfigReader section, LabelSchema schema) => ParseOptions(section, schema);

    /// <summary>False when no model these options train can have dropout (see <see cref="IClassifierTrainer.ModelsHaveDropout"/>). The default is true.</summary>
    public virtual bool ModelsHaveDropout(TOptions options) => true;

    bool IClassifierTrainer.ModelsHaveDropout(object options) => ModelsHaveDropout((TOptions)options);

    /// <summary>Checks parsed options against the prepared split (see <see cref="IClassifierTrainer.CheckTrainingData"/>).</summary>
    public virtual void CheckTrainingData(TOptions options, LabelSchema schema, IReadOnlyList<Example> train, int validationCount, Action<string>? log) { }

    void IClassifierTrainer.CheckTrainingData(object options, LabelSchema schema, IReadOnlyList<Example> train, int validationCount, Action<string>? log) =>
        CheckTrainingData((TOptions)options, schema, train, validationCount, log);

    TrainingOutcome IClassifierTrainer.Train(TrainingRequest request, CancellationToken cancellationToken) =>
        Train(request, request.Options as TOptions ?? throw new ArgumentException(
            $"the {Engine} trainer needs {typeof(TOptions).Name}, got {request.Options?.GetType().Name ?? "null"}", nameof(request)),
            cancellationToken);
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
    /// <summary>The engine's typed options, as returned by <see cref="IClassifierTrainer.ParseOptions"/>.</summary>
    public required object Options { get; init; }
    /// <summary>The run seed.</summary>
    public int Seed { get; init; }
    /// <summary>The run folder (for logs, checkpoints and search tables).</summary>
    public required RunLayout Run { get; init; }
    /// <summary>The manifest fields common to every engine (task, labels, cleaning, context); the trainer adds its own.</summary>
    public required ModelManifest Manifest { get; init; }
    /// <summary>Progress of long steps, for progress bars.</summary>
    public IProgress<ProgressUpdate>? Progress { get; init; }
    /// <summary>Told of every evaluation during training; any of them may stop training (pruning, custom early stopping).</summary>
    public IReadOnlyList<ITrainerCallback> Callbacks { get; init; } = [];
    /// <summary>One-line status messages (for example "early stopping at step 400").</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>
/// A trained model held by its trainer until the experiment writes it: a predictor over it, and the package writer.
/// </summary>
public interface ITrainedModel : IDisposable
{
    /// <summary>
    /// Predicts with the trained model. Its manifest is the one the package will carry, before the experiment adds
    /// decision thresholds.
    /// </summary>
    IPredictor Predictor { get; }

    /// <summary>
    /// Writes the whole package (engine files and <c>classify.json</c> = <paramref name="manifest"/>) into
    /// <paramref name="directory"/>, an empty folder that the caller then moves into place atomically.
    /// </summary>
    void Save(string directory, ModelManifest manifest);
}

/// <summary>What training produced.</summary>
/// <param name="Model">The trained model (the experiment saves it once, with tuned thresholds).</param>
/// <param name="Best">The selected configuration and its score, for run.json (or null).</param>
/// <param name="Trials">Every configuration tried (search trials), for the ledger.</param>
/// <param name="Summary">Engine facts for run.json's <c>training</c> key (steps, early stopping, best checkpoint …), or null.</param>
public sealed record TrainingOutcome(ITrainedModel Model, JsonObject? Best, IReadOnlyList<TrialRecord> Trials, JsonObject? Summary = null);

/// <summary>A progress report for a long step.</summary>
/// <param name="Stage">What is running (e.g. "grid search", "epoch 2/3").</param>
/// <param name="Completed">Units done.</param>
/// <param name="Total">Units in all (0 when unknown).</param>
/// <param name="Detail">Short status text (e.g. "loss 0.412 lr 1.9e-5").</param>
public sealed record ProgressUpdate(string Stage, long Completed, long Total, string? Detail = null);
