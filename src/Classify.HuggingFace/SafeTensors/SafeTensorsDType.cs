namespace Classify.HuggingFace.SafeTensors;

/// <summary>
/// Element types of a safetensors file, spelled as in the file header (<c>"dtype": "F32"</c>).
/// </summary>
public enum SafeTensorsDType
{
    /// <summary>IEEE 754 binary64.</summary>
    F64,
    /// <summary>IEEE 754 binary32.</summary>
    F32,
    /// <summary>IEEE 754 binary16 (half precision).</summary>
    F16,
    /// <summary>bfloat16: the upper 16 bits of a binary32.</summary>
    BF16,
    /// <summary>Signed 64-bit integer.</summary>
    I64,
    /// <summary>Signed 32-bit integer.</summary>
    I32,
    /// <summary>Signed 16-bit integer.</summary>
    I16,
    /// <summary>Signed 8-bit integer.</summary>
    I8,
    /// <summary>Unsigned 8-bit integer.</summary>
    U8,
    /// <summary>Boolean stored as one byte (0 or 1).</summary>
    BOOL,
}

/// <summary>Facts about <see cref="SafeTensorsDType"/> values.</summary>
public static class SafeTensorsDTypes
{
    /// <summary>Size of one element in bytes.</summary>
    public static int ElementSize(this SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.F64 or SafeTensorsDType.I64 => 8,
        SafeTensorsDType.F32 or SafeTensorsDType.I32 => 4,
        SafeTensorsDType.F16 or SafeTensorsDType.BF16 or SafeTensorsDType.I16 => 2,
        SafeTensorsDType.I8 or SafeTensorsDType.U8 or SafeTensorsDType.BOOL => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>True for the floating-point types.</summary>
    public static bool IsFloatingPoint(this SafeTensorsDType dtype) =>
        dtype is SafeTensorsDType.F64 or SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16;

    /// <summary>The spelling used in the header.</summary>
    public static string HeaderName(this SafeTensorsDType dtype) => dtype.ToString();

    /// <summary>Parses a header spelling (case-sensitive, as the format requires).</summary>
    public static bool TryParse(string text, out SafeTensorsDType dtype)
    {
        switch (text)
        {
            case "F64": dtype = SafeTensorsDType.F64; return true;
            case "F32": dtype = SafeTensorsDType.F32; return true;
            case "F16": dtype = SafeTensorsDType.F16; return true;
            case "BF16": dtype = SafeTensorsDType.BF16; return true;
            case "I64": dtype = SafeTensorsDType.I64; return true;
            case "I32": dtype = SafeTensorsDType.I32; return true;
            case "I16": dtype = SafeTensorsDType.I16; return true;
            case "I8": dtype = SafeTensorsDType.I8; return true;
            case "U8": dtype = SafeTensorsDType.U8; return true;
            case "BOOL": dtype = SafeTensorsDType.BOOL; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>
    /// Position in the Rust crate's <c>Dtype</c> enum, which lists types in increasing alignment
    /// (BOOL, U8, I8, …, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64). The writer sorts by this,
    /// descending, then by name, exactly as <c>safetensors::tensor::prepare</c> does.
    /// </summary>
    internal static int RustOrder(this SafeTensorsDType dtype) => dtype switch
    {
        SafeTensorsDType.BOOL => 0,
        SafeTensorsDType.U8 => 1,
        SafeTensorsDType.I8 => 2,
        SafeTensorsDType.I16 => 5,
        SafeTensorsDType.F16 => 7,
        SafeTensorsDType.BF16 => 8,
        SafeTensorsDType.I32 => 9,
        SafeTensorsDType.F32 => 11,
        SafeTensorsDType.F64 => 12,
        SafeTensorsDType.I64 => 13,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };
}
