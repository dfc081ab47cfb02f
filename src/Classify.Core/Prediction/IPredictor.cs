using Classify.Core.Labels;

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
/// An engine's view of a loaded model: texts in, per-label probabilities out. Probabilities are a softmax over
/// labels for binary/multiclass and independent sigmoids for multilabel, after the manifest's temperature.
/// Implementations must be safe to call from one thread at a time; <see cref="TextClassifier"/> adds cleaning
/// and decision rules on top.
/// </summary>
public interface IPredictor : IDisposable
{
    /// <summary>The package manifest this predictor was loaded from.</summary>
    ModelManifest Manifest { get; }

    /// <summary>Per-label probabilities, one row per input, columns in <see cref="LabelSchema.Labels"/> order.</summary>
    double[][] PredictProbabilities(IReadOnlyList<TextInput> inputs, CancellationToken cancellationToken = default);
}

/// <summary>
/// A model engine (linear, transformer, onnx …) that can load model packages. Engines register themselves with
/// <see cref="ModelEngines.Register"/>; the CLI registers every engine it ships.
/// </summary>
public interface IModelEngine
{
    /// <summary>The engine name written in classify.json.</summary>
    string Name { get; }

    /// <summary>
    /// True when this engine can load <paramref name="directory"/>. <paramref name="manifest"/> is null for folders
    /// without classify.json (for example a plain Hugging Face checkpoint).
    /// </summary>
    bool CanLoad(string directory, ModelManifest? manifest);

    /// <summary>Loads the package.</summary>
    IPredictor Load(string directory, ModelManifest? manifest);
}
