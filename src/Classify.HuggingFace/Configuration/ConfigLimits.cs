namespace Classify.HuggingFace.Configuration;

/// <summary>
/// Absolute bounds on the sizes a <c>config.json</c> may ask for, checked by <see cref="PretrainedConfig.Validate"/>
/// before anything is allocated. A config beside weights is also checked tensor by tensor against the weights'
/// header; these bounds are for what no header vouches for (a config without weights, or one read before its
/// weights), so that a few bytes of JSON cannot ask for terabytes. Each is several times the largest published
/// encoder of the supported families (bert-large, roberta-large, ModernBERT-large: ≤ 24 layers, hidden ≤ 1024,
/// feed-forward ≤ 5248, vocabulary ≤ 250k, 8192 positions).
/// </summary>
public static class ConfigLimits
{
    /// <summary><c>num_hidden_layers</c> / <c>n_layers</c>: at most 256.</summary>
    public const int MaxLayers = 256;

    /// <summary><c>hidden_size</c> / <c>dim</c>: at most 16,384.</summary>
    public const int MaxHiddenSize = 16_384;

    /// <summary><c>intermediate_size</c> / <c>hidden_dim</c> (the feed-forward width): at most 65,536.</summary>
    public const int MaxIntermediateSize = 65_536;

    /// <summary><c>vocab_size</c>: at most 2,000,000 rows of the embedding table.</summary>
    public const int MaxVocabSize = 2_000_000;

    /// <summary><c>max_position_embeddings</c>: at most 1,048,576 (2²⁰).</summary>
    public const int MaxPositionEmbeddings = 1 << 20;

    /// <summary><c>type_vocab_size</c>: at most 1,024 segment types (BERT uses 2, RoBERTa 1).</summary>
    public const int MaxTypeVocabSize = 1_024;

    /// <summary>Labels (<c>num_labels</c> or the entries of <c>id2label</c>): at most 100,000.</summary>
    public const int MaxLabels = 100_000;

    /// <summary>
    /// Parameters of the whole model, whatever each size: at most 2,000,000,000 (8 GB of float32). The per-key bounds
    /// alone would still allow 256 layers of 16,384 × 65,536 (several TB).
    /// </summary>
    public const long MaxParameters = 2_000_000_000;
}
