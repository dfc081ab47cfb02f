using System.Text.Json.Nodes;

namespace Classify.HuggingFace.Configuration;

/// <summary>
/// <c>config.json</c> of a ModernBERT model (<c>model_type: modernbert</c>) in the classic (transformers v4)
/// format used by <c>answerdotai/ModernBERT-base</c>. Absent keys read as the transformers defaults, which are
/// ModernBERT-base's sizes.
/// </summary>
public sealed class ModernBertConfig : PretrainedConfig
{
    /// <summary>The <c>model_type</c> value.</summary>
    public const string Type = "modernbert";

    /// <summary>Wraps a loaded JSON object (not copied; absent keys read as defaults).</summary>
    public ModernBertConfig(JsonObject json, string? sourcePath = null) : base(json, sourcePath) { }

    /// <summary>A ModernBERT-base sized config with every key written out.</summary>
    public ModernBertConfig() : this(new JsonObject())
    {
        ModelType = Type;
        VocabSize = VocabSize;
        HiddenSize = HiddenSize;
        IntermediateSize = IntermediateSize;
        NumHiddenLayers = NumHiddenLayers;
        NumAttentionHeads = NumAttentionHeads;
        HiddenActivation = HiddenActivation;
        MaxPositionEmbeddings = MaxPositionEmbeddings;
        InitializerRange = InitializerRange;
        InitializerCutoffFactor = InitializerCutoffFactor;
        NormEps = NormEps;
        NormBias = NormBias;
        PadTokenId = PadTokenId;
        EosTokenId = EosTokenId;
        BosTokenId = BosTokenId;
        ClsTokenId = ClsTokenId;
        SepTokenId = SepTokenId;
        GlobalRopeTheta = GlobalRopeTheta;
        AttentionBias = AttentionBias;
        AttentionDropout = AttentionDropout;
        GlobalAttnEveryNLayers = GlobalAttnEveryNLayers;
        LocalAttention = LocalAttention;
        LocalRopeTheta = LocalRopeTheta;
        EmbeddingDropout = EmbeddingDropout;
        MlpBias = MlpBias;
        MlpDropout = MlpDropout;
        DecoderBias = DecoderBias;
        ClassifierPooling = ClassifierPooling;
        ClassifierDropout = ClassifierDropout;
        ClassifierBias = ClassifierBias;
        ClassifierActivation = ClassifierActivation;
        DeterministicFlashAttn = DeterministicFlashAttn;
        SparsePrediction = SparsePrediction;
        SparsePredIgnoreIndex = SparsePredIgnoreIndex;
        ReferenceCompile = ReferenceCompile;
        RepadLogitsWithGrad = RepadLogitsWithGrad;
        TieWordEmbeddings = TieWordEmbeddings;
    }

    /// <summary><c>vocab_size</c> (default 50368).</summary>
    public int VocabSize { get => GetInt("vocab_size", 50368); set => Set("vocab_size", value); }

    /// <summary><c>hidden_size</c> (default 768).</summary>
    public int HiddenSize { get => GetInt("hidden_size", 768); set => Set("hidden_size", value); }

    /// <summary><c>intermediate_size</c>: size of each half of <c>mlp.Wi</c>'s output (default 1152).</summary>
    public int IntermediateSize { get => GetInt("intermediate_size", 1152); set => Set("intermediate_size", value); }

    /// <summary><c>num_hidden_layers</c> (default 22).</summary>
    public int NumHiddenLayers { get => GetInt("num_hidden_layers", 22); set => Set("num_hidden_layers", value); }

    /// <summary><c>num_attention_heads</c> (default 12).</summary>
    public int NumAttentionHeads { get => GetInt("num_attention_heads", 12); set => Set("num_attention_heads", value); }

    /// <summary><c>hidden_activation</c> (default <c>gelu</c>).</summary>
    public string HiddenActivation { get => GetString("hidden_activation", "gelu")!; set => Set("hidden_activation", value); }

    /// <summary><c>max_position_embeddings</c> (default 8192; ModernBERT has no position table, this bounds RoPE).</summary>
    public int MaxPositionEmbeddings { get => GetInt("max_position_embeddings", 8192); set => Set("max_position_embeddings", value); }

