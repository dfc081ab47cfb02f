using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Classify.HuggingFace.SafeTensors;

/// <summary>Little-endian decoding of raw tensor bytes into .NET arrays.</summary>
internal static class TensorConversions
{
    public static float[] ToFloat32(ReadOnlySpan<byte> bytes, SafeTensorsDType dtype, string what)
    {
        var n = checked((int)(bytes.Length / dtype.ElementSize()));
        var result = new float[n];
        switch (dtype)
        {
            case SafeTensorsDType.F32:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(bytes).CopyTo(result);
                else for (var i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
                break;
            case SafeTensorsDType.F16:
                for (var i = 0; i < n; i++) result[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
                break;
            case SafeTensorsDType.BF16:
                for (var i = 0; i < n; i++) result[i] = BFloat16ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]));
                break;
            case SafeTensorsDType.F64:
                for (var i = 0; i < n; i++) result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]);
                break;
            default:
                throw new InvalidOperationException($"{what} has dtype {dtype}; a floating-point tensor (F64, F32, F16, BF16) was expected.");
        }
        return result;
    }

    public static double[] ToFloat64(ReadOnlySpan<byte> bytes, SafeTensorsDType dtype, string what)
    {
        if (dtype != SafeTensorsDType.F64)
        {
            var floats = ToFloat32(bytes, dtype, what);
            var widened = new double[floats.Length];
            for (var i = 0; i < floats.Length; i++) widened[i] = floats[i];
            return widened;
        }
        var n = bytes.Length / 8;
        var result = new double[n];
        if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, double>(bytes).CopyTo(result);
        else for (var i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]);
        return result;
    }

    public static long[] ToInt64(ReadOnlySpan<byte> bytes, SafeTensorsDType dtype, string what)
    {
        var n = checked((int)(bytes.Length / dtype.ElementSize()));
        var result = new long[n];
        switch (dtype)
        {
            case SafeTensorsDType.I64:
                for (var i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes[(8 * i)..]);
                break;
            case SafeTensorsDType.I32:
                for (var i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]);
                break;
            case SafeTensorsDType.I16:
                for (var i = 0; i < n; i++) result[i] = BinaryPrimitives.ReadInt16LittleEndian(bytes[(2 * i)..]);
                break;
            case SafeTensorsDType.I8:
                for (var i = 0; i < n; i++) result[i] = (sbyte)bytes[i];
                break;
            case SafeTensorsDType.U8:
            case SafeTensorsDType.BOOL:
                for (var i = 0; i < n; i++) result[i] = bytes[i];
                break;
            default:
                throw new InvalidOperationException($"{what} has dtype {dtype}; an integer tensor (I64, I32, I16, I8, U8, BOOL) was expected.");
        }
        return result;
    }

    /// <summary>bfloat16 is the high half of a float32, so widening is a shift.</summary>
    public static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Rounds to nearest even, as PyTorch's <c>.to(torch.bfloat16)</c> does; NaN stays NaN.</summary>
    public static ushort SingleToBFloat16(float value)
    {
        var bits = (uint)BitConverter.SingleToInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x0040);
        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    public static byte[] ToBytes(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }

    public static byte[] ToBytes(ReadOnlySpan<double> values)
    {
        var bytes = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), values[i]);
        return bytes;
    }

    public static byte[] ToBytes(ReadOnlySpan<long> values)
    {
        var bytes = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8 * i), values[i]);
        return bytes;
    }
}
