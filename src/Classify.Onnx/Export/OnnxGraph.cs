using System.Runtime.InteropServices;
using Classify.Core.IO;
using Classify.HuggingFace.SafeTensors;
using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Classify.Onnx.Export;

/// <summary>
/// Writes one ONNX graph node by node: initializers read from a checkpoint under their checkpoint keys, the graph's
/// inputs and outputs, and the blocks every encoder family shares (linear layer, LayerNorm, activations, multi-head
/// attention, the padding bias). Values are named after the module that makes them
/// (<c>bert.encoder.layer.0.attention.self/scores</c>), so a graph viewer reads like the Python model.
/// </summary>
/// <remarks>
/// Standard ONNX operators only (opset <see cref="Opset"/>, IR version <see cref="IrVersion"/>): no contrib operator is
/// written. ONNX Runtime fuses the Erf-GELU, scaled MatMul and int8 patterns into its own kernels when the session
/// optimises the graph (docs/deploy.md), and any ONNX runtime (or <c>onnx.checker</c>) can read the file.
/// </remarks>
internal sealed class OnnxGraph
{
    /// <summary>The default-domain opset written: 17 is the first with LayerNormalization.</summary>
    public const int Opset = 17;

    /// <summary>IR version 8 (ONNX 1.10 – 1.12): read by ONNX Runtime 1.31 and by Debian 12's onnx 1.12 checker.</summary>
    public const int IrVersion = 8;

    /// <summary>The symbolic batch dimension of inputs and outputs.</summary>
    public const string BatchAxis = "batch";

    /// <summary>The symbolic sequence dimension of inputs.</summary>
    public const string SequenceAxis = "sequence";

