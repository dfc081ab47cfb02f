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

    public static StartingModel Load(string directory, string? tokenizerDirectory, LabelSchema schema, int seed)
    {
        var tokenizer = AutoTokenizer.FromPretrained(tokenizerDirectory ?? directory);
        var config = PretrainedConfig.Load(directory).ToFamilyConfig();
        config.SetLabels(schema.Labels);
        config.ProblemType = TrainingLoss.ProblemType(schema);
        if (config.Json["vocab_size"]?.GetValue<int>() is int vocab && vocab < tokenizer.Count)
            throw new InputException($"the tokenizer produces ids up to {tokenizer.Count - 1} but the model embeds only {vocab}",
                Path.Combine(directory, PretrainedConfig.FileName), field: "vocab_size");

        // The head (and a missing one) is drawn from the seeded global generator, so runs repeat exactly.
        random.manual_seed(seed);
        var model = AutoModelForSequenceClassification.Create(config);
        model.Config.Architectures = [model.GetType().Name];
        using (var checkpoint = SafeTensorsCheckpoint.Open(directory))
        using (var matching = new HeadFilter(checkpoint, model))
            model.LoadWeights(matching, Path.Combine(directory, SafeTensorsCheckpoint.WeightsName));
        return new StartingModel(directory, model, tokenizer, ClassifierFolder.PositionLimit(config));
    }

    /// <summary>Hides checkpoint tensors of the classification head whose shape differs from the model's (another label count).</summary>
    private sealed class HeadFilter : ISafeTensorsReader
    {
        private readonly ISafeTensorsReader _inner;
        private readonly Dictionary<string, SafeTensorInfo> _tensors;

        public HeadFilter(ISafeTensorsReader inner, SequenceClassificationModel model)
        {
            _inner = inner;
            var shapes = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape, StringComparer.Ordinal);
            _tensors = inner.Tensors
                .Where(t => !(t.Key.StartsWith("classifier.", StringComparison.Ordinal)
                              && shapes.TryGetValue(t.Key, out var shape) && !shape.SequenceEqual(t.Value.Shape)))
                .ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal);
        }

        public IReadOnlyDictionary<string, SafeTensorInfo> Tensors => _tensors;
        public IReadOnlyDictionary<string, string> Metadata => _inner.Metadata;
        public bool Contains(string name) => _tensors.ContainsKey(name);
        public ReadOnlySpan<byte> GetBytes(string name) => _inner.GetBytes(name);
        public float[] ReadFloat32(string name) => _inner.ReadFloat32(name);
        public double[] ReadFloat64(string name) => _inner.ReadFloat64(name);
        public long[] ReadInt64(string name) => _inner.ReadInt64(name);
        public void Dispose() { }
    }
}
