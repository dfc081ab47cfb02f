using Classify.Core.IO;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.SafeTensors;

namespace Classify.Transformers.Models;

/// <summary>One parameter of the port of a config: checkpoint name, shape, the config keys that size it, its layer, and whether it is task head.</summary>
/// <param name="Name">The state-dict key (<c>bert.encoder.layer.0.attention.self.query.weight</c>).</param>
/// <param name="Shape">The shape the config implies.</param>
/// <param name="SizedBy">The config keys each dimension comes from, for messages.</param>
/// <param name="Layer">The encoder layer it belongs to, or null.</param>
/// <param name="IsHead">True for the task head, which a base-encoder checkpoint lacks (see <see cref="PreTrainedModel.LoadWeights(ISafeTensorsReader, string, WeightLoadMode)"/>).</param>
internal sealed record PlannedParameter(string Name, long[] Shape, string[] SizedBy, int? Layer, bool IsHead);

/// <summary>Which checkpoint tensor feeds each parameter, and what is left over.</summary>
/// <param name="Keys">Parameter name → checkpoint key, for every parameter loaded from the checkpoint.</param>
/// <param name="Missing">Head parameters the checkpoint lacks; they are initialised.</param>
/// <param name="Mismatched">Head parameters whose checkpoint tensor has another shape (another label count); they are initialised.</param>
/// <param name="Unexpected">Checkpoint tensors no parameter uses; they are ignored.</param>
internal sealed record WeightMatch(IReadOnlyDictionary<string, string> Keys, IReadOnlyList<string> Missing,
    IReadOnlyList<(string Name, string Found, string Expected)> Mismatched, IReadOnlyList<string> Unexpected);

/// <summary>Which head a model carries on its encoder.</summary>
internal enum ModelHead
{
    /// <summary><c>*ForSequenceClassification</c>.</summary>
    SequenceClassification,

    /// <summary><c>*ForMaskedLM</c>: a transform and a decoder tied to the word embeddings.</summary>
    MaskedLM,
}

/// <summary>
/// The parameters a config implies for this port (names, shapes), computed from the config alone, without torch: so that
/// a checkpoint's header can be checked against every shape before any tensor is allocated, and a config's total size
/// bounded (<see cref="ConfigLimits.MaxParameters"/>). Mirrors the module trees of Bert.cs, Roberta.cs, DistilBert.cs and
/// ModernBert.cs; a test checks it equals <c>named_parameters()</c> of the built models.
/// </summary>
internal sealed class ParameterPlan
{
    /// <summary>Names listed in a message before "and N more".</summary>
    public const int ListedNames = 10;

    private readonly Dictionary<string, long> _sizes;

    private ParameterPlan(PretrainedConfig config, string prefix, string layersKey, List<PlannedParameter> parameters, Dictionary<string, long> sizes,
        IReadOnlyDictionary<string, string>? tied = null)
    {
        Tied = tied ?? new Dictionary<string, string>(StringComparer.Ordinal);
        Config = config;
        Prefix = prefix;
        LayersKey = layersKey;
        Parameters = parameters;
        _sizes = sizes;
        long total = 0;
        foreach (var p in parameters)
        {
            long n = 1;
            foreach (var d in p.Shape) n = checked(n * d);
            total = checked(total + n);
        }
        ElementCount = total;
    }

    /// <summary>The (validated) family config.</summary>
    public PretrainedConfig Config { get; }

    /// <summary>HF's <c>base_model_prefix</c>: <c>bert</c>, <c>roberta</c>, <c>distilbert</c>, <c>model</c>.</summary>
    public string Prefix { get; }

    /// <summary>The config key of the layer count (<c>num_hidden_layers</c>, <c>n_layers</c>).</summary>
    public string LayersKey { get; }

    /// <summary>Every parameter, in module order.</summary>
    public IReadOnlyList<PlannedParameter> Parameters { get; }

    /// <summary>
    /// Checkpoint keys of weights tied to a parameter (the MLM decoder weight → the word embeddings; an old-style
    /// <c>decoder.bias</c> → the head's bias): used for that parameter when its own key is absent, never reported as
    /// unexpected.
    /// </summary>
    public IReadOnlyDictionary<string, string> Tied { get; }

    /// <summary>Total number of parameter elements.</summary>
    public long ElementCount { get; }

    private string ConfigFile => Config.SourcePath ?? PretrainedConfig.FileName;

