using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text;
using System.Text.Json;
using Classify.Core.IO;

namespace Classify.HuggingFace.SafeTensors;

/// <summary>
/// A memory-mapped <c>.safetensors</c> file: an 8-byte little-endian header length N, N bytes of JSON
/// (<c>{"__metadata__": {...}, "name": {"dtype", "shape", "data_offsets"}}</c>), then the raw tensor data.
/// The header is validated the way the reference Rust implementation does it before any byte is handed out.
/// </summary>
public sealed unsafe class SafeTensorsFile : ISafeTensorsReader
{
    /// <summary>Headers larger than this are refused, as in the reference implementation (100 MB).</summary>
    public const long MaxHeaderSize = 100_000_000;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _dataStart;
    private bool _disposed;

    private SafeTensorsFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, long dataStart, long fileLength,
        Dictionary<string, SafeTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        _map = map;
        _view = view;
        _dataStart = dataStart;
        FileLength = fileLength;
        Tensors = tensors;
        Metadata = metadata;
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;
    }

    /// <summary>The file this was opened from (full path).</summary>
    public string Path { get; }

    /// <summary>Size of the file in bytes.</summary>
    public long FileLength { get; }

    /// <summary>Offset of the data section: 8 + header length.</summary>
    public long DataStart => _dataStart;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors { get; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// Opens and validates a safetensors file. Throws <see cref="InputException"/> naming the file (and the
    /// tensor, when one is at fault) if the header is malformed or inconsistent with the file size.
    /// </summary>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new InputException("safetensors file not found", full);
        // The stream's length, not FileInfo's: in a Hub cache the path is a symlink, and FileInfo reports the link's size.
        var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete);
        var fileLength = stream.Length;
        if (fileLength < 8)
        {
            stream.Dispose();
            throw new InputException($"file is {fileLength} bytes long; a safetensors file starts with an 8-byte header length", full);
        }
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, fileLength, MemoryMappedFileAccess.Read);
            var headerLength = view.ReadUInt64(0);
            if (headerLength > MaxHeaderSize)
                throw new InputException($"header length {headerLength} exceeds the {MaxHeaderSize}-byte limit (not a safetensors file, or a corrupted one)", full);
            if (8 + (long)headerLength > fileLength)
                throw new InputException($"header length {headerLength} runs past the end of the {fileLength}-byte file (truncated or not a safetensors file)", full);
            var header = new byte[headerLength];
            view.ReadArray(8, header, 0, header.Length);
            var dataStart = 8 + (long)headerLength;
            var (tensors, metadata) = ParseHeader(header, fileLength - dataStart, full);
            var file = new SafeTensorsFile(full, map, view, dataStart, fileLength, tensors, metadata);
            return file;
        }
        catch
        {
            view?.Dispose();
            map?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Parses and validates a header against a data section of <paramref name="dataLength"/> bytes:
    /// known dtypes, non-negative shapes, byte lengths equal to product(shape) × element size, and offsets that
    /// tile the data section exactly (no gap, no overlap, nothing past the end).
    /// </summary>
    internal static (Dictionary<string, SafeTensorInfo>, Dictionary<string, string>) ParseHeader(byte[] header, long dataLength, string file)
    {
        string text;
        try { text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(header); }
        catch (DecoderFallbackException e) { throw new InputException("header is not valid UTF-8", file, inner: e); }

        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException e) { throw new InputException($"header is not valid JSON: {e.Message}", file, inner: e); }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InputException($"header must be a JSON object, found {doc.RootElement.ValueKind}", file);

            var tensors = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind == JsonValueKind.Null) continue;
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw new InputException("__metadata__ must be an object of strings", file, field: "__metadata__");
                    foreach (var m in property.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String)
                            throw new InputException($"__metadata__ values must be strings, '{m.Name}' is {m.Value.ValueKind}", file, field: "__metadata__");
                        metadata[m.Name] = m.Value.GetString()!;
                    }
                    continue;
                }
                if (tensors.ContainsKey(property.Name))
                    throw new InputException("tensor is listed twice in the header", file, field: property.Name);
                tensors[property.Name] = ParseTensor(property.Name, property.Value, file);
            }

            ValidateLayout(tensors.Values, dataLength, file);
            return (tensors, metadata);
        }
    }

    private static SafeTensorInfo ParseTensor(string name, JsonElement entry, string file)
    {
        if (entry.ValueKind != JsonValueKind.Object)
            throw new InputException("tensor entry must be an object with dtype, shape and data_offsets", file, field: name);
        if (!entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new InputException("tensor entry has no string 'dtype'", file, field: name);
        var dtypeText = dtypeElement.GetString()!;
        if (!SafeTensorsDTypes.TryParse(dtypeText, out var dtype))
            throw new InputException($"unsupported dtype '{dtypeText}' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)", file, field: name);

        if (!entry.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw new InputException("tensor entry has no 'shape' array", file, field: name);
        var shape = new long[shapeElement.GetArrayLength()];
        var i = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var dim) || dim < 0)
                throw new InputException($"shape entry {i} is not a non-negative integer", file, field: name);
            shape[i++] = dim;
        }

        if (!entry.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw new InputException("tensor entry has no 'data_offsets' pair [begin, end]", file, field: name);
        var begin = ReadOffset(offsets[0], name, file);
        var end = ReadOffset(offsets[1], name, file);
        if (end < begin)
            throw new InputException($"data_offsets [{begin}, {end}] end before they begin", file, field: name);

        long expected;
        try
        {
            expected = dtype.ElementSize();
            foreach (var dim in shape) expected = checked(expected * dim);
        }
        catch (OverflowException)
        {
            throw new InputException("shape overflows a 64-bit byte count", file, field: name);
        }
        if (end - begin != expected)
            throw new InputException(
                $"data_offsets [{begin}, {end}] span {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtype} needs {expected}",
                file, field: name);
        return new SafeTensorInfo(name, dtype, shape, begin, end - begin);
    }

    private static long ReadOffset(JsonElement e, string name, string file)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out var v) || v < 0)
            throw new InputException("data_offsets must be non-negative integers", file, field: name);
        return v;
    }

    private static void ValidateLayout(IEnumerable<SafeTensorInfo> tensors, long dataLength, string file)
    {
        // Sorted by (begin, end) so zero-sized tensors sharing an offset line up; each must start where the
        // previous one ended, and the last must end exactly at the end of the file.
        long position = 0;
        foreach (var t in tensors.OrderBy(t => t.DataOffset).ThenBy(t => t.ByteLength))
        {
            if (t.DataOffset < position)
                throw new InputException($"data_offsets [{t.DataOffset}, {t.DataOffset + t.ByteLength}] overlap the previous tensor, which ends at {position}", file, field: t.Name);
            if (t.DataOffset > position)
                throw new InputException($"data_offsets begin at {t.DataOffset} but the previous tensor ends at {position}: the data section has a gap", file, field: t.Name);
            position = t.DataOffset + t.ByteLength;
        }
        if (position != dataLength)
            throw new InputException(
                position > dataLength
                    ? $"tensors need {position} bytes of data but the file holds only {dataLength} after the header (truncated file)"
                    : $"tensors cover {position} bytes but the data section holds {dataLength}: trailing bytes belong to no tensor",
                file);
    }

    /// <inheritdoc />
    public bool Contains(string name) => Tensors.ContainsKey(name);

    /// <summary>The entry for <paramref name="name"/>; <see cref="KeyNotFoundException"/> naming the file if absent.</summary>
    public SafeTensorInfo GetInfo(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Tensors.TryGetValue(name, out var info)
            ? info
            : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");
    }

    /// <inheritdoc />
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var info = GetInfo(name);
        if (info.ByteLength > int.MaxValue)
            throw new NotSupportedException($"{Path}: tensor '{name}' is {info.ByteLength} bytes, more than one span can hold; use CopyTo in chunks");
        return new ReadOnlySpan<byte>(_base + _dataStart + info.DataOffset, (int)info.ByteLength);
    }

    /// <summary>Copies a tensor's raw bytes into <paramref name="destination"/>, which must be exactly its size.</summary>
    public void CopyTo(string name, Span<byte> destination)
    {
        var bytes = GetBytes(name);
        if (destination.Length != bytes.Length)
            throw new ArgumentException($"destination holds {destination.Length} bytes; tensor '{name}' has {bytes.Length}", nameof(destination));
        bytes.CopyTo(destination);
    }

    /// <inheritdoc />
    public float[] ReadFloat32(string name) => TensorConversions.ToFloat32(GetBytes(name), GetInfo(name).DType, Describe(name));

    /// <inheritdoc />
    public double[] ReadFloat64(string name) => TensorConversions.ToFloat64(GetBytes(name), GetInfo(name).DType, Describe(name));

    /// <inheritdoc />
    public long[] ReadInt64(string name) => TensorConversions.ToInt64(GetBytes(name), GetInfo(name).DType, Describe(name));

    private string Describe(string name) => $"{Path}: tensor '{name}'";

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