    private readonly GraphProto _graph;
    private readonly ISafeTensorsReader _weights;
    private readonly string _weightsPath;
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);
    private string? _dropoutSwitch;

    /// <summary>Starts an empty graph named <paramref name="name"/> whose weights come from <paramref name="weights"/>.</summary>
    public OnnxGraph(string name, ISafeTensorsReader weights, string weightsPath)
    {
        _graph = new GraphProto { Name = name };
        _weights = weights;
        _weightsPath = weightsPath;
    }

    /// <summary>The graph built so far.</summary>
    public GraphProto Graph => _graph;

    /// <summary>A model holding the graph, with the opset and producer set.</summary>
    public ModelProto ToModel(IReadOnlyDictionary<string, string> metadata)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "classify",
            ProducerVersion = Core.ClassifyInfo.Version,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model;
    }

    // ---- inputs, outputs, initializers ------------------------------------------------------------------------

    /// <summary>Declares an int64 <c>[batch, sequence]</c> graph input (input_ids, attention_mask, token_type_ids).</summary>
    public string TokenInput(string name)
    {
        Claim(name);
        _graph.Input.Add(ValueInfo(name, DataType.Int64, BatchAxis, SequenceAxis));
        return name;
    }

    /// <summary>The boolean scalar input that switches the graph's <c>Dropout</c> nodes on (see <see cref="EnableDropout"/>).</summary>
    public const string DropoutSwitchInput = "mc_dropout";

    /// <summary>The <c>Dropout</c> nodes written so far (each with its own <c>seed</c> attribute 1, 2, …).</summary>
    public int DropoutCount { get; private set; }

    /// <summary>
    /// Declares the boolean scalar input <see cref="DropoutSwitchInput"/>; from then on <see cref="Dropout"/> writes
    /// opset-12+ <c>Dropout</c> nodes whose <c>training_mode</c> is that input (false: the identity, the evaluation graph).
    /// Without this call <see cref="Dropout"/> writes nothing, as an evaluation-mode export should.
    /// </summary>
    public void EnableDropout()
    {
        Claim(DropoutSwitchInput);
        _graph.Input.Add(ValueInfo(DropoutSwitchInput, DataType.Bool));
        _dropoutSwitch = DropoutSwitchInput;
    }

    /// <summary>
    /// <c>nn.Dropout(p)</c> where Hugging Face applies one: a <c>Dropout</c> node (ratio <paramref name="p"/>,
    /// training_mode <see cref="DropoutSwitchInput"/>) when <see cref="EnableDropout"/> was called and <paramref name="p"/>
    /// is above 0, else <paramref name="x"/> unchanged.
    /// </summary>
    /// <exception cref="InputException"><paramref name="p"/> is 1 or more (ONNX's ratio is below 1).</exception>
    public string Dropout(string x, double p, string scope, string configKey)
    {
        if (_dropoutSwitch is null || p <= 0) return x;
        if (p >= 1) throw new InputException($"a dropout probability of {p} cannot be exported; ONNX Dropout takes ratios below 1", field: configKey);
        DropoutCount++;
        return Node("Dropout", [x, FloatScalar((float)p), _dropoutSwitch], scope + "/dropout", Attr("seed", (long)DropoutCount));
    }

    /// <summary>Declares <paramref name="value"/> as the float <c>[batch, labels]</c> output <paramref name="name"/>.</summary>
    public void LogitsOutput(string value, string name, int labels)
    {
        if (value != name) Node("Identity", [value], name);
        _graph.Output.Add(ValueInfo(name, DataType.Float, BatchAxis, labels));
    }

    /// <summary>The checkpoint tensor <paramref name="key"/> as a float32 initializer of the same name and shape.</summary>
    /// <exception cref="InputException">The checkpoint has no such tensor.</exception>
    public string Weight(string key)
    {
        if (_names.Contains(key)) return key;
        var info = Info(key);
        AddInitializer(key, info.Shape, _weights.ReadFloat32(key));
        return key;
    }

    /// <summary>
    /// A <c>nn.Linear</c> weight (<c>[out, in]</c> in the checkpoint) stored transposed, <c>[in, out]</c>, under its
    /// checkpoint key, so that <c>x · W</c> is one MatMul (the layout ONNX Runtime's MatMul kernels and the int8
    /// quantizer expect).
    /// </summary>
    public string LinearWeight(string key)
    {
        if (_names.Contains(key)) return key;
        var info = Info(key);
        if (info.Shape.Length != 2) throw new InputException($"'{key}' has shape {info.ShapeText}; a linear weight is 2-D", _weightsPath);
        int rows = checked((int)info.Shape[0]), cols = checked((int)info.Shape[1]);
        var source = _weights.ReadFloat32(key);
        var transposed = new float[source.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) transposed[c * rows + r] = source[r * cols + c];
        AddInitializer(key, [cols, rows], transposed);
        return key;
    }

    /// <summary>True when the checkpoint holds <paramref name="key"/> (optional biases).</summary>
    public bool HasWeight(string key) => _weights.Contains(key);

    /// <summary>An int64 constant (shared by value).</summary>
    public string Int64s(params long[] values) => Constant("const_i64_" + string.Join("_", values).Replace('-', 'm'), DataType.Int64, [values.Length],
        MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>An int64 scalar constant (shared by value).</summary>
    public string Int64Scalar(long value) => Constant($"const_i64_scalar_{value}".Replace('-', 'm'), DataType.Int64, [],
        BitConverter.GetBytes(value));

    /// <summary>A float32 scalar constant (shared by value).</summary>
    public string FloatScalar(float value) => Constant($"const_f32_{BitConverter.SingleToInt32Bits(value):x8}", DataType.Float, [],
        BitConverter.GetBytes(value));

    /// <summary>A float32 tensor constant computed by the exporter (not a checkpoint tensor).</summary>
    public string FloatTensor(string name, long[] shape, float[] values)
    {
        AddInitializer(name, shape, values);
        return name;
    }

    // ---- nodes --------------------------------------------------------------------------------------------------

    /// <summary>Adds one node of <paramref name="op"/> with one output named <paramref name="output"/> (made unique).</summary>
    public string Node(string op, IReadOnlyList<string> inputs, string output, params AttributeProto[] attributes) =>
        Node(op, inputs, [output], attributes)[0];

    /// <summary>Adds one node with several outputs (names made unique); returns the output names.</summary>
    public string[] Node(string op, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params AttributeProto[] attributes)
    {
        var names = outputs.Select(Unique).ToArray();
        var node = new NodeProto { OpType = op, Name = names[0] + "#" + op };
        node.Input.AddRange(inputs);
        node.Output.AddRange(names);
        node.Attribute.AddRange(attributes);
        _graph.Node.Add(node);
        return names;
    }

    /// <summary>An integer attribute.</summary>
    public static AttributeProto Attr(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>A float attribute.</summary>
    public static AttributeProto Attr(string name, float value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>An integer-list attribute.</summary>
    public static AttributeProto Attr(string name, long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    // ---- shared blocks ------------------------------------------------------------------------------------------

    /// <summary><c>nn.Linear</c>: <c>x · Wᵀ (+ b)</c>, the bias only when the checkpoint has <c>{prefix}.bias</c>.</summary>
    public string Linear(string x, string prefix)
    {
        var product = Node("MatMul", [x, LinearWeight(prefix + ".weight")], prefix + "/matmul");
        return HasWeight(prefix + ".bias") ? Node("Add", [product, Weight(prefix + ".bias")], prefix + "/output") : product;
    }

    /// <summary><c>nn.LayerNorm</c> over the last axis; the bias only when the checkpoint has <c>{prefix}.bias</c>.</summary>
    public string LayerNorm(string x, string prefix, double eps)
    {
        List<string> inputs = [x, Weight(prefix + ".weight")];
        if (HasWeight(prefix + ".bias")) inputs.Add(Weight(prefix + ".bias"));
        return Node("LayerNormalization", inputs, prefix + "/output", Attr("axis", -1L), Attr("epsilon", (float)eps));
    }

    /// <summary>
    /// transformers' <c>ACT2FN[name]</c>: <c>gelu</c> exact (<c>0.5·x·(1 + erf(x/√2))</c>), the tanh approximation for
    /// <c>gelu_new</c>, <c>gelu_pytorch_tanh</c> and <c>gelu_fast</c>, <c>relu</c>, <c>silu</c>/<c>swish</c>, <c>tanh</c>.
    /// </summary>
    /// <exception cref="InputException">Another activation name.</exception>
    public string Activation(string x, string name, string scope, string configKey)
    {
        switch (name)
        {
            case "gelu":
            {
                // x/√2 → Erf → +1 → ·x → ·0.5: the order PyTorch's exporter writes, which ONNX Runtime's GELU fusion recognises.
                var erf = Node("Erf", [Node("Div", [x, FloatScalar(MathF.Sqrt(2f))], scope + "/gelu_scaled")], scope + "/gelu_erf");
                var onePlus = Node("Add", [erf, FloatScalar(1f)], scope + "/gelu_one_plus");
                return Node("Mul", [Node("Mul", [x, onePlus], scope + "/gelu_x"), FloatScalar(0.5f)], scope + "/gelu");
            }
            case "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast":
            {
                var cube = Node("Mul", [Node("Mul", [x, x], scope + "/gelu_sq"), x], scope + "/gelu_cube");
                var inner = Node("Add", [x, Node("Mul", [cube, FloatScalar(0.044715f)], scope + "/gelu_cube_scaled")], scope + "/gelu_inner");
                var tanh = Node("Tanh", [Node("Mul", [inner, FloatScalar(MathF.Sqrt(2f / MathF.PI))], scope + "/gelu_arg")], scope + "/gelu_tanh");
                var onePlus = Node("Add", [tanh, FloatScalar(1f)], scope + "/gelu_one_plus");
                return Node("Mul", [Node("Mul", [x, FloatScalar(0.5f)], scope + "/gelu_half"), onePlus], scope + "/gelu");
            }
            case "relu": return Node("Relu", [x], scope + "/relu");
            case "silu" or "swish": return Node("Mul", [x, Node("Sigmoid", [x], scope + "/sigmoid")], scope + "/silu");
            case "tanh": return Node("Tanh", [x], scope + "/tanh");
            default:
                throw new InputException($"activation '{name}' cannot be exported; expected gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, silu, swish or tanh",
                    field: configKey);
        }
    }

    /// <summary>
    /// The additive attention bias of a padding mask, <c>[batch, 1, 1, seq]</c>: 0 where <c>attention_mask</c> is 1 and
    /// float32's lowest value where it is 0. Finite, as in transformers, so that a fully padded row stays NaN-free.
    /// </summary>
    public string PaddingBias(string attentionMask)
    {
        var keep = Node("Cast", [attentionMask], "attention_mask/float", Attr("to", (long)DataType.Float));
        var masked = Node("Sub", [FloatScalar(1f), keep], "attention_mask/masked");
        var bias = Node("Mul", [masked, FloatScalar(float.MinValue)], "attention_mask/bias_2d");
        return Node("Unsqueeze", [bias, Int64s(1, 2)], "attention_mask/bias");
    }

    /// <summary>The sequence length of <c>[batch, seq]</c> ids as an int64 scalar.</summary>
    public string SequenceLength(string inputIds)
    {
        var shape = Node("Shape", [inputIds], "sequence_length_1d", Attr("start", 1L), Attr("end", 2L));
        return Node("Squeeze", [shape, Int64s(0)], "sequence_length");
    }

    /// <summary>Positions <c>0 … seq−1</c> (int64, <c>[seq]</c>).</summary>
    public string Positions(string inputIds) =>
        Node("Range", [Int64Scalar(0), SequenceLength(inputIds), Int64Scalar(1)], "positions");

    /// <summary><c>[batch, seq, heads·dim]</c> → <c>[batch, heads, seq, dim]</c>.</summary>
    public string SplitHeads(string x, int heads, int headDim, string scope)
    {
        var split = Node("Reshape", [x, Int64s(0, 0, heads, headDim)], scope + "/heads");
        return Node("Transpose", [split], scope + "/heads_first", Attr("perm", new long[] { 0, 2, 1, 3 }));
    }

    /// <summary><c>[batch, heads, seq, dim]</c> → <c>[batch, seq, heads·dim]</c>.</summary>
    public string MergeHeads(string x, int width, string scope)
    {
        var back = Node("Transpose", [x], scope + "/seq_first", Attr("perm", new long[] { 0, 2, 1, 3 }));
        return Node("Reshape", [back, Int64s(0, 0, width)], scope + "/context");
    }

    /// <summary>
    /// <c>softmax(Q·Kᵀ/√d + bias)·V</c> on <c>[batch, heads, seq, dim]</c> tensors; <paramref name="bias"/> broadcasts to
    /// <c>[batch, heads, seq, seq]</c>. <paramref name="dropout"/> is the attention-probability dropout (written only
    /// by a graph with <see cref="EnableDropout"/>).
    /// </summary>
    public string ScaledDotProductAttention(string query, string key, string value, string bias, int headDim, string scope,
        double dropout = 0, string dropoutKey = "")
    {
        var keyT = Node("Transpose", [key], scope + "/key_t", Attr("perm", new long[] { 0, 1, 3, 2 }));
        var scores = Node("MatMul", [query, keyT], scope + "/scores");
        var scaled = Node("Mul", [scores, FloatScalar((float)(1.0 / Math.Sqrt(headDim)))], scope + "/scores_scaled");
        var masked = Node("Add", [scaled, bias], scope + "/scores_masked");
        var probs = Dropout(Node("Softmax", [masked], scope + "/probs", Attr("axis", -1L)), dropout, scope + "/probs", dropoutKey);
        return Node("MatMul", [probs, value], scope + "/attended");
    }

    /// <summary>The first token's vector of <c>[batch, seq, hidden]</c>: <c>[batch, hidden]</c>.</summary>
    public string FirstToken(string hidden, string scope) => Node("Gather", [hidden, Int64Scalar(0)], scope + "/first_token", Attr("axis", 1L));

    // ---- internals ----------------------------------------------------------------------------------------------

    private SafeTensorInfo Info(string key) =>
        _weights.Tensors.TryGetValue(key, out var info) ? info
            : throw new InputException($"the weights have no tensor '{key}' (is this a sequence-classification checkpoint of this family?)", _weightsPath);

    private void AddInitializer(string name, long[] shape, float[] values)
    {
        Claim(name);
        var tensor = new TensorProto { Name = name, DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())) };
        tensor.Dims.AddRange(shape);
        _graph.Initializer.Add(tensor);
    }

    private string Constant(string name, DataType type, long[] shape, byte[] raw)
    {
        if (_constants.TryGetValue(name, out var existing)) return existing;
        Claim(name);
        var tensor = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(raw) };
        tensor.Dims.AddRange(shape);
        _graph.Initializer.Add(tensor);
        _constants[name] = name;
        return name;
    }

    private void Claim(string name)
    {
        if (!_names.Add(name)) throw new InvalidOperationException($"the graph already has a value named '{name}'");
    }

    private string Unique(string name)
    {
        if (_names.Add(name)) return name;
        for (int i = 2; ; i++)
            if (_names.Add($"{name}_{i}")) return $"{name}_{i}";
    }

    private static ValueInfoProto ValueInfo(string name, DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string param ? new TensorShapeProto.Types.Dimension { DimParam = param }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }
}