    /// <summary>
    /// The plan of <paramref name="config"/>: validates it (<see cref="PretrainedConfig.Validate"/>, plus what this port
    /// supports), lists the parameters, and bounds their total by <see cref="ConfigLimits.MaxParameters"/>.
    /// </summary>
    /// <exception cref="InputException">A bad, unsupported or too large config, naming its file and key.</exception>
    public static ParameterPlan For(PretrainedConfig config, ModelHead head = ModelHead.SequenceClassification)
    {
        ArgumentNullException.ThrowIfNull(config);
        var typed = config.ToFamilyConfig();
        typed.Validate();
        if (head == ModelHead.MaskedLM && typed.Json["tie_word_embeddings"] is System.Text.Json.Nodes.JsonValue tie && tie.TryGetValue<bool>(out var tied) && !tied)
            throw new InputException("tie_word_embeddings: false is not supported; the MLM decoder is tied to the word embeddings", typed.SourcePath, field: "tie_word_embeddings");
        var plan = typed switch
        {
            RobertaConfig roberta => Roberta(roberta, head),
            BertConfig bert => Bert(bert, head),
            DistilBertConfig distil => DistilBert(distil, head),
            ModernBertConfig modern => ModernBert(modern, head),
            _ => throw new InputException($"model_type '{config.ModelType}' is not supported", config.SourcePath, field: "model_type"),
        };
        if (plan.ElementCount > ConfigLimits.MaxParameters)
            throw new InputException(
                $"the config describes a model of {plan.ElementCount:N0} parameters; Classify builds at most {ConfigLimits.MaxParameters:N0} (ConfigLimits.MaxParameters)",
                plan.ConfigFile);
        return plan;
    }

    // ---- the four families ---------------------------------------------------------------------------------------------

    private sealed class Builder(string prefix, Dictionary<string, long> sizes)
    {
        public List<PlannedParameter> Parameters { get; } = [];
        public int? Layer { get; set; }

        public void Add(string name, bool head, params string[] sizedBy) =>
            Parameters.Add(new PlannedParameter(name, sizedBy.Select(k => sizes[k]).ToArray(), sizedBy, Layer, head));

        /// <summary>A linear layer <c>[out, in]</c> with an optional bias <c>[out]</c>.</summary>
        public void Linear(string name, string outKey, string inKey, bool bias = true, bool head = false)
        {
            Add(name + ".weight", head, outKey, inKey);
            if (bias) Add(name + ".bias", head, outKey);
        }

        /// <summary>A LayerNorm <c>[n]</c> with an optional bias.</summary>
        public void Norm(string name, string key, bool bias = true, bool head = false)
        {
            Add(name + ".weight", head, key);
            if (bias) Add(name + ".bias", head, key);
        }

        public string P(string rest) => $"{prefix}.{rest}";
    }

    private static void Activation(PretrainedConfig config, string key, string value)
    {
        if (!Activations.Names.Contains(value))
            throw new InputException($"activation '{value}' is not supported; expected one of {string.Join(", ", Activations.Names)}", config.SourcePath, field: key);
    }

    private static void BertEncoder(BertConfig c, Builder b)
    {
        Activation(c, "hidden_act", c.HiddenAct);
        if (c.PositionEmbeddingType != "absolute")
            throw new InputException($"position_embedding_type '{c.PositionEmbeddingType}' is not supported; expected absolute", c.SourcePath, field: "position_embedding_type");
        b.Add(b.P("embeddings.word_embeddings.weight"), false, "vocab_size", "hidden_size");
        b.Add(b.P("embeddings.position_embeddings.weight"), false, "max_position_embeddings", "hidden_size");
        b.Add(b.P("embeddings.token_type_embeddings.weight"), false, "type_vocab_size", "hidden_size");
        b.Norm(b.P("embeddings.LayerNorm"), "hidden_size");
        for (var i = 0; i < c.NumHiddenLayers; i++)
        {
            b.Layer = i;
            var l = b.P($"encoder.layer.{i}.");
            foreach (var proj in new[] { "query", "key", "value" }) b.Linear(l + "attention.self." + proj, "hidden_size", "hidden_size");
            b.Linear(l + "attention.output.dense", "hidden_size", "hidden_size");
            b.Norm(l + "attention.output.LayerNorm", "hidden_size");
            b.Linear(l + "intermediate.dense", "intermediate_size", "hidden_size");
            b.Linear(l + "output.dense", "hidden_size", "intermediate_size");
            b.Norm(l + "output.LayerNorm", "hidden_size");
        }
        b.Layer = null;
    }

