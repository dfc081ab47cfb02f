using Classify.Core.IO;

namespace Classify.HuggingFace.Configuration;

/// <summary>
/// Architecture presets for randomly initialised models (<c>--model scratch:&lt;family&gt;-&lt;size&gt;</c>), e.g.
/// <c>bert-tiny</c> or <c>modernbert-base</c>. Sizes follow Google's BERT miniatures (tiny 2×128, mini 4×256,
/// small 4×512, medium 8×512, base 12×768, heads = hidden/64, feed-forward 4× hidden); ModernBERT keeps its
/// 1.5× gated feed-forward and base is ModernBERT-base (22 layers). Vocabulary sizes match the real
/// tokenizers: bert-base-uncased 30522, roberta-base 50265, ModernBERT-base 50368.
/// </summary>
public static class ScratchConfigs
{
    /// <summary>Family names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Families { get; } = [BertConfig.Type, RobertaConfig.Type, DistilBertConfig.Type, ModernBertConfig.Type];

    /// <summary>Size names accepted by <see cref="Create"/>.</summary>
    public static IReadOnlyList<string> Sizes { get; } = ["tiny", "mini", "small", "medium", "base"];

    /// <summary>Every preset name, <c>family-size</c>.</summary>
    public static IReadOnlyList<string> Names { get; } = Families.SelectMany(f => Sizes.Select(s => $"{f}-{s}")).ToList();

    private static (int Layers, int Hidden, int Heads) Shape(string size) => size switch
    {
        "tiny" => (2, 128, 2),
        "mini" => (4, 256, 4),
        "small" => (4, 512, 8),
        "medium" => (8, 512, 8),
        "base" => (12, 768, 12),
        _ => throw new ArgumentOutOfRangeException(nameof(size)),
    };

    /// <summary>
    /// The config for a preset such as <c>roberta-small</c> (case-insensitive), with every key written out.
    /// Throws <see cref="InputException"/> listing the valid names for an unknown one.
    /// </summary>
    public static PretrainedConfig Create(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var dash = name.LastIndexOf('-');
        var family = dash > 0 ? name[..dash].ToLowerInvariant() : "";
        var size = dash > 0 ? name[(dash + 1)..].ToLowerInvariant() : "";
        if (!Families.Contains(family) || !Sizes.Contains(size))
            throw new InputException($"unknown scratch model '{name}'; expected one of {string.Join(", ", Names)}", field: "model");

        var (layers, hidden, heads) = Shape(size);
        switch (family)
        {
            case BertConfig.Type:
                return new BertConfig { NumHiddenLayers = layers, HiddenSize = hidden, NumAttentionHeads = heads, IntermediateSize = 4 * hidden };
            case RobertaConfig.Type:
                return new RobertaConfig { NumHiddenLayers = layers, HiddenSize = hidden, NumAttentionHeads = heads, IntermediateSize = 4 * hidden };
            case DistilBertConfig.Type:
                // DistilBERT's base is distilbert-base-uncased: 6 layers of bert-base width.
                return new DistilBertConfig { NLayers = size == "base" ? 6 : layers, Dim = hidden, NHeads = heads, HiddenDim = 4 * hidden };
            default:
                var config = new ModernBertConfig { HiddenSize = hidden, NumAttentionHeads = heads, IntermediateSize = 3 * hidden / 2 };
                config.NumHiddenLayers = size == "base" ? 22 : layers;
                return config;
        }
    }
}
