using Classify.Core.IO;
using Classify.HuggingFace.Configuration;
using TorchSharp;
using static TorchSharp.torch;

namespace Classify.Transformers.Models;

/// <summary>
/// Builds the right <c>*ForMaskedLM</c> for a config's <c>model_type</c> (bert, roberta, distilbert, modernbert), empty or
/// from an HF model folder, as transformers' <c>AutoModelForMaskedLM</c> does. A folder saved by any of the families'
/// models loads: an MLM checkpoint exactly (with or without the tied decoder weight), a classification or base-encoder
/// checkpoint with <see cref="WeightLoadMode.NewHead"/> (the MLM head is then initialised).
/// </summary>
public static class AutoModelForMaskedLM
{
    /// <summary>A model for <paramref name="config"/> with freshly initialised weights, drawn from <paramref name="generator"/> or torch's global generator.</summary>
    public static MaskedLMModel FromConfig(PretrainedConfig config, ScalarType dtype = ScalarType.Float32, Generator? generator = null)
    {
        var model = Create(config);
        model.InitializeWeights(generator);
        return Cast(model, dtype);
    }

    /// <summary>
    /// Loads <c>config.json</c> and the weights of <paramref name="directory"/>; every shape is checked against the header
    /// before anything is allocated. <paramref name="report"/> lists the initialised and the ignored keys (the tied decoder
    /// weight, when stored, is neither).
    /// </summary>
    /// <param name="directory">An HF model folder.</param>
    /// <param name="report">The keys that did not line up.</param>
    /// <param name="dtype">Float32 (default), Float64 or BFloat16.</param>
    /// <param name="configure">Optional edits to the config before the model is built (e.g. dropout overrides).</param>
    /// <param name="mode"><see cref="WeightLoadMode.Strict"/> (default) or <see cref="WeightLoadMode.NewHead"/> (the MLM head may be absent).</param>
    /// <exception cref="InputException">A bad config, missing or malformed weights, or weights that do not fit the config.</exception>
    public static MaskedLMModel FromPretrained(string directory, out WeightLoadReport report, ScalarType dtype = ScalarType.Float32,
        Action<PretrainedConfig>? configure = null, WeightLoadMode mode = WeightLoadMode.Strict)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var config = PretrainedConfig.Load(directory).ToFamilyConfig();
        configure?.Invoke(config);
        using var weights = CheckedWeights.Open(config, directory, mode, ModelHead.MaskedLM);
        var model = Create(weights.Plan.Config);
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

    /// <summary><see cref="FromPretrained(string, out WeightLoadReport, ScalarType, Action{PretrainedConfig}?, WeightLoadMode)"/> without the report.</summary>
    public static MaskedLMModel FromPretrained(string directory, ScalarType dtype = ScalarType.Float32, Action<PretrainedConfig>? configure = null) =>
        FromPretrained(directory, out _, dtype, configure);

    /// <summary>The module tree for <paramref name="config"/>, weights not yet set; the config is validated and bounded first.</summary>
    /// <exception cref="InputException">A bad, unsupported or too large config, naming its file and key.</exception>
    public static MaskedLMModel Create(PretrainedConfig config) => ParameterPlan.For(config, ModelHead.MaskedLM).Config switch
    {
        RobertaConfig roberta => new RobertaForMaskedLM(roberta),
        BertConfig bert => new BertForMaskedLM(bert),
        DistilBertConfig distil => new DistilBertForMaskedLM(distil),
        ModernBertConfig modern => new ModernBertForMaskedLM(modern),
        var other => throw new InputException($"model_type '{other.ModelType}' is not supported", other.SourcePath, field: "model_type"),
    };

    private static MaskedLMModel Cast(MaskedLMModel model, ScalarType dtype)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.Float64 or ScalarType.BFloat16))
            throw new ArgumentException($"dtype {dtype} is not supported; use Float32, Float64 or BFloat16", nameof(dtype));
        if (dtype != ScalarType.Float32) model.to(dtype);
        return model;
    }
}
