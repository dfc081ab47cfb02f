using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Core.Training;
using Classify.HuggingFace.Inference;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.SafeTensors;
using Classify.HuggingFace.Tokenization;
using Classify.Transformers.Engine;
using Classify.Transformers.Models;
using static TorchSharp.torch;

namespace Classify.Transformers.Training;

/// <summary>The model and tokenizer a fine-tuning run starts from.</summary>
/// <param name="Directory">The resolved HF folder.</param>
/// <param name="Model">The classification model, labels set to the task's.</param>
/// <param name="Tokenizer">The tokenizer.</param>
/// <param name="PositionLimit">The longest input the model's position table covers.</param>
internal sealed record StartingModel(string Directory, SequenceClassificationModel Model, PreTrainedTokenizer Tokenizer, int PositionLimit);

/// <summary>
/// Resolves <c>model</c> (folder, Hub id, <c>scratch:…</c>) to an HF folder and builds the classification model
/// for the task's labels. A checkpoint head of another label count is dropped and re-initialised, as HF's
/// <c>ignore_mismatched_sizes=True</c>.
/// </summary>
internal static class ModelLoader
{
    /// <summary>
    /// The local folder of <paramref name="model"/>, through <see cref="ModelSources"/> (local paths first, then the
    /// registered sources: hub, scratch). <paramref name="scratchCacheRoot"/>, when set, sends <c>scratch:</c> specs to
    /// a scratch source writing there instead of the registered one (tests).
    /// </summary>
    public static string ResolveFolder(string model, int seed, string? scratchCacheRoot, IProgress<ProgressUpdate>? progress,
        CancellationToken cancellationToken)
    {
        var options = new ModelSourceOptions { Seed = seed, Progress = progress };
        var scratch = new ScratchModelSource(scratchCacheRoot);
        if (scratchCacheRoot is not null && scratch.Recognizes(model) && !Directory.Exists(model))
            return scratch.ResolveAsync(model, options, cancellationToken).GetAwaiter().GetResult();
        return ModelSources.Resolve(model, options, cancellationToken);
    }

    /// <summary>
    /// The classification model for <paramref name="schema"/>'s labels on the encoder of <paramref name="directory"/>.
    /// The config and the weights' header are checked (<see cref="CheckedWeights"/>) before anything is allocated; the
    /// encoder must be complete, while a head that is absent (a base checkpoint) or sized for another label count is
    /// initialised and announced through <paramref name="log"/> as HF's "newly initialized" note.
    /// </summary>
    public static StartingModel Load(string directory, string? tokenizerDirectory, LabelSchema schema, int seed, Action<string>? log = null)
    {
        var config = PretrainedConfig.Load(directory).ToFamilyConfig();
        var architectures = config.Json["architectures"] is null ? [] : config.Architectures;
        config.SetLabels(schema.Labels);
        config.ProblemType = TrainingLoss.ProblemType(schema);
        using var weights = CheckedWeights.Open(config, directory, WeightLoadMode.NewHead);
        var tokenizer = AutoTokenizer.FromPretrained(tokenizerDirectory ?? directory);
        ClassifierFolder.CheckVocabulary(weights.Plan.Config, tokenizer, Path.GetFullPath(tokenizerDirectory ?? directory));

        // The head (and a missing one) is drawn from the seeded global generator, so runs repeat exactly.
        random.manual_seed(seed);
        var model = AutoModelForSequenceClassification.Load(weights, out var report);
        var name = model.GetType().Name;
        model.Config.Architectures = [name];
        if (log is not null)
        {
            if (report.MissingKeys.Count > 0)
                log($"Some weights of {name} were not initialized from the model checkpoint at {directory} and are newly initialized: " +
                    ParameterPlan.ListNames(report.MissingKeys));
            if (report.MismatchedKeys.Count > 0)
                log($"Some weights of {name} were not initialized from the model checkpoint at {directory} and are newly initialized " +
                    $"because the shapes did not match: {ParameterPlan.ListNames(report.MismatchedKeys)}");
            // As HF: unused tensors are worth a note only when the checkpoint was saved from this very architecture.
            if (report.UnexpectedKeys.Count > 0 && architectures.Contains(name))
                log($"Some weights of the model checkpoint at {directory} were not used when initializing {name}: {ParameterPlan.ListNames(report.UnexpectedKeys)}");
        }
        return new StartingModel(directory, model, tokenizer, ClassifierFolder.PositionLimit(weights.Plan.Config));
    }
}
