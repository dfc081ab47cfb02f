using Classify.Core.IO;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.SafeTensors;
using Classify.HuggingFace.Tokenization;
using Classify.Transformers.Models;
using Classify.Transformers.Native;
using static TorchSharp.torch;

namespace Classify.Transformers.Engine;

/// <summary>
/// Randomly initialised models for <c>scratch:&lt;family&gt;-&lt;size&gt;</c> (e.g. <c>scratch:bert-mini</c>; shapes from
/// <see cref="ScratchConfigs"/>). Each is materialised once as an ordinary Hugging Face folder — <c>config.json</c>,
/// <c>model.safetensors</c> and the family's real tokenizer files — so training and prediction treat it exactly
/// like a downloaded base checkpoint.
/// </summary>
/// <remarks>
/// Like a published base checkpoint (bert-base-uncased, roberta-base …) the folder holds the encoder only
/// (the keys under the family's <see cref="PreTrainedModel.BaseModelPrefix"/>); the classification
/// head is initialised when the folder is loaded with the task's labels. Its config carries HF's default
/// two labels (<c>LABEL_0</c>, <c>LABEL_1</c>).
/// </remarks>
public static class ScratchModels
{
    /// <summary>The prefix that marks a scratch model spec.</summary>
    public const string Prefix = "scratch:";

    /// <summary>True when <paramref name="model"/> is a <c>scratch:…</c> spec.</summary>
    public static bool IsScratch(string model) => model.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Where scratch models are cached: <c>$CLASSIFY_CACHE/scratch</c>, else <c>$XDG_CACHE_HOME/classify/scratch</c>,
    /// else <c>~/.cache/classify/scratch</c>.
    /// </summary>
    public static string DefaultCacheRoot
    {
        get
        {
            static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
            if (Env("CLASSIFY_CACHE") is { } classify) return Path.Combine(classify, "scratch");
            var cache = Env("XDG_CACHE_HOME") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
            return Path.Combine(cache, "classify", "scratch");
        }
    }

    /// <summary>
    /// The folder of scratch model <paramref name="spec"/> (<c>scratch:bert-tiny</c> or just <c>bert-tiny</c>) drawn
    /// with <paramref name="seed"/>: <c>&lt;cacheRoot&gt;/&lt;family-size&gt;-seed&lt;seed&gt;</c>, written atomically on first
    /// use and reused afterwards. The same spec and seed always give the same weights.
    /// </summary>
    /// <exception cref="InputException">Unknown family or size (the message lists the valid names).</exception>
    public static string Create(string spec, string? cacheRoot = null, int seed = 42)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var name = (IsScratch(spec) ? spec[Prefix.Length..] : spec).Trim().ToLowerInvariant();
        var config = ScratchConfigs.Create(name);
        var directory = Path.Combine(Path.GetFullPath(cacheRoot ?? DefaultCacheRoot), $"{name}-seed{seed}");
        if (IsComplete(directory)) return directory;

        AtomicFile.WriteDirectory(directory, staging => Write(config, seed, staging));
        return directory;
    }

    private static bool IsComplete(string directory) =>
        File.Exists(Path.Combine(directory, PretrainedConfig.FileName)) &&
        File.Exists(Path.Combine(directory, SafeTensorsCheckpoint.WeightsName));

    private static void Write(PretrainedConfig config, int seed, string directory)
    {
        var tokenizerName = BundledTokenizers.ForFamily(config.ModelType!);
        BundledTokenizers.WriteTo(tokenizerName, directory);
        // The embedding table must cover every id the tokenizer can produce, added tokens included.
        var tokenizer = AutoTokenizer.FromPretrained(directory);
        config.Json["vocab_size"] = Math.Max(tokenizer.Count, config.Json["vocab_size"]?.GetValue<int>() ?? 0);
        config.Architectures = [ArchitectureName(config.ModelType!)];
        config.TorchDtype = "float32";

        var encoder = DrawEncoder(config, seed);
        config.Save(directory);
        SafeTensorsWriter.Write(Path.Combine(directory, SafeTensorsCheckpoint.WeightsName), encoder, SafeTensorsWriter.PyTorchMetadata);
    }

    private static List<SafeTensorsEntry> DrawEncoder(PretrainedConfig config, int seed)
    {
        TorchRuntime.EnsureInitialized();
        // Every draw comes from this generator, never torch's global one, so concurrent work cannot change the weights.
        using var generator = new Generator((ulong)seed);
        using var model = AutoModelForSequenceClassification.FromConfig(config, ScalarType.Float32, generator);
        var prefix = model.BaseModelPrefix + ".";
        return model.ToSafeTensors().Where(e => e.Name.StartsWith(prefix, StringComparison.Ordinal)).ToList();
    }

    private static string ArchitectureName(string modelType) => modelType switch
    {
        BertConfig.Type => "BertForSequenceClassification",
        RobertaConfig.Type => "RobertaForSequenceClassification",
        DistilBertConfig.Type => "DistilBertForSequenceClassification",
        _ => "ModernBertForSequenceClassification",
    };
}
