using System.Text.Json.Nodes;

namespace Classify.HuggingFace.Configuration;

/// <summary>
/// <c>config.json</c> of a DistilBERT model (<c>model_type: distilbert</c>), with DistilBERT's own key names
/// (<c>dim</c>, <c>n_layers</c>, …). Absent keys read as the transformers defaults. LayerNorm eps is fixed at 1e-12.
/// </summary>
public sealed class DistilBertConfig : PretrainedConfig
{
    /// <summary>The <c>model_type</c> value.</summary>
    public const string Type = "distilbert";

    /// <summary>LayerNorm epsilon, hard-coded in transformers' DistilBERT.</summary>
    public const double LayerNormEps = 1e-12;

    /// <summary>Wraps a loaded JSON object (not copied; absent keys read as defaults).</summary>
    public DistilBertConfig(JsonObject json, string? sourcePath = null) : base(json, sourcePath) { }

    /// <summary>A distilbert-base-uncased sized config with every key written out.</summary>
    public DistilBertConfig() : this(new JsonObject())
    {
        ModelType = Type;
        VocabSize = VocabSize;
        MaxPositionEmbeddings = MaxPositionEmbeddings;
        SinusoidalPosEmbds = SinusoidalPosEmbds;
        NLayers = NLayers;
        NHeads = NHeads;
        Dim = Dim;
        HiddenDim = HiddenDim;
        Dropout = Dropout;
        AttentionDropout = AttentionDropout;
        Activation = Activation;
        InitializerRange = InitializerRange;
        QaDropout = QaDropout;
        SeqClassifDropout = SeqClassifDropout;
        PadTokenId = PadTokenId;
    }

    /// <summary><c>vocab_size</c> (default 30522).</summary>
    public int VocabSize { get => GetInt("vocab_size", 30522); set => Set("vocab_size", value); }

    /// <summary><c>dim</c>: hidden size (default 768).</summary>
    public int Dim { get => GetInt("dim", 768); set => Set("dim", value); }

    /// <summary><c>n_layers</c> (default 6).</summary>
    public int NLayers { get => GetInt("n_layers", 6); set => Set("n_layers", value); }

    /// <summary><c>n_heads</c> (default 12).</summary>
    public int NHeads { get => GetInt("n_heads", 12); set => Set("n_heads", value); }

    /// <summary><c>hidden_dim</c>: feed-forward size (default 3072).</summary>
    public int HiddenDim { get => GetInt("hidden_dim", 3072); set => Set("hidden_dim", value); }

    /// <summary><c>activation</c> (default <c>gelu</c>).</summary>
    public string Activation { get => GetString("activation", "gelu")!; set => Set("activation", value); }

    /// <summary><c>dropout</c> (default 0.1).</summary>
    public double Dropout { get => GetDouble("dropout", 0.1); set => Set("dropout", value); }

    /// <summary><c>attention_dropout</c> (default 0.1).</summary>
    public double AttentionDropout { get => GetDouble("attention_dropout", 0.1); set => Set("attention_dropout", value); }

    /// <summary><c>max_position_embeddings</c> (default 512).</summary>
    public int MaxPositionEmbeddings { get => GetInt("max_position_embeddings", 512); set => Set("max_position_embeddings", value); }

    /// <summary><c>sinusoidal_pos_embds</c> (default false).</summary>
    public bool SinusoidalPosEmbds { get => GetBool("sinusoidal_pos_embds", false); set => Set("sinusoidal_pos_embds", value); }

    /// <summary><c>seq_classif_dropout</c>: dropout of the classification head (default 0.2).</summary>
    public double SeqClassifDropout { get => GetDouble("seq_classif_dropout", 0.2); set => Set("seq_classif_dropout", value); }

    /// <summary><c>qa_dropout</c> (default 0.1).</summary>
    public double QaDropout { get => GetDouble("qa_dropout", 0.1); set => Set("qa_dropout", value); }

    /// <summary><c>pad_token_id</c> (default 0).</summary>
    public int PadTokenId { get => GetInt("pad_token_id", 0); set => Set("pad_token_id", value); }

    /// <summary>
    /// Labels, then every size: positive and within <see cref="ConfigLimits"/>, <c>n_heads</c> dividing <c>dim</c>,
    /// <c>pad_token_id</c> inside the vocabulary, dropouts in [0, 1].
    /// </summary>
    public override void Validate()
    {
        base.Validate();
        var vocab = RequireRange("vocab_size", VocabSize, 1, ConfigLimits.MaxVocabSize);
        RequireEncoderSizes(("dim", Dim), ("n_layers", NLayers), ("n_heads", NHeads));
        RequireRange("hidden_dim", HiddenDim, 1, ConfigLimits.MaxIntermediateSize);
        RequireRange("max_position_embeddings", MaxPositionEmbeddings, 2, ConfigLimits.MaxPositionEmbeddings);
        RequireRange("pad_token_id", PadTokenId, 0, vocab - 1, $"it must be an id of the vocabulary (vocab_size {vocab})");
        RequireProbability("dropout", 0.1);
        RequireProbability("attention_dropout", 0.1);
        RequireProbability("seq_classif_dropout", 0.2);
        RequireNonNegative("initializer_range", 0.02);
    }

    /// <summary><c>dim / n_heads</c>.</summary>
    public int HeadDim => Dim / NHeads;
}
