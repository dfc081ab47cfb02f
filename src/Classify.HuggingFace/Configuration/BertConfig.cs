using System.Text.Json.Nodes;

namespace Classify.HuggingFace.Configuration;

/// <summary>
/// <c>config.json</c> of a BERT model (<c>model_type: bert</c>). Each property is the HF key of the same name in
/// snake case; an absent key reads as the transformers default.
/// </summary>
public class BertConfig : PretrainedConfig
{
    /// <summary>The <c>model_type</c> value.</summary>
    public const string Type = "bert";

    /// <summary>Wraps a loaded JSON object (not copied; absent keys read as defaults).</summary>
    public BertConfig(JsonObject json, string? sourcePath = null) : base(json, sourcePath) { }

    /// <summary>A bert-base-uncased sized config with every key written out.</summary>
    public BertConfig() : this(new JsonObject())
    {
        ModelType = Type;
        WriteDefaults();
    }

    /// <summary>Writes every key this class knows, at its current value, so the saved file is explicit.</summary>
    protected virtual void WriteDefaults()
    {
        VocabSize = VocabSize;
        HiddenSize = HiddenSize;
        NumHiddenLayers = NumHiddenLayers;
        NumAttentionHeads = NumAttentionHeads;
        IntermediateSize = IntermediateSize;
        HiddenAct = HiddenAct;
        HiddenDropoutProb = HiddenDropoutProb;
        AttentionProbsDropoutProb = AttentionProbsDropoutProb;
        MaxPositionEmbeddings = MaxPositionEmbeddings;
        TypeVocabSize = TypeVocabSize;
        InitializerRange = InitializerRange;
        LayerNormEps = LayerNormEps;
        PadTokenId = PadTokenId;
        PositionEmbeddingType = PositionEmbeddingType;
        ClassifierDropout = ClassifierDropout;
    }

    /// <summary><c>vocab_size</c> (default 30522).</summary>
    public int VocabSize { get => GetInt("vocab_size", DefaultVocabSize); set => Set("vocab_size", value); }

    /// <summary><c>hidden_size</c> (default 768).</summary>
    public int HiddenSize { get => GetInt("hidden_size", 768); set => Set("hidden_size", value); }

    /// <summary><c>num_hidden_layers</c> (default 12).</summary>
    public int NumHiddenLayers { get => GetInt("num_hidden_layers", 12); set => Set("num_hidden_layers", value); }

    /// <summary><c>num_attention_heads</c> (default 12).</summary>
    public int NumAttentionHeads { get => GetInt("num_attention_heads", 12); set => Set("num_attention_heads", value); }

    /// <summary><c>intermediate_size</c> (default 3072).</summary>
    public int IntermediateSize { get => GetInt("intermediate_size", 3072); set => Set("intermediate_size", value); }

    /// <summary><c>hidden_act</c> (default <c>gelu</c>, the exact erf form).</summary>
    public string HiddenAct { get => GetString("hidden_act", "gelu")!; set => Set("hidden_act", value); }

    /// <summary><c>hidden_dropout_prob</c> (default 0.1).</summary>
    public double HiddenDropoutProb { get => GetDouble("hidden_dropout_prob", 0.1); set => Set("hidden_dropout_prob", value); }

    /// <summary><c>attention_probs_dropout_prob</c> (default 0.1).</summary>
    public double AttentionProbsDropoutProb { get => GetDouble("attention_probs_dropout_prob", 0.1); set => Set("attention_probs_dropout_prob", value); }

    /// <summary><c>max_position_embeddings</c> (default 512).</summary>
    public int MaxPositionEmbeddings { get => GetInt("max_position_embeddings", DefaultMaxPositionEmbeddings); set => Set("max_position_embeddings", value); }

    /// <summary><c>type_vocab_size</c> (default 2).</summary>
    public int TypeVocabSize { get => GetInt("type_vocab_size", 2); set => Set("type_vocab_size", value); }

    /// <summary><c>layer_norm_eps</c> (default 1e-12).</summary>
    public double LayerNormEps { get => GetDouble("layer_norm_eps", 1e-12); set => Set("layer_norm_eps", value); }

    /// <summary><c>pad_token_id</c> (default 0 for BERT, 1 for RoBERTa).</summary>
    public int PadTokenId { get => GetInt("pad_token_id", DefaultPadTokenId); set => Set("pad_token_id", value); }

    /// <summary><c>position_embedding_type</c> (default <c>absolute</c>; only absolute is implemented).</summary>
    public string PositionEmbeddingType { get => GetString("position_embedding_type", "absolute")!; set => Set("position_embedding_type", value); }

    /// <summary><c>classifier_dropout</c>; null (the default) means the head uses <see cref="HiddenDropoutProb"/>.</summary>
    public double? ClassifierDropout { get => GetNullableDouble("classifier_dropout"); set => Set("classifier_dropout", value); }

