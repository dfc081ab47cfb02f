using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Classify.Onnx.Export;

/// <summary>
/// Dynamic int8 quantization of an ONNX graph, as ONNX Runtime's Python <c>quantize_dynamic</c> does it (its C#
/// package has no quantizer): weights are quantized once, at export, and activations at run time.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Every <c>MatMul</c> whose right operand is a 2-D float initializer <c>W [K, N]</c> (all linear layers):
/// <c>W</c> becomes int8, symmetric per output column (<c>scaleₙ = max|W[:, n]| / 127</c>, zero point 0). The node becomes
/// <c>DynamicQuantizeLinear(x)</c> (uint8, one scale and zero point per tensor, computed per call) →
/// <c>MatMulInteger</c> → <c>Cast</c> to float → <c>Mul</c> by <c>x_scale · scaleₙ</c>. ONNX Runtime fuses this pattern into
/// its <c>DynamicQuantizeMatMul</c> / <c>MatMulIntegerToFloat</c> kernels when it optimises the session; the file itself
/// holds only standard operators.</item>
/// <item>Every <c>Gather</c> from a 2-D float initializer (embedding tables, a quarter of a BERT-base file): the table
/// becomes int8 with one symmetric scale per row; the graph gathers the int8 rows and their scales and multiplies.</item>
/// </list>
/// Biases, LayerNorm parameters and attention arithmetic stay float32. Because an activation's scale is taken over the
/// whole tensor, a row's scores depend (within quantization noise) on the rows it is batched with, so the ONNX engine
/// runs quantized graphs one unpadded row at a time.
/// </remarks>
internal static class DynamicQuantizer
{
    /// <summary>The metadata key recording how the graph was quantized.</summary>
    public const string MetadataKey = "classify.quantization";

    /// <summary>Quantizes <paramref name="model"/> in place; returns the number of MatMul and Gather nodes rewritten.</summary>
    public static int QuantizeInt8(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var quantizedMatrices = new Dictionary<string, (string Values, string Scales)>(StringComparer.Ordinal);
        var quantizedTables = new Dictionary<string, (string Values, string Scales)>(StringComparer.Ordinal);
        var nodes = new List<NodeProto>(graph.Node.Count);
        int rewritten = 0;

        bool IsFloatMatrix(string name) =>
            initializers.TryGetValue(name, out var t) && t.DataType == (int)DataType.Float && t.Dims.Count == 2;

        foreach (var node in graph.Node)
        {
            if (node.OpType == "MatMul" && node.Domain.Length == 0 && node.Input.Count == 2 && IsFloatMatrix(node.Input[1]))
            {
                var weight = node.Input[1];
                if (!quantizedMatrices.TryGetValue(weight, out var q))
                    quantizedMatrices[weight] = q = AddQuantized(graph, initializers[weight], perColumn: true);
                var x = node.Input[0];
                var output = node.Output[0];
                var scope = node.Name.Length > 0 ? node.Name : output;
                string[] xq = [$"{output}/x_quantized", $"{output}/x_scale", $"{output}/x_zero_point"];
                nodes.Add(NewNode("DynamicQuantizeLinear", scope + "/quantize", [x], xq));
                nodes.Add(NewNode("MatMulInteger", scope + "/matmul_integer", [xq[0], q.Values, xq[2]], [$"{output}/int32"]));
                nodes.Add(NewNode("Cast", scope + "/cast", [$"{output}/int32"], [$"{output}/float"], Attr("to", (long)DataType.Float)));
                nodes.Add(NewNode("Mul", scope + "/combined_scale", [xq[1], q.Scales], [$"{output}/scale"]));
                nodes.Add(NewNode("Mul", scope + "/dequantize", [$"{output}/float", $"{output}/scale"], [output]));
                rewritten++;
            }
            else if (node.OpType == "Gather" && node.Domain.Length == 0 && IsFloatMatrix(node.Input[0])
                     && node.Attribute.All(a => a.Name != "axis" || a.I == 0))
            {
                var table = node.Input[0];
                if (!quantizedTables.TryGetValue(table, out var q))
                    quantizedTables[table] = q = AddQuantized(graph, initializers[table], perColumn: false);
                var ids = node.Input[1];
                var output = node.Output[0];
                var scope = node.Name.Length > 0 ? node.Name : output;
                nodes.Add(NewNode("Gather", scope + "/gather_int8", [q.Values, ids], [$"{output}/int8"]));
                nodes.Add(NewNode("Cast", scope + "/cast", [$"{output}/int8"], [$"{output}/float"], Attr("to", (long)DataType.Float)));
                nodes.Add(NewNode("Gather", scope + "/gather_scale", [q.Scales, ids], [$"{output}/scale"]));
                nodes.Add(NewNode("Mul", scope + "/dequantize", [$"{output}/float", $"{output}/scale"], [output]));
                rewritten++;
            }
            else
            {
                nodes.Add(node);
            }
        }
        graph.Node.Clear();
        graph.Node.AddRange(nodes);

        // Drop the float originals nothing reads any more.
        var used = new HashSet<string>(graph.Node.SelectMany(n => n.Input), StringComparer.Ordinal);
        foreach (var o in graph.Output) used.Add(o.Name);
        var kept = graph.Initializer.Where(t => used.Contains(t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(kept);

        model.MetadataProps.Add(new StringStringEntryProto
        {
            Key = MetadataKey,
            Value = "dynamic int8: MatMul weights symmetric per output column, Gather tables symmetric per row; activations uint8 per tensor",
        });
        return rewritten;
    }

    /// <summary>
    /// Adds the int8 copy of a 2-D float tensor and its symmetric scales: per column (<c>[N]</c>, for <c>x · W</c>)
    /// or per row (<c>[rows, 1]</c>, for a gathered table).
    /// </summary>
    private static (string Values, string Scales) AddQuantized(GraphProto graph, TensorProto source, bool perColumn)
    {
        int rows = checked((int)source.Dims[0]), cols = checked((int)source.Dims[1]);
        var values = FloatValues(source);
        var scales = new float[perColumn ? cols : rows];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                ref var largest = ref scales[perColumn ? c : r];
                largest = Math.Max(largest, Math.Abs(values[r * cols + c]));
            }
        for (int i = 0; i < scales.Length; i++) scales[i] = scales[i] > 0 ? scales[i] / 127f : 1f;   // an all-zero column quantizes to zeros

        var quantized = new sbyte[values.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                var scale = scales[perColumn ? c : r];
                quantized[r * cols + c] = (sbyte)Math.Clamp(MathF.Round(values[r * cols + c] / scale, MidpointRounding.ToEven), -127f, 127f);
            }

        var valuesName = source.Name + "_quantized";
        var scalesName = source.Name + "_scale";
        var q = new TensorProto { Name = valuesName, DataType = (int)DataType.Int8, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(quantized.AsSpan())) };
        q.Dims.AddRange([rows, cols]);
        var s = new TensorProto { Name = scalesName, DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(scales.AsSpan())) };
        if (perColumn) s.Dims.Add(cols);
        else s.Dims.AddRange([rows, 1]);
        graph.Initializer.Add(q);
        graph.Initializer.Add(s);
        return (valuesName, scalesName);
    }

    private static float[] FloatValues(TensorProto tensor)
    {
        if (tensor.RawData.Length > 0) return MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();
        return tensor.FloatData.ToArray();
    }

    private static NodeProto NewNode(string op, string name, IEnumerable<string> inputs, IEnumerable<string> outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Attr(string name, long value) => OnnxGraph.Attr(name, value);
}
