using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Classify.Core.IO;

namespace Classify.HuggingFace.SafeTensors;

/// <summary>
/// Writes safetensors files byte-for-byte as the reference implementation (and so <c>save_pretrained</c>) does:
/// tensors sorted by descending dtype alignment then by name, compact JSON header with <c>__metadata__</c>
/// first, padded with spaces to a multiple of 8 bytes, data contiguous. Every file is written atomically.
/// </summary>
public static class SafeTensorsWriter
{
    /// <summary>The metadata <c>save_pretrained</c> writes for PyTorch weights.</summary>
    public static IReadOnlyDictionary<string, string> PyTorchMetadata { get; } = new Dictionary<string, string> { ["format"] = "pt" };

    /// <summary>
    /// Writes one safetensors file. <paramref name="metadata"/> defaults to <c>{"format": "pt"}</c>; pass an
    /// empty dictionary to omit <c>__metadata__</c>.
    /// </summary>
    public static void Write(string path, IEnumerable<SafeTensorsEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var ordered = Prepare(tensors);
        var header = BuildHeader(ordered, metadata ?? PyTorchMetadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var t in ordered) stream.Write(t.Data.Span);
        });
    }

    /// <summary>
    /// Writes a checkpoint into <paramref name="directory"/> the way <c>save_pretrained(max_shard_size=…)</c> does:
    /// tensors are packed in the given order into shards of at most <paramref name="maxShardSize"/> bytes (a larger
    /// tensor gets a shard of its own). One shard is written as <c>model.safetensors</c>; several as
    /// <c>model-00001-of-0000N.safetensors</c> plus <c>model.safetensors.index.json</c>. Weight files left by an
    /// earlier save that the new one does not use are deleted. Returns the weight files written (file names).
    /// </summary>
    public static IReadOnlyList<string> WriteSharded(string directory, IEnumerable<SafeTensorsEntry> tensors, long maxShardSize,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardSize);
        var all = tensors.ToList();
        Prepare(all); // validates names, shapes and sizes before anything is written

        var shards = new List<List<SafeTensorsEntry>>();
        var current = new List<SafeTensorsEntry>();
        long currentSize = 0, totalSize = 0;
        foreach (var t in all)
        {
            long size = t.Data.Length;
            totalSize += size;
            if (size > maxShardSize)
            {
                shards.Add([t]);
                continue;
            }
            if (currentSize + size > maxShardSize && current.Count > 0)
            {
                shards.Add(current);
                current = [];
                currentSize = 0;
            }
            current.Add(t);
            currentSize += size;
        }
        if (current.Count > 0 || shards.Count == 0) shards.Add(current);

        Directory.CreateDirectory(directory);
        var written = new List<string>();
        if (shards.Count == 1)
        {
            Write(Path.Combine(directory, SafeTensorsCheckpoint.WeightsName), shards[0], metadata);
            written.Add(SafeTensorsCheckpoint.WeightsName);
        }
        else
        {
            var weightMap = new SortedDictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < shards.Count; i++)
            {
                var name = ShardName(i + 1, shards.Count);
                Write(Path.Combine(directory, name), shards[i], metadata);
                written.Add(name);
                foreach (var t in shards[i]) weightMap[t.Name] = name;
            }
            WriteIndex(Path.Combine(directory, SafeTensorsCheckpoint.IndexName), totalSize, weightMap);
            written.Add(SafeTensorsCheckpoint.IndexName);
        }
        RemoveStaleWeights(directory, written);
        return written.Where(n => n != SafeTensorsCheckpoint.IndexName).ToList();
    }

    /// <summary>The shard file name transformers uses: <c>model-00002-of-00005.safetensors</c>.</summary>
    public static string ShardName(int index, int count) =>
        string.Create(CultureInfo.InvariantCulture, $"model-{index:D5}-of-{count:D5}.safetensors");

    private static void RemoveStaleWeights(string directory, List<string> keep)
    {
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            var name = Path.GetFileName(file);
            var isWeights = name == SafeTensorsCheckpoint.WeightsName || name == SafeTensorsCheckpoint.IndexName
                            || (name.StartsWith("model-", StringComparison.Ordinal) && name.EndsWith(".safetensors", StringComparison.Ordinal) && name.Contains("-of-", StringComparison.Ordinal));
            if (isWeights && !keep.Contains(name)) File.Delete(file);
        }
    }

    // transformers writes json.dumps(index, indent=2, sort_keys=True) + "\n".
    private static void WriteIndex(string path, long totalSize, SortedDictionary<string, string> weightMap) =>
        AtomicFile.Write(path, stream =>
        {
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, IndentSize = 2, Encoder = AtomicFile.JsonOptions.Encoder }))
            {
                w.WriteStartObject();
                w.WriteStartObject("metadata");
                w.WriteNumber("total_size", totalSize);
                w.WriteEndObject();
                w.WriteStartObject("weight_map");
                foreach (var (k, v) in weightMap) w.WriteString(k, v);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            stream.WriteByte((byte)'\n');
        });

    /// <summary>Validates entries and puts them in file order (descending dtype alignment, then name by UTF-8 bytes).</summary>
    internal static List<SafeTensorsEntry> Prepare(IEnumerable<SafeTensorsEntry> tensors)
    {
        var list = tensors.ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in list)
        {
            ArgumentNullException.ThrowIfNull(t);
            if (string.IsNullOrEmpty(t.Name)) throw new ArgumentException("a tensor name is empty");
            if (t.Name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor");
            if (!seen.Add(t.Name)) throw new ArgumentException($"tensor '{t.Name}' is given twice");
            ArgumentNullException.ThrowIfNull(t.Shape);
            long expected = t.DType.ElementSize();
            foreach (var d in t.Shape)
            {
                if (d < 0) throw new ArgumentException($"tensor '{t.Name}' has a negative dimension");
                expected = checked(expected * d);
            }
            if (expected != t.Data.Length)
                throw new ArgumentException($"tensor '{t.Name}' holds {t.Data.Length} bytes but shape [{string.Join(", ", t.Shape)}] of {t.DType} needs {expected}");
        }
        list.Sort((a, b) =>
        {
            var byType = b.DType.RustOrder().CompareTo(a.DType.RustOrder());
            return byType != 0 ? byType : CompareUtf8(a.Name, b.Name);
        });
        return list;
    }

    // Rust compares strings by their UTF-8 bytes; UTF-16 ordinal order differs for characters above U+FFFF.
    private static int CompareUtf8(string a, string b) =>
        Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));

    /// <summary>The header bytes, padded with spaces so that 8 + length is a multiple of 8.</summary>
    internal static byte[] BuildHeader(List<SafeTensorsEntry> ordered, IReadOnlyDictionary<string, string> metadata)
    {
        var sb = new StringBuilder(64 + 96 * ordered.Count);
        sb.Append('{');
        var first = true;
        if (metadata.Count > 0)
        {
            sb.Append("\"__metadata__\":{");
            var firstMeta = true;
            foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (!firstMeta) sb.Append(',');
                firstMeta = false;
                AppendJsonString(sb, k);
                sb.Append(':');
                AppendJsonString(sb, v);
            }
            sb.Append('}');
            first = false;
        }
        long offset = 0;
        foreach (var t in ordered)
        {
            if (!first) sb.Append(',');
            first = false;
            AppendJsonString(sb, t.Name);
            sb.Append(":{\"dtype\":\"").Append(t.DType.HeaderName()).Append("\",\"shape\":[");
            for (var i = 0; i < t.Shape.Length; i++)
            {
                if (i > 0) sb.Append(',');
                sb.Append(t.Shape[i].ToString(CultureInfo.InvariantCulture));
            }
            var end = offset + t.Data.Length;
            sb.Append("],\"data_offsets\":[").Append(offset.ToString(CultureInfo.InvariantCulture)).Append(',')
              .Append(end.ToString(CultureInfo.InvariantCulture)).Append("]}");
            offset = end;
        }
        sb.Append('}');
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        var padding = (8 - bytes.Length % 8) % 8;
        if (padding == 0) return bytes;
        var padded = new byte[bytes.Length + padding];
        bytes.CopyTo(padded, 0);
        padded.AsSpan(bytes.Length).Fill((byte)' ');
        return padded;
    }

    // serde_json's escaping: quote, backslash and control characters only; everything else is raw UTF-8.
    private static void AppendJsonString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
