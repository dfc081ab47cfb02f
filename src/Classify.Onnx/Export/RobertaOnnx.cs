using Classify.HuggingFace.Configuration;

// transformers' modeling_roberta.py (v4.48) as an ONNX graph. RoBERTa is BERT with three differences, all here:
// position ids count from padding_idx + 1 and skip pads, there is no pooler, and the head is
// dense → tanh → out_proj on the <s> token. The layers are BERT's (BertOnnx.Layer).

namespace Classify.Onnx.Export;

/// <summary><c>RobertaForSequenceClassification</c>.</summary>
internal static class RobertaOnnx
{
    /// <summary>
    /// Inputs <c>input_ids</c> and <c>attention_mask</c> (as Hugging Face Optimum exports RoBERTa: every token type is
    /// 0), output <c>logits</c>.
    /// </summary>
    public static void ForSequenceClassification(OnnxGraph g, RobertaConfig config)
    {
        var inputIds = g.TokenInput("input_ids");
        var attentionMask = g.TokenInput("attention_mask");

        var hidden = BertOnnx.Embeddings(g, config, "roberta.embeddings", inputIds, PositionIds(g, inputIds, config.PaddingIdx), tokenTypeIds: null);
        var last = BertOnnx.Encoder(g, config, "roberta.encoder", hidden, g.PaddingBias(attentionMask));

        // classifier: out_proj(dropout(tanh(dense(dropout(h[<s>]))))), the dropouts only in an --mc-dropout export
        var first = g.Dropout(g.FirstToken(last, "classifier"), config.EffectiveClassifierDropout, "classifier", "classifier_dropout");
        var dense = g.Node("Tanh", [g.Linear(first, "classifier.dense")], "classifier.dense/tanh");
        dense = g.Dropout(dense, config.EffectiveClassifierDropout, "classifier.dense", "classifier_dropout");
        g.LogitsOutput(g.Linear(dense, "classifier.out_proj"), "logits", config.NumLabels);
    }

    /// <summary>transformers' <c>create_position_ids_from_input_ids</c>: <c>cumsum(ids ≠ pad)·(ids ≠ pad) + padding_idx</c>.</summary>
    private static string PositionIds(OnnxGraph g, string inputIds, int paddingIdx)
    {
        var isPad = g.Node("Equal", [inputIds, g.Int64Scalar(paddingIdx)], "roberta.embeddings/is_pad");
        var real = g.Node("Cast", [g.Node("Not", [isPad], "roberta.embeddings/is_real")], "roberta.embeddings/real",
            OnnxGraph.Attr("to", (long)global::Onnx.TensorProto.Types.DataType.Int64));
        var counted = g.Node("CumSum", [real, g.Int64Scalar(1)], "roberta.embeddings/cumsum");
        var kept = g.Node("Mul", [counted, real], "roberta.embeddings/cumsum_real");
        return g.Node("Add", [kept, g.Int64Scalar(paddingIdx)], "roberta.embeddings/position_ids");
    }
}