    private static Dictionary<string, long> BertSizes(BertConfig c) => new(StringComparer.Ordinal)
    {
        ["vocab_size"] = c.VocabSize, ["hidden_size"] = c.HiddenSize, ["max_position_embeddings"] = c.MaxPositionEmbeddings,
        ["type_vocab_size"] = c.TypeVocabSize, ["intermediate_size"] = c.IntermediateSize, ["num_labels"] = c.NumLabels,
    };

    private static ParameterPlan Bert(BertConfig c, ModelHead head)
    {
        var sizes = BertSizes(c);
        var b = new Builder("bert", sizes);
        BertEncoder(c, b);
        if (head == ModelHead.MaskedLM)
        {
            // BertForMaskedLM: no pooler; cls.predictions.transform, then the decoder tied to the word embeddings.
            b.Linear("cls.predictions.transform.dense", "hidden_size", "hidden_size", head: true);
            b.Norm("cls.predictions.transform.LayerNorm", "hidden_size", head: true);
            b.Add("cls.predictions.bias", true, "vocab_size");
            return new ParameterPlan(c, "bert", "num_hidden_layers", b.Parameters, sizes, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["cls.predictions.decoder.weight"] = "bert.embeddings.word_embeddings.weight",
                ["cls.predictions.decoder.bias"] = "cls.predictions.bias",
            });
        }
        b.Linear("bert.pooler.dense", "hidden_size", "hidden_size", head: true);
        b.Linear("classifier", "num_labels", "hidden_size", head: true);
        return new ParameterPlan(c, "bert", "num_hidden_layers", b.Parameters, sizes);
    }

    private static ParameterPlan Roberta(RobertaConfig c, ModelHead head)
    {
        var sizes = BertSizes(c);
        var b = new Builder("roberta", sizes);
        BertEncoder(c, b);
        if (head == ModelHead.MaskedLM)
        {
            b.Linear("lm_head.dense", "hidden_size", "hidden_size", head: true);
            b.Norm("lm_head.layer_norm", "hidden_size", head: true);
            b.Add("lm_head.bias", true, "vocab_size");
            return new ParameterPlan(c, "roberta", "num_hidden_layers", b.Parameters, sizes, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["lm_head.decoder.weight"] = "roberta.embeddings.word_embeddings.weight",
                ["lm_head.decoder.bias"] = "lm_head.bias",
            });
        }
        b.Linear("classifier.dense", "hidden_size", "hidden_size", head: true);
        b.Linear("classifier.out_proj", "num_labels", "hidden_size", head: true);
        return new ParameterPlan(c, "roberta", "num_hidden_layers", b.Parameters, sizes);
    }

    private static ParameterPlan DistilBert(DistilBertConfig c, ModelHead head)
    {
        if (c.SinusoidalPosEmbds)
            throw new InputException("sinusoidal_pos_embds: true is not supported", c.SourcePath, field: "sinusoidal_pos_embds");
        Activation(c, "activation", c.Activation);
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal)
        {
            ["vocab_size"] = c.VocabSize, ["dim"] = c.Dim, ["max_position_embeddings"] = c.MaxPositionEmbeddings,
            ["hidden_dim"] = c.HiddenDim, ["num_labels"] = c.NumLabels,
        };
        var b = new Builder("distilbert", sizes);
        b.Add("distilbert.embeddings.word_embeddings.weight", false, "vocab_size", "dim");
        b.Add("distilbert.embeddings.position_embeddings.weight", false, "max_position_embeddings", "dim");
        b.Norm("distilbert.embeddings.LayerNorm", "dim");
        for (var i = 0; i < c.NLayers; i++)
        {
            b.Layer = i;
            var l = $"distilbert.transformer.layer.{i}.";
            foreach (var proj in new[] { "q_lin", "k_lin", "v_lin", "out_lin" }) b.Linear(l + "attention." + proj, "dim", "dim");
            b.Norm(l + "sa_layer_norm", "dim");
            b.Linear(l + "ffn.lin1", "hidden_dim", "dim");
            b.Linear(l + "ffn.lin2", "dim", "hidden_dim");
            b.Norm(l + "output_layer_norm", "dim");
        }
        b.Layer = null;
        if (head == ModelHead.MaskedLM)
        {
            b.Linear("vocab_transform", "dim", "dim", head: true);
            b.Norm("vocab_layer_norm", "dim", head: true);
            b.Add("vocab_projector.bias", true, "vocab_size");
            return new ParameterPlan(c, "distilbert", "n_layers", b.Parameters, sizes, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["vocab_projector.weight"] = "distilbert.embeddings.word_embeddings.weight",
            });
        }
        b.Linear("pre_classifier", "dim", "dim", head: true);
        b.Linear("classifier", "num_labels", "dim", head: true);
        return new ParameterPlan(c, "distilbert", "n_layers", b.Parameters, sizes);
    }

    private static ParameterPlan ModernBert(ModernBertConfig c, ModelHead head)
    {
        if (head == ModelHead.SequenceClassification && c.ClassifierPooling is not ("cls" or "mean"))
            throw new InputException($"classifier_pooling '{c.ClassifierPooling}' is not supported; expected cls or mean", c.SourcePath, field: "classifier_pooling");
        Activation(c, "hidden_activation", c.HiddenActivation);
        Activation(c, "classifier_activation", c.ClassifierActivation);
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal)
        {
            ["vocab_size"] = c.VocabSize, ["hidden_size"] = c.HiddenSize, ["3 × hidden_size"] = 3L * c.HiddenSize,
            ["intermediate_size"] = c.IntermediateSize, ["2 × intermediate_size"] = 2L * c.IntermediateSize, ["num_labels"] = c.NumLabels,
        };
        var b = new Builder("model", sizes);
        b.Add("model.embeddings.tok_embeddings.weight", false, "vocab_size", "hidden_size");
        b.Norm("model.embeddings.norm", "hidden_size", c.NormBias);
        for (var i = 0; i < c.NumHiddenLayers; i++)
        {
            b.Layer = i;
            var l = $"model.layers.{i}.";
            if (i > 0) b.Norm(l + "attn_norm", "hidden_size", c.NormBias);
            b.Linear(l + "attn.Wqkv", "3 × hidden_size", "hidden_size", c.AttentionBias);
            b.Linear(l + "attn.Wo", "hidden_size", "hidden_size", c.AttentionBias);
            b.Norm(l + "mlp_norm", "hidden_size", c.NormBias);
            b.Linear(l + "mlp.Wi", "2 × intermediate_size", "hidden_size", c.MlpBias);
            b.Linear(l + "mlp.Wo", "hidden_size", "intermediate_size", c.MlpBias);
        }
        b.Layer = null;
        b.Norm("model.final_norm", "hidden_size", c.NormBias);
        b.Linear("head.dense", "hidden_size", "hidden_size", c.ClassifierBias, head: true);
        b.Norm("head.norm", "hidden_size", c.NormBias, head: true);
        if (head == ModelHead.MaskedLM)
        {
            if (c.DecoderBias) b.Add("decoder.bias", true, "vocab_size");
            return new ParameterPlan(c, "model", "num_hidden_layers", b.Parameters, sizes, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["decoder.weight"] = "model.embeddings.tok_embeddings.weight",
            });
        }
        b.Linear("classifier", "num_labels", "hidden_size", head: true);
        return new ParameterPlan(c, "model", "num_hidden_layers", b.Parameters, sizes);
    }

    // ---- matching a checkpoint header ----------------------------------------------------------------------------------

    /// <summary>
    /// Matches every planned parameter to a tensor of <paramref name="checkpoint"/> by name (also without
    /// <see cref="Prefix"/>, and TF-era <c>gamma</c>/<c>beta</c> for <c>weight</c>/<c>bias</c>), checking dtype and shape from
    /// the header alone: no tensor is read or allocated. <see cref="WeightLoadMode.Strict"/> requires every parameter;
    /// <see cref="WeightLoadMode.NewHead"/> lets head parameters be absent or of another shape (they are initialised).
    /// </summary>
    /// <param name="checkpoint">The opened weights (header only is used).</param>
    /// <param name="mode">What may be missing.</param>
    /// <param name="source">The weights file named in messages when <paramref name="checkpoint"/> is not a <see cref="SafeTensorsCheckpoint"/>.</param>
    /// <exception cref="InputException">A missing parameter (listing up to <see cref="ListedNames"/>), a shape other than the config
    /// implies, or a non-floating dtype, naming the weights file and the tensor.</exception>
    public WeightMatch Match(ISafeTensorsReader checkpoint, WeightLoadMode mode, string source = "checkpoint")
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (checkpoint is SafeTensorsCheckpoint c) source = c.SourcePath;
        string FileOf(string key) => checkpoint is SafeTensorsCheckpoint ck ? ck.FileOf(key) : source;

        var index = KeyIndex(checkpoint.Tensors.Keys);
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        var missing = new List<PlannedParameter>();
        var mismatched = new List<(string, string, string)>();
        foreach (var p in Parameters)
        {
            if (Candidates(p.Name).Concat(TiedAliases(p.Name)).FirstOrDefault(index.ContainsKey) is not { } candidate)
            {
                missing.Add(p);
                continue;
            }
            var key = index[candidate];
            var info = checkpoint.Tensors[key];
            if (!info.Shape.AsSpan().SequenceEqual(p.Shape))
            {
                if (mode == WeightLoadMode.NewHead && p.IsHead)
                {
                    mismatched.Add((p.Name, info.ShapeText, ShapeText(p.Shape)));
                    continue;
                }
                throw new InputException(
                    $"tensor is {info.ShapeText} but {PretrainedConfig.FileName} implies {ShapeText(p.Shape)} ({Describe(p.SizedBy)})",
                    FileOf(key), field: key);
            }
            if (info.DType is not (SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.F64))
                throw new InputException($"tensor has dtype {info.DType}; model weights must be F32, F16, BF16 or F64", FileOf(key), field: key);
            keys[p.Name] = key;
        }

        var required = mode == WeightLoadMode.NewHead ? missing.Where(p => !p.IsHead).ToList() : missing;
        if (required.Count > 0)
            throw new InputException(MissingMessage(required), source);

        var used = keys.Values.ToHashSet(StringComparer.Ordinal);
        var unexpected = checkpoint.Tensors.Keys.Where(k => !used.Contains(k) && !IsIgnoredKey(k) && !IsTiedKey(k)).Order(StringComparer.Ordinal).ToList();
        return new WeightMatch(keys, missing.Select(p => p.Name).ToList(), mismatched, unexpected);
    }

    private string MissingMessage(List<PlannedParameter> missing)
    {
        var text = $"{missing.Count} tensor{(missing.Count == 1 ? "" : "s")} the model needs {(missing.Count == 1 ? "is" : "are")} missing: " +
                   ListNames(missing.Select(p => p.Name));
        // The usual cause of many: a config with more layers than the weights hold.
        if (missing.Where(p => p.Layer is not null).Select(p => p.Layer!.Value).DefaultIfEmpty(-1).Min() is int first and >= 0)
        {
            var fromFirst = Parameters.Where(p => p.Layer >= first).ToList();
            if (fromFirst.All(missing.Contains) && missing.All(p => p.Layer >= first))
                text += $" ({PretrainedConfig.FileName} sets {LayersKey} {Parameters.Max(p => p.Layer)!.Value + 1} but the weights hold {first} layer{(first == 1 ? "" : "s")})";
        }
        return text;
    }

    /// <summary>Up to <see cref="ListedNames"/> names, then "and N more".</summary>
    public static string ListNames(IEnumerable<string> names)
    {
        var all = names.ToList();
        var shown = string.Join(", ", all.Take(ListedNames));
        return all.Count > ListedNames ? $"{shown} and {all.Count - ListedNames} more" : shown;
    }

    private string Describe(string[] keys) => string.Join(", ", keys.Distinct().Select(k => $"{k} {_sizes[k]}"));

    private static string ShapeText(long[] shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>Checkpoint keys a parameter may be stored under: its own name, then without the base-model prefix.</summary>
    private IEnumerable<string> Candidates(string name)
    {
        yield return name;
        var prefix = Prefix + ".";
        if (name.StartsWith(prefix, StringComparison.Ordinal)) yield return name[prefix.Length..];
    }

    /// <summary>Tied checkpoint keys standing for <paramref name="name"/> (with and without the prefix), tried after its own keys.</summary>
    private IEnumerable<string> TiedAliases(string name) =>
        Tied.Where(t => t.Value == name).SelectMany(t => Candidates(t.Key));

    // A tied weight under any of the names it may be stored as.
    private bool IsTiedKey(string key) => Tied.Keys.Any(t => Candidates(t).Contains(key, StringComparer.Ordinal));

    // Checkpoint key → itself, plus its gamma/beta → weight/bias alias.
    private static Dictionary<string, string> KeyIndex(IEnumerable<string> keys)
    {
        var index = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in keys) index[key] = key;
        foreach (var key in keys)
        {
            if (key.EndsWith(".gamma", StringComparison.Ordinal)) index.TryAdd(key[..^6] + ".weight", key);
            else if (key.EndsWith(".beta", StringComparison.Ordinal)) index.TryAdd(key[..^5] + ".bias", key);
        }
        return index;
    }

    // Buffers some checkpoints carry that this port recomputes.
    private static bool IsIgnoredKey(string key) =>
        key.EndsWith("position_ids", StringComparison.Ordinal) || key.EndsWith("token_type_ids", StringComparison.Ordinal) ||
        key.EndsWith("inv_freq", StringComparison.Ordinal);
}
