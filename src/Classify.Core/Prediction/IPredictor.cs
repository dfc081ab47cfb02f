using Classify.Core.Labels;
using Classify.Core.Training;

namespace Classify.Core.Prediction;

/// <summary>One input to a predictor: the text and, for conversation models, its preceding turns (oldest first).</summary>
/// <param name="Text">The text to classify (already cleaned when it reaches an engine).</param>
/// <param name="Context">Preceding turns, or null.</param>
public readonly record struct TextInput(string Text, IReadOnlyList<string>? Context = null)
{
    /// <summary>Wraps a plain text.</summary>
    public static implicit operator TextInput(string text) => new(text);
}

/// <summary>
/// How one forward pass runs: deterministic (evaluation mode, the default), or stochastic with dropout active and
/// everything else as in evaluation, its random draws seeded by <see cref="Seed"/> (one Monte-Carlo-dropout sample).
/// </summary>
public readonly record struct ForwardMode
{
    /// <summary>True for a pass with dropout active.</summary>
    public bool Dropout { get; init; }
    /// <summary>Seed of the pass's dropout masks (ignored when <see cref="Dropout"/> is false).</summary>
    public ulong Seed { get; init; }

    /// <summary>The evaluation-mode pass.</summary>
    public static ForwardMode Deterministic => default;

    /// <summary>
    /// A pass with dropout active, reproducible for a given seed. Several passes: <see cref="MonteCarloDropout.PredictPasses"/>.
    /// </summary>
    public static ForwardMode WithDropout(ulong seed) => new() { Dropout = true, Seed = seed };
}

/// <summary>
/// An engine's view of a loaded model: texts in, raw scores out (logits or decision values, before temperature).
/// Probabilities are derived in one place, <see cref="LinkFunction"/>, from the scores, the predictor's
/// <see cref="Link"/> and the manifest's temperature (<see cref="PredictorExtensions.PredictProbabilities(IPredictor, IReadOnlyList{TextInput}, CancellationToken)"/>).
/// Implementations must be safe to call from one thread at a time; <see cref="TextClassifier"/> adds cleaning and
/// decision rules on top.
/// </summary>
public interface IPredictor : IDisposable
{
    /// <summary>The package manifest this predictor was loaded from.</summary>
    ModelManifest Manifest { get; }

    /// <summary>How this model's scores become probabilities.</summary>
    ScoreLink Link { get; }

    /// <summary>
    /// True when the engine can run stochastic passes (<see cref="ForwardMode.Dropout"/>) for Monte-Carlo dropout
    /// (<see cref="MonteCarloDropout.PredictPasses"/>; an engine that can fuse passes also implements <see cref="IMultiPassPredictor"/>).
    /// </summary>
    bool SupportsDropout { get; }

    /// <summary>
    /// True when a dropout pass can differ from the deterministic one: <see cref="SupportsDropout"/> and some dropout
    /// probability of the model above 0. Monte-Carlo dropout of a model without it only repeats the deterministic scores
    /// (epistemic uncertainty 0), so <c>--mc-samples</c> above 1 is refused for it. Defaults to <see cref="SupportsDropout"/>.
    /// </summary>
    bool HasDropout => SupportsDropout;

    /// <summary>
    /// When <see cref="SupportsDropout"/> is false: why this model has no dropout to switch on and how to get one (for
    /// example an ONNX graph exported without <c>--mc-dropout</c>), quoted in the refusal of Monte-Carlo samples; null
    /// for the generic reason (the engine's models have none). Defaults to null.
    /// </summary>
    string? NoDropoutReason => null;

    /// <summary>
    /// Raw scores, one row per input in input order: <see cref="LinkFunction.ScoreCount"/> columns in
    /// <see cref="LabelSchema.Labels"/> order. A row never depends on the other inputs of the call.
    /// </summary>
    /// <exception cref="NotSupportedException"><paramref name="mode"/> asks for dropout and <see cref="SupportsDropout"/> is false.</exception>
    double[][] PredictScores(IReadOnlyList<TextInput> inputs, ForwardMode mode = default, CancellationToken cancellationToken = default);
}

/// <summary>Probabilities from any predictor, through the one link function.</summary>
public static class PredictorExtensions
{
    /// <summary>
    /// Per-label probabilities, one row per input, columns in <see cref="LabelSchema.Labels"/> order: the scores divided
    /// by the manifest's temperature (and per-label temperatures, if any), then the predictor's link.
    /// </summary>
    public static double[][] PredictProbabilities(this IPredictor predictor, IReadOnlyList<TextInput> inputs,
        CancellationToken cancellationToken = default) =>
        predictor.PredictProbabilities(inputs, ForwardMode.Deterministic, cancellationToken);

    /// <summary>Per-label probabilities of one (possibly stochastic) pass.</summary>
    public static double[][] PredictProbabilities(this IPredictor predictor, IReadOnlyList<TextInput> inputs, ForwardMode mode,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        return LinkFunction.Apply(predictor.PredictScores(inputs, mode, cancellationToken), predictor.Link, predictor.Manifest);
    }

    /// <summary>
    /// Scores for many inputs, <paramref name="batchSize"/> at a time, with cancellation between batches and progress
    /// after each: the one batched prediction loop (<see cref="TextClassifier"/>, evaluation and file scoring use it).
    /// </summary>
    public static double[][] PredictScores(this IPredictor predictor, IReadOnlyList<TextInput> inputs, int batchSize, ForwardMode mode,
        IProgress<ProgressUpdate>? progress, string? stage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var result = new double[inputs.Count][];
        var batch = new TextInput[Math.Min(batchSize, inputs.Count)];
        for (int start = 0; start < inputs.Count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int n = Math.Min(batchSize, inputs.Count - start);
            if (batch.Length != n) batch = new TextInput[n];
            for (int i = 0; i < n; i++) batch[i] = inputs[start + i];
            var scores = predictor.PredictScores(batch, mode, cancellationToken);
            if (scores.Length != n) throw new InvalidOperationException($"the {predictor.Manifest.Engine} engine returned {scores.Length} rows for {n} inputs");
            Array.Copy(scores, 0, result, start, n);
            progress?.Report(new ProgressUpdate(stage ?? "scoring", start + n, inputs.Count));
        }
        return result;
    }
}

/// <summary>
/// A model engine (linear, transformer, onnx …) that can load model packages and, optionally, train them. Engines
/// register themselves with <see cref="ModelEngines.Register"/>; the CLI registers every engine it ships.
/// </summary>
public interface IModelEngine
{
    /// <summary>The engine name written in classify.json and used as <c>engine:</c> in configs.</summary>
    string Name { get; }

    /// <summary>
    /// True when this engine can load <paramref name="directory"/>. <paramref name="manifest"/> is null for folders
    /// without classify.json (for example a plain Hugging Face checkpoint).
    /// </summary>
    bool CanLoad(string directory, ModelManifest? manifest);

    /// <summary>Loads the package.</summary>
    IPredictor Load(string directory, ModelManifest? manifest);

    /// <summary>A trainer for this engine, or null when the engine only predicts (for example ONNX).</summary>
    IClassifierTrainer? CreateTrainer() => null;
}
