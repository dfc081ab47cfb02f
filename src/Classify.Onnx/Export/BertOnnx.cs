using Classify.Core.IO;
using Classify.HuggingFace.Configuration;

// transformers' modeling_bert.py (v4.48) as an ONNX graph, read top to bottom like the TorchSharp port in
// Classify.Transformers/Models/Bert.cs: embeddings, self-attention, the post-LayerNorm layer, the encoder, the
// pooler, then BertForSequenceClassification. Initializers carry the checkpoint keys; values are named after
// the module that computes them. Dropout is written (g.Dropout) only for an --mc-dropout export, where HF applies it:
// after the embeddings' LayerNorm, on the attention probabilities, after attention.output.dense and output.dense
// (before the residual), and on the pooled output before the classifier.

namespace Classify.Onnx.Export;

/// <summary>The BERT encoder layers (shared with RoBERTa) and <c>BertForSequenceClassification</c>.</summary>
internal static class BertOnnx
{
    /// <summary>
    /// <c>BertForSequenceClassification</c>: inputs <c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c>
    /// (<c>[batch, sequence]</c>, int64), output <c>logits</c> (<c>[batch, num_labels]</c>).
    /// </summary>
    public static void ForSequenceClassification(OnnxGraph g, BertConfig config)
    {
        if (config.PositionEmbeddingType != "absolute")
            throw new InputException($"position_embedding_type '{config.PositionEmbeddingType}' cannot be exported; expected absolute",
                config.SourcePath, field: "position_embedding_type");
        var inputIds = g.TokenInput("input_ids");
        var attentionMask = g.TokenInput("attention_mask");
        var tokenTypeIds = g.TokenInput("token_type_ids");

        var hidden = Embeddings(g, config, "bert.embeddings", inputIds, g.Positions(inputIds), tokenTypeIds);
        var last = Encoder(g, config, "bert.encoder", hidden, g.PaddingBias(attentionMask));
        var pooled = g.Node("Tanh", [g.Linear(g.FirstToken(last, "bert.pooler"), "bert.pooler.dense")], "bert.pooler/output");
        pooled = g.Dropout(pooled, config.EffectiveClassifierDropout, "classifier", "classifier_dropout");
        g.LogitsOutput(g.Linear(pooled, "classifier"), "logits", config.NumLabels);
    }

    /// <summary>
    /// <c>LayerNorm(word_embeddings[ids] + token_type_embeddings[types] + position_embeddings[positions])</c>;
    /// <paramref name="tokenTypeIds"/> null means every token is of type 0 (RoBERTa's inputs have no types).
    /// </summary>
    public static string Embeddings(OnnxGraph g, BertConfig config, string prefix, string inputIds, string positionIds, string? tokenTypeIds)
    {
        var words = g.Node("Gather", [g.Weight(prefix + ".word_embeddings.weight"), inputIds], prefix + "/words");
        var positions = g.Node("Gather", [g.Weight(prefix + ".position_embeddings.weight"), positionIds], prefix + "/positions");
        var types = g.Node("Gather", [g.Weight(prefix + ".token_type_embeddings.weight"), tokenTypeIds ?? g.Int64Scalar(0)], prefix + "/token_types");
        var sum = g.Node("Add", [g.Node("Add", [words, types], prefix + "/words_types"), positions], prefix + "/sum");
        return g.Dropout(g.LayerNorm(sum, prefix + ".LayerNorm", config.LayerNormEps), config.HiddenDropoutProb, prefix, "hidden_dropout_prob");
    }

    /// <summary>Every <c>encoder.layer.N</c> in order.</summary>
    public static string Encoder(OnnxGraph g, BertConfig config, string prefix, string hidden, string bias)
    {
        for (int i = 0; i < config.NumHiddenLayers; i++) hidden = Layer(g, config, $"{prefix}.layer.{i}", hidden, bias);
        return hidden;
    }

    /// <summary>One post-LN layer: <c>a = LN(h + out(attn(h)))</c>, then <c>LN(a + output.dense(act(intermediate.dense(a))))</c>.</summary>
    public static string Layer(OnnxGraph g, BertConfig config, string prefix, string hidden, string bias)
    {
        var attention = SelfAttention(g, config, prefix + ".attention.self", hidden, bias);
        var projected = g.Dropout(g.Linear(attention, prefix + ".attention.output.dense"), config.HiddenDropoutProb, prefix + ".attention.output", "hidden_dropout_prob");
        var attended = g.LayerNorm(g.Node("Add", [projected, hidden], prefix + ".attention.output/residual"),
            prefix + ".attention.output.LayerNorm", config.LayerNormEps);
        var intermediate = g.Activation(g.Linear(attended, prefix + ".intermediate.dense"), config.HiddenAct, prefix + ".intermediate", "hidden_act");
        var down = g.Dropout(g.Linear(intermediate, prefix + ".output.dense"), config.HiddenDropoutProb, prefix + ".output", "hidden_dropout_prob");
        var output = g.Node("Add", [down, attended], prefix + ".output/residual");
        return g.LayerNorm(output, prefix + ".output.LayerNorm", config.LayerNormEps);
    }

    /// <summary>Separate query/key/value projections, <c>num_attention_heads</c> heads, scaled dot product with the padding bias.</summary>
    public static string SelfAttention(OnnxGraph g, BertConfig config, string prefix, string hidden, string bias)
    {
        if (config.HiddenSize % config.NumAttentionHeads != 0)
            throw new InputException($"hidden_size {config.HiddenSize} is not a multiple of num_attention_heads {config.NumAttentionHeads}",
                config.SourcePath, field: "num_attention_heads");
        int heads = config.NumAttentionHeads, headDim = config.HiddenSize / heads;
        string Heads(string name) => g.SplitHeads(g.Linear(hidden, $"{prefix}.{name}"), heads, headDim, $"{prefix}.{name}");
        var context = g.ScaledDotProductAttention(Heads("query"), Heads("key"), Heads("value"), bias, headDim, prefix,
            config.AttentionProbsDropoutProb, "attention_probs_dropout_prob");
        return g.MergeHeads(context, config.HiddenSize, prefix);
    }
}