    /// <summary><c>initializer_cutoff_factor</c> (default 2.0).</summary>
    public double InitializerCutoffFactor { get => GetDouble("initializer_cutoff_factor", 2.0); set => Set("initializer_cutoff_factor", value); }

    /// <summary><c>norm_eps</c> (default 1e-5).</summary>
    public double NormEps { get => GetDouble("norm_eps", 1e-5); set => Set("norm_eps", value); }

    /// <summary><c>norm_bias</c> (default false).</summary>
    public bool NormBias { get => GetBool("norm_bias", false); set => Set("norm_bias", value); }

    /// <summary><c>pad_token_id</c> (default 50283).</summary>
    public int PadTokenId { get => GetInt("pad_token_id", 50283); set => Set("pad_token_id", value); }

    /// <summary><c>eos_token_id</c> (default 50282).</summary>
    public int EosTokenId { get => GetInt("eos_token_id", 50282); set => Set("eos_token_id", value); }

    /// <summary><c>bos_token_id</c> (default 50281).</summary>
    public int BosTokenId { get => GetInt("bos_token_id", 50281); set => Set("bos_token_id", value); }

    /// <summary><c>cls_token_id</c> (default 50281).</summary>
    public int ClsTokenId { get => GetInt("cls_token_id", 50281); set => Set("cls_token_id", value); }

    /// <summary><c>sep_token_id</c> (default 50282).</summary>
    public int SepTokenId { get => GetInt("sep_token_id", 50282); set => Set("sep_token_id", value); }

    /// <summary><c>global_rope_theta</c>: RoPE base of global layers (default 160000).</summary>
    public double GlobalRopeTheta { get => GetDouble("global_rope_theta", 160000.0); set => Set("global_rope_theta", value); }

    /// <summary><c>local_rope_theta</c>: RoPE base of local (sliding-window) layers (default 10000).</summary>
    public double LocalRopeTheta { get => GetDouble("local_rope_theta", 10000.0); set => Set("local_rope_theta", value); }

    /// <summary><c>attention_bias</c> (default false).</summary>
    public bool AttentionBias { get => GetBool("attention_bias", false); set => Set("attention_bias", value); }

    /// <summary><c>attention_dropout</c> (default 0).</summary>
    public double AttentionDropout { get => GetDouble("attention_dropout", 0.0); set => Set("attention_dropout", value); }

    /// <summary><c>global_attn_every_n_layers</c>: layer i is global when i % n == 0 (default 3).</summary>
    public int GlobalAttnEveryNLayers { get => GetInt("global_attn_every_n_layers", 3); set => Set("global_attn_every_n_layers", value); }

    /// <summary><c>local_attention</c>: window width; a local query sees keys within ±width/2 (default 128).</summary>
    public int LocalAttention { get => GetInt("local_attention", 128); set => Set("local_attention", value); }

    /// <summary><c>embedding_dropout</c> (default 0).</summary>
    public double EmbeddingDropout { get => GetDouble("embedding_dropout", 0.0); set => Set("embedding_dropout", value); }

    /// <summary><c>mlp_bias</c> (default false).</summary>
    public bool MlpBias { get => GetBool("mlp_bias", false); set => Set("mlp_bias", value); }

    /// <summary><c>mlp_dropout</c> (default 0).</summary>
    public double MlpDropout { get => GetDouble("mlp_dropout", 0.0); set => Set("mlp_dropout", value); }

    /// <summary><c>decoder_bias</c> of the masked-LM head (default true).</summary>
    public bool DecoderBias { get => GetBool("decoder_bias", true); set => Set("decoder_bias", value); }

    /// <summary><c>classifier_pooling</c>: <c>cls</c> (default) or <c>mean</c>.</summary>
    public string ClassifierPooling { get => GetString("classifier_pooling", "cls")!; set => Set("classifier_pooling", value); }

    /// <summary><c>classifier_dropout</c> (default 0).</summary>
    public double ClassifierDropout { get => GetDouble("classifier_dropout", 0.0); set => Set("classifier_dropout", value); }

    /// <summary><c>classifier_bias</c>: bias of <c>head.dense</c> (default false; the final classifier always has one).</summary>
    public bool ClassifierBias { get => GetBool("classifier_bias", false); set => Set("classifier_bias", value); }

