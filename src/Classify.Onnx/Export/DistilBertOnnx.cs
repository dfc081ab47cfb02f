using Classify.Core.IO;
using Classify.HuggingFace.Configuration;

// transformers' modeling_distilbert.py (v4.48) as an ONNX graph: word + position embeddings (no token types),
// post-LN blocks named q_lin/k_lin/v_lin/out_lin, sa_layer_norm, ffn.lin1/lin2, output_layer_norm, and the head
// pre_classifier → ReLU → classifier on the first token. LayerNorm eps is fixed at 1e-12. An --mc-dropout export
// writes HF's dropouts: after the embeddings (dropout), on the attention weights (attention_dropout), after ffn.lin2
// (dropout) and before the classifier (seq_classif_dropout); DistilBERT has none after out_lin.

namespace Classify.Onnx.Export;

/// <summary><c>DistilBertForSequenceClassification</c>.</summary>
internal static class DistilBertOnnx
{
    /// <summary>Inputs <c>input_ids</c> and <c>attention_mask</c>, output <c>logits</c>.</summary>
    public static void ForSequenceClassification(OnnxGraph g, DistilBertConfig config)
    {
        if (config.SinusoidalPosEmbds)
            throw new InputException("sinusoidal_pos_embds: true cannot be exported", config.SourcePath, field: "sinusoidal_pos_embds");
        if (config.Dim % config.NHeads != 0)
            throw new InputException($"dim {config.Dim} is not a multiple of n_heads {config.NHeads}", config.SourcePath, field: "n_heads");
        var inputIds = g.TokenInput("input_ids");
        var attentionMask = g.TokenInput("attention_mask");

        // embeddings: LayerNorm(word_embeddings[ids] + position_embeddings[0 … seq−1])
        const string emb = "distilbert.embeddings";
        var words = g.Node("Gather", [g.Weight(emb + ".word_embeddings.weight"), inputIds], emb + "/words");
        var positions = g.Node("Gather", [g.Weight(emb + ".position_embeddings.weight"), g.Positions(inputIds)], emb + "/positions");
        var hidden = g.LayerNorm(g.Node("Add", [words, positions], emb + "/sum"), emb + ".LayerNorm", DistilBertConfig.LayerNormEps);
        hidden = g.Dropout(hidden, config.Dropout, emb, "dropout");

        var bias = g.PaddingBias(attentionMask);
        for (int i = 0; i < config.NLayers; i++) hidden = TransformerBlock(g, config, $"distilbert.transformer.layer.{i}", hidden, bias);

        // head: classifier(relu(pre_classifier(h[CLS])))
        var pooled = g.Node("Relu", [g.Linear(g.FirstToken(hidden, "pre_classifier"), "pre_classifier")], "pre_classifier/relu");
        pooled = g.Dropout(pooled, config.SeqClassifDropout, "classifier", "seq_classif_dropout");
        g.LogitsOutput(g.Linear(pooled, "classifier"), "logits", config.NumLabels);
    }

    /// <summary><c>h = sa_layer_norm(attention(x) + x)</c>, then <c>output_layer_norm(ffn(h) + h)</c>.</summary>
    private static string TransformerBlock(OnnxGraph g, DistilBertConfig config, string prefix, string x, string bias)
    {
        int heads = config.NHeads, headDim = config.Dim / heads;
        string Heads(string name) => g.SplitHeads(g.Linear(x, $"{prefix}.attention.{name}"), heads, headDim, $"{prefix}.attention.{name}");
        var context = g.ScaledDotProductAttention(Heads("q_lin"), Heads("k_lin"), Heads("v_lin"), bias, headDim, prefix + ".attention",
            config.AttentionDropout, "attention_dropout");
        var attention = g.Linear(g.MergeHeads(context, config.Dim, prefix + ".attention"), prefix + ".attention.out_lin");
        var h = g.LayerNorm(g.Node("Add", [attention, x], prefix + ".sa/residual"), prefix + ".sa_layer_norm", DistilBertConfig.LayerNormEps);

        var ffn = g.Linear(g.Activation(g.Linear(h, prefix + ".ffn.lin1"), config.Activation, prefix + ".ffn", "activation"), prefix + ".ffn.lin2");
        ffn = g.Dropout(ffn, config.Dropout, prefix + ".ffn", "dropout");
        return g.LayerNorm(g.Node("Add", [ffn, h], prefix + ".ffn/residual"), prefix + ".output_layer_norm", DistilBertConfig.LayerNormEps);
    }
}
