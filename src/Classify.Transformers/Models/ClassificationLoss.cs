using Classify.HuggingFace.Configuration;
using static TorchSharp.torch;

namespace Classify.Transformers.Models;

/// <summary>The losses transformers' <c>*ForSequenceClassification</c> heads use, chosen by <c>problem_type</c>.</summary>
public static class ClassificationLoss
{
    /// <summary><c>problem_type</c> for one class index per example (cross-entropy).</summary>
    public const string SingleLabel = "single_label_classification";
    /// <summary><c>problem_type</c> for multi-hot targets (binary cross-entropy with logits).</summary>
    public const string MultiLabel = "multi_label_classification";
    /// <summary><c>problem_type</c> for a real-valued target (mean squared error).</summary>
    public const string Regression = "regression";

    /// <summary>
    /// The problem type HF infers when the config has none: regression for one label, single-label for integer
    /// labels, multi-label otherwise.
    /// </summary>
    public static string Infer(int numLabels, Tensor labels) =>
        numLabels == 1 ? Regression
        : labels.dtype is ScalarType.Int64 or ScalarType.Int32 ? SingleLabel
        : MultiLabel;

    /// <summary>
    /// Mean loss of <paramref name="logits"/> against <paramref name="labels"/>: cross-entropy for
    /// <see cref="SingleLabel"/> (labels <c>[batch]</c> int64), BCE-with-logits for <see cref="MultiLabel"/>
    /// (labels <c>[batch, num_labels]</c> 0/1, optional per-label <paramref name="posWeight"/>), MSE for
    /// <see cref="Regression"/>.
    /// </summary>
    public static Tensor Compute(Tensor logits, Tensor labels, string problemType, Tensor? posWeight = null) => problemType switch
    {
        SingleLabel => nn.functional.cross_entropy(logits.view(-1, logits.shape[^1]), labels.view(-1)),
        MultiLabel => nn.functional.binary_cross_entropy_with_logits(logits, labels.to_type(logits.dtype), pos_weights: posWeight?.to_type(logits.dtype)),
        Regression => nn.functional.mse_loss(logits.squeeze(), labels.to_type(logits.dtype).squeeze()),
        _ => throw new ArgumentException($"unknown problem_type '{problemType}'", nameof(problemType)),
    };

    /// <summary>
    /// The loss HF's forward pass computes for this config. Like transformers, an absent <c>problem_type</c> is
    /// inferred and written into <paramref name="config"/>.
    /// </summary>
    public static Tensor Compute(PretrainedConfig config, Tensor logits, Tensor labels, Tensor? posWeight = null)
    {
        config.ProblemType ??= Infer(config.NumLabels, labels);
        return Compute(logits, labels, config.ProblemType, posWeight);
    }
}