    /// <summary>The dropout the classification head applies: <see cref="ClassifierDropout"/> or else <see cref="HiddenDropoutProb"/>.</summary>
    public double EffectiveClassifierDropout => ClassifierDropout ?? HiddenDropoutProb;

    /// <summary><c>hidden_size / num_attention_heads</c>.</summary>
    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>
    /// Labels, then every size: positive and within <see cref="ConfigLimits"/>, <c>num_attention_heads</c> dividing
    /// <c>hidden_size</c>, <c>pad_token_id</c> inside the vocabulary, room for at least two positions, dropouts in [0, 1].
    /// </summary>
    public override void Validate()
    {
        base.Validate();
        var vocab = RequireRange("vocab_size", VocabSize, 1, ConfigLimits.MaxVocabSize);
        RequireEncoderSizes(("hidden_size", HiddenSize), ("num_hidden_layers", NumHiddenLayers),
            ("num_attention_heads", NumAttentionHeads));
        RequireRange("intermediate_size", IntermediateSize, 1, ConfigLimits.MaxIntermediateSize);
        RequireRange("max_position_embeddings", MaxPositionEmbeddings, 2, ConfigLimits.MaxPositionEmbeddings);
        RequireRange("type_vocab_size", TypeVocabSize, 1, ConfigLimits.MaxTypeVocabSize);
        RequireRange("pad_token_id", PadTokenId, 0, vocab - 1, $"it must be an id of the vocabulary (vocab_size {vocab})");
        RequireProbability("hidden_dropout_prob", 0.1);
        RequireProbability("attention_probs_dropout_prob", 0.1);
        RequireProbability("classifier_dropout", 0.1, nullable: true);
        RequireNonNegative("layer_norm_eps", 1e-12);
        RequireNonNegative("initializer_range", 0.02);
    }

    /// <summary>Default vocabulary size of the family.</summary>
    protected virtual int DefaultVocabSize => 30522;

    /// <summary>Default maximum positions of the family.</summary>
    protected virtual int DefaultMaxPositionEmbeddings => 512;

    /// <summary>Default padding id of the family.</summary>
    protected virtual int DefaultPadTokenId => 0;
}

/// <summary>
/// <c>config.json</c> of a RoBERTa model (<c>model_type: roberta</c>): BERT's keys with RoBERTa's defaults plus
/// <c>bos_token_id</c>/<c>eos_token_id</c>. Position ids start after <see cref="PaddingIdx"/>.
/// </summary>
public sealed class RobertaConfig : BertConfig
{
    /// <summary>The <c>model_type</c> value.</summary>
    public new const string Type = "roberta";

    /// <summary>Wraps a loaded JSON object (not copied; absent keys read as defaults).</summary>
    public RobertaConfig(JsonObject json, string? sourcePath = null) : base(json, sourcePath) { }

    /// <summary>A roberta-base sized config with every key written out (514 positions, 1 token type, eps 1e-5).</summary>
    public RobertaConfig() : base(new JsonObject())
    {
        ModelType = Type;
        // transformers' RobertaConfig defaults are BERT's; roberta-base's config.json overrides these three.
        MaxPositionEmbeddings = 514;
        TypeVocabSize = 1;
        LayerNormEps = 1e-5;
        WriteDefaults();
    }

    /// <inheritdoc />
    protected override void WriteDefaults()
    {
        base.WriteDefaults();
        BosTokenId = BosTokenId;
        EosTokenId = EosTokenId;
    }

    /// <summary>BERT's checks, plus room in the position table after <see cref="PaddingIdx"/> for at least two tokens.</summary>
    public override void Validate()
    {
        base.Validate();
        if (MaxSequenceLength < 2)
            throw Error($"max_position_embeddings {MaxPositionEmbeddings} leaves {Math.Max(MaxSequenceLength, 0)} positions after padding_idx {PaddingIdx} " +
                        "(pad_token_id); at least 2 are needed", "max_position_embeddings");
    }

    /// <summary><c>bos_token_id</c> (default 0).</summary>
    public int BosTokenId { get => GetInt("bos_token_id", 0); set => Set("bos_token_id", value); }

    /// <summary><c>eos_token_id</c> (default 2).</summary>
    public int EosTokenId { get => GetInt("eos_token_id", 2); set => Set("eos_token_id", value); }

    /// <summary>
    /// The padding index of the position embedding, equal to <c>pad_token_id</c>: position ids are
    /// <c>padding_idx + cumsum(mask) · mask</c>, so real tokens start at <c>padding_idx + 1</c>.
    /// </summary>
    public int PaddingIdx => PadTokenId;

    /// <summary>Longest input the position table allows: <c>max_position_embeddings − padding_idx − 1</c>.</summary>
    public int MaxSequenceLength => MaxPositionEmbeddings - PaddingIdx - 1;

    /// <inheritdoc />
    protected override int DefaultVocabSize => 50265;

    /// <inheritdoc />
    protected override int DefaultPadTokenId => 1;
}
