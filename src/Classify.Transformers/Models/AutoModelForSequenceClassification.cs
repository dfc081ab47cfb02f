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
    /// Every parameter shape the config implies is checked against the weights' header before any tensor is
    /// allocated (see <see cref="PreTrainedModel.LoadWeights(ISafeTensorsReader, string, WeightLoadMode)"/>);
    /// <paramref name="report"/> lists the initialised and the ignored keys.
    /// </summary>
    /// <param name="directory">An HF model folder.</param>
    /// <param name="report">The keys that did not line up.</param>
    /// <param name="dtype">Float32 (default), Float64 (for parity checks) or BFloat16.</param>
    /// <param name="configure">Optional edits to the config before the model is built (e.g. dropout overrides, labels).</param>
    /// <param name="mode"><see cref="WeightLoadMode.Strict"/> (default): every parameter from the checkpoint;
    /// <see cref="WeightLoadMode.NewHead"/>: a missing or resized task head is initialised.</param>
    /// <exception cref="InputException">A bad config, missing or malformed weights, or weights that do not fit the config.</exception>
    public static SequenceClassificationModel FromPretrained(string directory, out WeightLoadReport report,
        ScalarType dtype = ScalarType.Float32, Action<PretrainedConfig>? configure = null, WeightLoadMode mode = WeightLoadMode.Strict)
    {
        var config = PretrainedConfig.Load(directory).ToFamilyConfig();
        configure?.Invoke(config);
        return FromPretrained(config, directory, out report, dtype, mode);
    }

    /// <summary>
    /// The model of <paramref name="config"/> (already read, for example by <see cref="HuggingFace.Inference.ClassifierFolder"/>)
    /// with the weights of <paramref name="directory"/>; <c>config.json</c> is not read again.
    /// </summary>
    public static SequenceClassificationModel FromPretrained(PretrainedConfig config, string directory, out WeightLoadReport report,
        ScalarType dtype = ScalarType.Float32, WeightLoadMode mode = WeightLoadMode.Strict)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(directory);
        using var weights = CheckedWeights.Open(config, directory, mode);
        return Load(weights, out report, dtype);
    }

    /// <summary>Builds and fills the model of weights already checked against their config (nothing is allocated before).</summary>
    internal static SequenceClassificationModel Load(CheckedWeights weights, out WeightLoadReport report, ScalarType dtype = ScalarType.Float32)
    {
        var model = Create(weights.Plan);
        try
        {
            report = model.LoadWeights(weights.Checkpoint, weights.Match);
            return Cast(model, dtype);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary><see cref="FromPretrained(PretrainedConfig, string, out WeightLoadReport, ScalarType, WeightLoadMode)"/> without the report.</summary>
    public static SequenceClassificationModel FromPretrained(PretrainedConfig config, string directory, ScalarType dtype = ScalarType.Float32) =>
        FromPretrained(config, directory, out _, dtype);

    /// <summary><see cref="FromPretrained(string, out WeightLoadReport, ScalarType, Action{PretrainedConfig}?, WeightLoadMode)"/> without the report.</summary>
    public static SequenceClassificationModel FromPretrained(string directory, ScalarType dtype = ScalarType.Float32, Action<PretrainedConfig>? configure = null) =>
        FromPretrained(directory, out _, dtype, configure);

    /// <summary>
    /// The module tree for <paramref name="config"/>, weights not yet set. The config is validated and its total size
    /// bounded (<see cref="ConfigLimits"/>) before anything is allocated.
    /// </summary>
    /// <exception cref="InputException">A bad, unsupported or too large config, naming its file and key.</exception>
    public static SequenceClassificationModel Create(PretrainedConfig config) => Create(ParameterPlan.For(config));

    internal static SequenceClassificationModel Create(ParameterPlan plan) => plan.Config switch
    {
        RobertaConfig roberta => new RobertaForSequenceClassification(roberta),
        BertConfig bert => new BertForSequenceClassification(bert),
        DistilBertConfig distil => new DistilBertForSequenceClassification(distil),
        ModernBertConfig modern => new ModernBertForSequenceClassification(modern),
        _ => throw new InputException($"model_type '{plan.Config.ModelType}' is not supported", plan.Config.SourcePath, field: "model_type"),
    };

    private static SequenceClassificationModel Cast(SequenceClassificationModel model, ScalarType dtype)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.BFloat16))
            throw new ArgumentException($"dtype {dtype} is not supported; use Float32, Float64 or BFloat16", nameof(dtype));
        if (dtype != ScalarType.Float32) model.to(dtype);
        return model;
    }
}