    /// <summary><c>classifier_activation</c> (default <c>gelu</c>).</summary>
    public string ClassifierActivation { get => GetString("classifier_activation", "gelu")!; set => Set("classifier_activation", value); }

    /// <summary><c>deterministic_flash_attn</c> (default false; no effect on CPU).</summary>
    public bool DeterministicFlashAttn { get => GetBool("deterministic_flash_attn", false); set => Set("deterministic_flash_attn", value); }

    /// <summary><c>sparse_prediction</c> (default false; masked-LM only).</summary>
    public bool SparsePrediction { get => GetBool("sparse_prediction", false); set => Set("sparse_prediction", value); }

    /// <summary><c>sparse_pred_ignore_index</c> (default -100).</summary>
    public int SparsePredIgnoreIndex { get => GetInt("sparse_pred_ignore_index", -100); set => Set("sparse_pred_ignore_index", value); }

    /// <summary><c>reference_compile</c> (default null: transformers decides; no effect here).</summary>
    public bool? ReferenceCompile { get => GetNullableBool("reference_compile"); set => Set("reference_compile", value); }

    /// <summary><c>repad_logits_with_grad</c> (default false).</summary>
    public bool RepadLogitsWithGrad { get => GetBool("repad_logits_with_grad", false); set => Set("repad_logits_with_grad", value); }

    /// <summary><c>tie_word_embeddings</c> (default true).</summary>
    public bool TieWordEmbeddings { get => GetBool("tie_word_embeddings", true); set => Set("tie_word_embeddings", value); }

    /// <summary>
    /// Labels, then every size: positive and within <see cref="ConfigLimits"/>, <c>num_attention_heads</c> dividing
    /// <c>hidden_size</c> into an even head size (rotary embeddings rotate pairs), <c>pad_token_id</c> inside the
    /// vocabulary, <c>global_attn_every_n_layers</c> ≥ 1, positive rotary bases, dropouts in [0, 1].
    /// </summary>
    public override void Validate()
    {
        base.Validate();
        var vocab = RequireRange("vocab_size", VocabSize, 1, ConfigLimits.MaxVocabSize);
        var (hidden, heads) = RequireEncoderSizes(("hidden_size", HiddenSize), ("num_hidden_layers", NumHiddenLayers),
            ("num_attention_heads", NumAttentionHeads));
        if (hidden / heads % 2 != 0)
            throw Error($"hidden_size {hidden} / num_attention_heads {heads} gives an odd head size {hidden / heads}; rotary embeddings need an even one", "num_attention_heads");
        RequireRange("intermediate_size", IntermediateSize, 1, ConfigLimits.MaxIntermediateSize);
        RequireRange("max_position_embeddings", MaxPositionEmbeddings, 2, ConfigLimits.MaxPositionEmbeddings);
        RequireRange("pad_token_id", PadTokenId, 0, vocab - 1, $"it must be an id of the vocabulary (vocab_size {vocab})");
        RequireRange("global_attn_every_n_layers", GlobalAttnEveryNLayers, 1, int.MaxValue);
        RequireRange("local_attention", LocalAttention, 0, int.MaxValue);
        foreach (var (key, theta) in new[] { ("global_rope_theta", GlobalRopeTheta), ("local_rope_theta", LocalRopeTheta) })
            if (!(theta > 0) || double.IsInfinity(theta)) throw Error($"{key} must be a positive number", key);
        RequireProbability("attention_dropout", 0.0);
        RequireProbability("embedding_dropout", 0.0);
        RequireProbability("mlp_dropout", 0.0);
        RequireProbability("classifier_dropout", 0.0);
        RequireNonNegative("norm_eps", 1e-5);
        RequireNonNegative("initializer_range", 0.02);
        RequireNonNegative("initializer_cutoff_factor", 2.0);
    }

    /// <summary><c>hidden_size / num_attention_heads</c>.</summary>
    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>True when layer <paramref name="layerIndex"/> attends globally (<c>i % global_attn_every_n_layers == 0</c>).</summary>
    public bool IsGlobalLayer(int layerIndex) => layerIndex % GlobalAttnEveryNLayers == 0;

    /// <summary>The RoPE base of layer <paramref name="layerIndex"/>.</summary>
    public double RopeTheta(int layerIndex) => IsGlobalLayer(layerIndex) ? GlobalRopeTheta : LocalRopeTheta;
}
