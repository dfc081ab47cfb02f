using Classify.Core.IO;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Classify.Transformers.Models;

/// <summary>
/// Builds the right <c>*ForSequenceClassification</c> for a config's <c>model_type</c> (bert, roberta, distilbert,
/// modernbert), empty or from an HF model folder, as transformers' <c>AutoModelForSequenceClassification</c> does.
/// </summary>
public static class AutoModelForSequenceClassification
{
    /// <summary>
    /// A model for <paramref name="config"/> with freshly initialised weights (HF's <c>_init_weights</c> scheme),
    /// drawn from <paramref name="generator"/> or torch's global generator.
    /// </summary>
    public static SequenceClassificationModel FromConfig(PretrainedConfig config, ScalarType dtype = ScalarType.Float32, Generator? generator = null)
    {
        var model = Create(config);
        model.InitializeWeights(generator);
        return Cast(model, dtype);
    }

    /// <summary>
    /// Loads <c>config.json</c> and <c>model.safetensors</c> (or a sharded index) from <paramref name="directory"/>.
    /// A missing classification head is initialised (see <see cref="SequenceClassificationModel.LoadWeights"/>);
    /// <paramref name="report"/> lists missing and unexpected keys.
    /// </summary>
    /// <param name="directory">An HF model folder.</param>
    /// <param name="report">The keys that did not line up.</param>
    /// <param name="dtype">Float32 (default), Float64 (for parity checks) or BFloat16.</param>
    /// <param name="configure">Optional edits to the config before the model is built (e.g. dropout overrides, labels).</param>
    public static SequenceClassificationModel FromPretrained(string directory, out WeightLoadReport report,
        ScalarType dtype = ScalarType.Float32, Action<PretrainedConfig>? configure = null)
    {
        var config = PretrainedConfig.Load(directory).ToFamilyConfig();
        configure?.Invoke(config);
        return FromPretrained(config, directory, out report, dtype);
    }

    /// <summary>
    /// The model of <paramref name="config"/> (already read, for example by <see cref="HuggingFace.Inference.ClassifierFolder"/>)
    /// with the weights of <paramref name="directory"/>; <c>config.json</c> is not read again.
    /// </summary>
    public static SequenceClassificationModel FromPretrained(PretrainedConfig config, string directory, out WeightLoadReport report,
        ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(directory);
        var model = Create(config);
        using (var checkpoint = SafeTensorsCheckpoint.Open(directory))
            report = model.LoadWeights(checkpoint, Path.Combine(directory, SafeTensorsCheckpoint.WeightsName));
        return Cast(model, dtype);
    }

    /// <summary><see cref="FromPretrained(PretrainedConfig, string, out WeightLoadReport, ScalarType)"/> without the report.</summary>
    public static SequenceClassificationModel FromPretrained(PretrainedConfig config, string directory, ScalarType dtype = ScalarType.Float32) =>
        FromPretrained(config, directory, out _, dtype);

    /// <summary><see cref="FromPretrained(string, out WeightLoadReport, ScalarType, Action{PretrainedConfig}?)"/> without the report.</summary>
    public static SequenceClassificationModel FromPretrained(string directory, ScalarType dtype = ScalarType.Float32, Action<PretrainedConfig>? configure = null) =>
        FromPretrained(directory, out _, dtype, configure);

    /// <summary>The module tree for <paramref name="config"/>, weights not yet set.</summary>
    public static SequenceClassificationModel Create(PretrainedConfig config) => config.ToFamilyConfig() switch
    {
        RobertaConfig roberta => new RobertaForSequenceClassification(roberta),
        BertConfig bert => new BertForSequenceClassification(bert),
        DistilBertConfig distil => new DistilBertForSequenceClassification(distil),
        ModernBertConfig modern => new ModernBertForSequenceClassification(modern),
        _ => throw new InputException($"model_type '{config.ModelType}' is not supported", config.SourcePath, field: "model_type"),
    };

    private static SequenceClassificationModel Cast(SequenceClassificationModel model, ScalarType dtype)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.BFloat16))
            throw new ArgumentException($"dtype {dtype} is not supported; use Float32, Float64 or BFloat16", nameof(dtype));
        if (dtype != ScalarType.Float32) model.to(dtype);
        return model;
    }
}
