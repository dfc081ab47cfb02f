namespace Classify.HuggingFace.SafeTensors;

/// <summary>
/// One tensor's entry in a safetensors header.
/// </summary>
/// <param name="Name">The state-dict key, e.g. <c>bert.embeddings.word_embeddings.weight</c>.</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions, row-major (C order); empty for a scalar.</param>
/// <param name="DataOffset">Start of the tensor's bytes, relative to the start of the data section.</param>
/// <param name="ByteLength">Number of bytes: product of <paramref name="Shape"/> times the element size.</param>
public sealed record SafeTensorInfo(string Name, SafeTensorsDType DType, long[] Shape, long DataOffset, long ByteLength)
{
    /// <summary>Number of elements (1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (var d in Shape) n *= d;
            return n;
        }
    }

    /// <summary>The shape as <c>[a, b]</c>, for messages.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>A tensor to write: name, type, shape and its raw little-endian bytes.</summary>
/// <param name="Name">The state-dict key.</param>
/// <param name="DType">Element type.</param>
/// <param name="Shape">Dimensions, row-major.</param>
/// <param name="Data">Exactly product(shape) × element size bytes, little-endian.</param>
public sealed record SafeTensorsEntry(string Name, SafeTensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data)
{
    /// <summary>A float32 tensor from values.</summary>
    public static SafeTensorsEntry FromFloat32(string name, long[] shape, ReadOnlySpan<float> values) =>
        new(name, SafeTensorsDType.F32, shape, TensorConversions.ToBytes(values));

    /// <summary>A float64 tensor from values.</summary>
    public static SafeTensorsEntry FromFloat64(string name, long[] shape, ReadOnlySpan<double> values) =>
        new(name, SafeTensorsDType.F64, shape, TensorConversions.ToBytes(values));

    /// <summary>An int64 tensor from values.</summary>
    public static SafeTensorsEntry FromInt64(string name, long[] shape, ReadOnlySpan<long> values) =>
        new(name, SafeTensorsDType.I64, shape, TensorConversions.ToBytes(values));
}
