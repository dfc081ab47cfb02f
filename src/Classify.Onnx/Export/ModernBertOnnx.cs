using Classify.Core.IO;
using Classify.HuggingFace.Configuration;
using DataType = Onnx.TensorProto.Types.DataType;

// transformers' modeling_modernbert.py (v4.48, the padded eager path) as an ONNX graph: pre-LN layers with
// bias-free linears, fused Wqkv, rotary embeddings with a per-layer theta, alternating global and sliding-window
// local attention, a GeGLU MLP, final_norm, then the head (dense → act → norm) on the CLS token or the masked mean,
// and the classifier. Mirrors Classify.Transformers/Models/ModernBert.cs. An --mc-dropout export writes HF's dropouts:
// after the embeddings' norm (embedding_dropout), on the attention weights and after Wo (attention_dropout), before the
// MLP's Wo (mlp_dropout) and before the classifier (classifier_dropout); each only when its probability is above 0.

namespace Classify.Onnx.Export;

/// <summary><c>ModernBertForSequenceClassification</c>.</summary>
internal static class ModernBertOnnx
{
    /// <summary>Inputs <c>input_ids</c> and <c>attention_mask</c>, output <c>logits</c>.</summary>
    public static void ForSequenceClassification(OnnxGraph g, ModernBertConfig config)
    {
        if (config.HiddenSize % config.NumAttentionHeads != 0)
            throw new InputException($"hidden_size {config.HiddenSize} is not a multiple of num_attention_heads {config.NumAttentionHeads}",
                config.SourcePath, field: "num_attention_heads");
        var meanPooling = config.ClassifierPooling switch
        {
            "cls" => false,
            "mean" => true,
            var other => throw new InputException($"classifier_pooling '{other}' cannot be exported; expected cls or mean", config.SourcePath, field: "classifier_pooling"),
        };
        var inputIds = g.TokenInput("input_ids");
        var attentionMask = g.TokenInput("attention_mask");

        // embeddings: drop(norm(tok_embeddings[ids])); no position embeddings (rotary instead)
        var words = g.Node("Gather", [g.Weight("model.embeddings.tok_embeddings.weight"), inputIds], "model.embeddings/tokens");
        var hidden = g.Dropout(g.LayerNorm(words, "model.embeddings.norm", config.NormEps), config.EmbeddingDropout, "model.embeddings", "embedding_dropout");

        // Global layers mask padding keys; local layers also mask keys farther than local_attention/2 from the query.
        var globalBias = g.PaddingBias(attentionMask);
        var positions = g.Positions(inputIds);
        var localBias = LocalBias(g, positions, globalBias, config.LocalAttention / 2);

        // One cos/sin table per distinct theta, computed in the graph in float32 exactly as transformers does.
        var tables = new Dictionary<double, (string Cos, string Sin)>();
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            var theta = config.RopeTheta(i);
            if (!tables.ContainsKey(theta)) tables[theta] = RotaryTables(g, positions, config.HeadDim, theta, $"model.rotary_{tables.Count}");
        }
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            var (cos, sin) = tables[config.RopeTheta(i)];
            hidden = EncoderLayer(g, config, i, hidden, config.IsGlobalLayer(i) ? globalBias : localBias, cos, sin);
        }
        var last = g.LayerNorm(hidden, "model.final_norm", config.NormEps);

        var pooled = meanPooling ? MeanPool(g, last, attentionMask) : g.FirstToken(last, "head");
        var head = g.LayerNorm(g.Activation(g.Linear(pooled, "head.dense"), config.ClassifierActivation, "head", "classifier_activation"),
            "head.norm", config.NormEps);
        head = g.Dropout(head, config.ClassifierDropout, "head", "classifier_dropout");
        g.LogitsOutput(g.Linear(head, "classifier"), "logits", config.NumLabels);
    }

    /// <summary>Layer <paramref name="i"/>: <c>h += attn(attn_norm(h)); h += mlp(mlp_norm(h))</c>; layer 0's <c>attn_norm</c> is the identity.</summary>
    private static string EncoderLayer(OnnxGraph g, ModernBertConfig config, int i, string hidden, string bias, string cos, string sin)
    {
        var prefix = $"model.layers.{i}";
        // The embeddings end with a norm already, so the first layer skips its own.
        var normed = i == 0 ? hidden : g.LayerNorm(hidden, prefix + ".attn_norm", config.NormEps);
        hidden = g.Node("Add", [hidden, Attention(g, config, prefix + ".attn", normed, bias, cos, sin)], prefix + "/attn_residual");
        var mlp = Mlp(g, config, prefix + ".mlp", g.LayerNorm(hidden, prefix + ".mlp_norm", config.NormEps));
        return g.Node("Add", [hidden, mlp], prefix + "/mlp_residual");
    }

    /// <summary>Fused <c>Wqkv</c> (rows: Q, then K, then V), rotary on Q and K, attention with this layer's bias, <c>Wo</c>.</summary>
    private static string Attention(OnnxGraph g, ModernBertConfig config, string prefix, string hidden, string bias, string cos, string sin)
    {
        int heads = config.NumAttentionHeads, headDim = config.HeadDim;
        // [batch, seq, 3·hidden] → [batch, seq, 3, heads, dim] → [3, batch, heads, seq, dim]
        var qkv = g.Node("Reshape", [g.Linear(hidden, prefix + ".Wqkv"), g.Int64s(0, 0, 3, heads, headDim)], prefix + "/qkv");
        qkv = g.Node("Transpose", [qkv], prefix + "/qkv_split", OnnxGraph.Attr("perm", new long[] { 2, 0, 3, 1, 4 }));
        string Part(long index, string name) => g.Node("Gather", [qkv, g.Int64Scalar(index)], $"{prefix}/{name}", OnnxGraph.Attr("axis", 0L));
        var query = ApplyRotary(g, Part(0, "query"), cos, sin, headDim, prefix + "/query_rotary");
        var key = ApplyRotary(g, Part(1, "key"), cos, sin, headDim, prefix + "/key_rotary");
        var context = g.ScaledDotProductAttention(query, key, Part(2, "value"), bias, headDim, prefix, config.AttentionDropout, "attention_dropout");
        return g.Dropout(g.Linear(g.MergeHeads(context, config.HiddenSize, prefix), prefix + ".Wo"), config.AttentionDropout, prefix + ".out", "attention_dropout");
    }

    /// <summary>GeGLU: <c>Wo(act(input) · gate)</c> with <c>[input | gate] = Wi(x)</c> split in halves on the last axis.</summary>
    private static string Mlp(OnnxGraph g, ModernBertConfig config, string prefix, string x)
    {
        var halves = g.Node("Split", [g.Linear(x, prefix + ".Wi")], [prefix + "/input", prefix + "/gate"], OnnxGraph.Attr("axis", -1L));
        var gated = g.Node("Mul", [g.Activation(halves[0], config.HiddenActivation, prefix, "hidden_activation"), halves[1]], prefix + "/gated");
        gated = g.Dropout(gated, config.MlpDropout, prefix, "mlp_dropout");
        return g.Linear(gated, prefix + ".Wo");
    }

    /// <summary>
    /// cos and sin tables <c>[seq, dim]</c>: angles <c>p · inv_freq</c> with <c>inv_freq = 1/theta^(2i/dim)</c>, concatenated
    /// with themselves (non-interleaved). The products and cos/sin are float32 graph ops, as transformers computes them.
    /// </summary>
    private static (string Cos, string Sin) RotaryTables(OnnxGraph g, string positions, int dim, double theta, string scope)
    {
        // inv_freq in float32 exactly as torch: 1 / pow(float32(theta), float32(2i) / dim)
        var invFreq = new float[dim / 2];
        for (int i = 0; i < invFreq.Length; i++) invFreq[i] = 1f / MathF.Pow((float)theta, (2 * i) / (float)dim);
        var freq = g.FloatTensor(scope + ".inv_freq", [1, invFreq.Length], invFreq);
        var p = g.Node("Unsqueeze", [g.Node("Cast", [positions], scope + "/positions_float", OnnxGraph.Attr("to", (long)DataType.Float)), g.Int64s(1)],
            scope + "/positions_column");
        var angles = g.Node("Mul", [p, freq], scope + "/angles_half");
        var both = g.Node("Concat", [angles, angles], scope + "/angles", OnnxGraph.Attr("axis", -1L));
        return (g.Node("Cos", [both], scope + "/cos"), g.Node("Sin", [both], scope + "/sin"));
    }

    /// <summary><c>x·cos + rotate_half(x)·sin</c> with <c>rotate_half(x) = cat(−x₂, x₁)</c>; x is <c>[batch, heads, seq, dim]</c>.</summary>
    private static string ApplyRotary(OnnxGraph g, string x, string cos, string sin, int dim, string scope)
    {
        var halves = g.Node("Split", [x], [scope + "/x1", scope + "/x2"], OnnxGraph.Attr("axis", -1L));
        var rotated = g.Node("Concat", [g.Node("Neg", [halves[1]], scope + "/neg_x2"), halves[0]], scope + "/rotated", OnnxGraph.Attr("axis", -1L));
        var a = g.Node("Mul", [x, cos], scope + "/x_cos");
        var b = g.Node("Mul", [rotated, sin], scope + "/rotated_sin");
        return g.Node("Add", [a, b], scope + "/output");
    }

    /// <summary>
    /// The local layers' bias <c>[batch, 1, seq, seq]</c>: the padding bias, and float32's lowest value where
    /// <c>|query − key| &gt; halfWindow</c> (transformers' sliding-window mask).
    /// </summary>
    private static string LocalBias(OnnxGraph g, string positions, string globalBias, int halfWindow)
    {
        var rows = g.Node("Unsqueeze", [positions, g.Int64s(1)], "model/local_query_positions");
        var cols = g.Node("Unsqueeze", [positions, g.Int64s(0)], "model/local_key_positions");
        var distance = g.Node("Abs", [g.Node("Sub", [cols, rows], "model/local_offset")], "model/local_distance");
        var outside = g.Node("Greater", [distance, g.Int64Scalar(halfWindow)], "model/local_outside_window");
        return g.Node("Where", [outside, g.FloatScalar(float.MinValue), globalBias], "model/local_bias");
    }

    /// <summary>The mean of <c>[batch, seq, hidden]</c> over real tokens: <c>Σ h·mask / Σ mask</c>.</summary>
    private static string MeanPool(OnnxGraph g, string hidden, string attentionMask)
    {
        var mask = g.Node("Unsqueeze", [g.Node("Cast", [attentionMask], "head/mask_float", OnnxGraph.Attr("to", (long)DataType.Float)), g.Int64s(-1)],
            "head/mask");
        var sum = g.Node("ReduceSum", [g.Node("Mul", [hidden, mask], "head/masked"), g.Int64s(1)], "head/sum", OnnxGraph.Attr("keepdims", 0L));
        var count = g.Node("ReduceSum", [mask, g.Int64s(1)], "head/count", OnnxGraph.Attr("keepdims", 0L));
        return g.Node("Div", [sum, count], "head/mean");
    }
}
