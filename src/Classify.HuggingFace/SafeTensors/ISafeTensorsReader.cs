namespace Classify.HuggingFace.SafeTensors;

/// <summary>
/// Read access to named tensors, whether they live in one <see cref="SafeTensorsFile"/> or across the
/// shards of a <see cref="SafeTensorsCheckpoint"/>.
/// </summary>
public interface ISafeTensorsReader : IDisposable
{
    /// <summary>Every tensor by name.</summary>
    IReadOnlyDictionary<string, SafeTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> strings (for a sharded checkpoint, the index file's <c>metadata</c>).</summary>
    IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>True when a tensor of that name exists.</summary>
    bool Contains(string name);

    /// <summary>The raw little-endian bytes of a tensor, without copying. Valid until the reader is disposed.</summary>
    ReadOnlySpan<byte> GetBytes(string name);

    /// <summary>The tensor as float32, converted from F32, F16, BF16 or F64.</summary>
    float[] ReadFloat32(string name);

    /// <summary>The tensor as float64, converted from F64, F32, F16 or BF16.</summary>
    double[] ReadFloat64(string name);

    /// <summary>The tensor as int64, converted from I64, I32, I16, I8, U8 or BOOL.</summary>
    long[] ReadInt64(string name);
}
