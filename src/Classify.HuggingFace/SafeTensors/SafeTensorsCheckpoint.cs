using System.Text.Json;
using Classify.Core.IO;

namespace Classify.HuggingFace.SafeTensors;

/// <summary>
/// The weights of a Hugging Face model folder: <c>model.safetensors</c>, or the shards listed by
/// <c>model.safetensors.index.json</c> (<c>weight_map</c>: tensor name → shard file), behind one set of accessors.
/// Pickled checkpoints (<c>pytorch_model.bin</c>, <c>*.pt</c>, <c>*.ckpt</c>) are refused: loading them runs code.
/// </summary>
public sealed class SafeTensorsCheckpoint : ISafeTensorsReader
{
    /// <summary>File name of a single-file checkpoint.</summary>
    public const string WeightsName = "model.safetensors";

    /// <summary>File name of the index of a sharded checkpoint.</summary>
    public const string IndexName = "model.safetensors.index.json";

    private readonly SafeTensorsFile[] _shards;
    private readonly Dictionary<string, SafeTensorsFile> _owner;
    private readonly Dictionary<string, SafeTensorInfo> _tensors;

    private SafeTensorsCheckpoint(string directory, SafeTensorsFile[] shards, Dictionary<string, SafeTensorsFile> owner,
        IReadOnlyDictionary<string, string> metadata)
    {
        Directory = directory;
        _shards = shards;
        _owner = owner;
        _tensors = owner.ToDictionary(kv => kv.Key, kv => kv.Value.Tensors[kv.Key], StringComparer.Ordinal);
        Metadata = metadata;
    }

    /// <summary>The model folder.</summary>
    public string Directory { get; }

    /// <summary>The safetensors files backing this checkpoint, in shard order.</summary>
    public IReadOnlyList<SafeTensorsFile> Files => _shards;

    /// <summary>True when the weights come from an index and several shards.</summary>
    public bool IsSharded { get; private init; }

    /// <summary>The file that describes the whole checkpoint: the index of a sharded one, else its one safetensors file.</summary>
    public string SourcePath { get; private init; } = "";

    /// <summary>The safetensors file that holds tensor <paramref name="name"/> (for messages).</summary>
    public string FileOf(string name) => Owner(name).Path;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors => _tensors;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// Opens the weights of a model folder (or a single <c>.safetensors</c> file). Throws
    /// <see cref="InputException"/> when there are none, when only pickled weights exist, or when the index
    /// and the shards disagree.
    /// </summary>
    public static SafeTensorsCheckpoint Open(string modelDirectory)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        var path = Path.GetFullPath(modelDirectory);
        if (File.Exists(path) && path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            return Single(Path.GetDirectoryName(path)!, path);
        if (!System.IO.Directory.Exists(path))
            throw new InputException("model folder not found", path);

        var single = Path.Combine(path, WeightsName);
        if (File.Exists(single)) return Single(path, single);
        var index = Path.Combine(path, IndexName);
        if (File.Exists(index)) return Sharded(path, index);

        var pickled = PickledCheckpoints(path);
        if (pickled.Count > 0)
            throw new InputException(
                $"only pickled PyTorch weights were found ({string.Join(", ", pickled)}). Classify refuses them because " +
                "loading a pickle executes arbitrary code. Convert the folder to safetensors once, in Python: " +
                $"python -c \"from transformers import AutoModel; AutoModel.from_pretrained(r'{path}').save_pretrained(r'{path}', safe_serialization=True)\" " +
                "(use the AutoModelFor... class of the model, e.g. AutoModelForSequenceClassification, to keep its head)",
                path);
        throw new InputException($"no {WeightsName} or {IndexName} in the model folder", path);
    }

    private static List<string> PickledCheckpoints(string directory) =>
        System.IO.Directory.EnumerateFiles(directory)
            .Select(Path.GetFileName)
            .Where(n => n!.EndsWith(".bin", StringComparison.OrdinalIgnoreCase)
                        || n.EndsWith(".pt", StringComparison.OrdinalIgnoreCase)
                        || n.EndsWith(".pth", StringComparison.OrdinalIgnoreCase)
                        || n.EndsWith(".ckpt", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToList()!;

    private static SafeTensorsCheckpoint Single(string directory, string file)
    {
        var st = SafeTensorsFile.Open(file);
        var owner = st.Tensors.Keys.ToDictionary(k => k, _ => st, StringComparer.Ordinal);
        return new SafeTensorsCheckpoint(directory, [st], owner, st.Metadata) { SourcePath = st.Path };
    }

    private static SafeTensorsCheckpoint Sharded(string directory, string indexPath)
    {
        var (weightMap, metadata) = ReadIndex(indexPath);
        var shards = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
        try
        {
            var owner = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
            foreach (var (tensor, shardName) in weightMap)
            {
                if (!shards.TryGetValue(shardName, out var shard))
                {
                    var shardPath = Path.Combine(directory, shardName);
                    if (!File.Exists(shardPath))
                        throw new InputException($"shard '{shardName}' listed in the weight_map does not exist", indexPath, field: tensor);
                    shard = SafeTensorsFile.Open(shardPath);
                    shards.Add(shardName, shard);
                }
                if (!shard.Contains(tensor))
                    throw new InputException($"the weight_map places this tensor in '{shardName}', which does not contain it", indexPath, field: tensor);
                owner[tensor] = shard;
            }
            var ordered = shards.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value).ToArray();
            return new SafeTensorsCheckpoint(directory, ordered, owner, metadata) { IsSharded = true, SourcePath = Path.GetFullPath(indexPath) };
        }
        catch
        {
            foreach (var s in shards.Values) s.Dispose();
            throw;
        }
    }

    /// <summary>Reads <c>model.safetensors.index.json</c>: its <c>weight_map</c> and its <c>metadata</c> as strings.</summary>
    internal static (Dictionary<string, string> WeightMap, Dictionary<string, string> Metadata) ReadIndex(string indexPath)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(File.ReadAllBytes(indexPath)); }
        catch (JsonException e) { throw new InputException($"not valid JSON: {e.Message}", indexPath, e.LineNumber + 1, inner: e); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new InputException("expected an object with a 'weight_map' object", indexPath, field: "weight_map");
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.String)
                    throw new InputException("weight_map values must be shard file names", indexPath, field: entry.Name);
                var shard = entry.Value.GetString()!;
                // A shard name is a plain file name inside the model folder, never a path.
                if (shard.Length == 0 || shard != Path.GetFileName(shard) || shard.Contains('\\') || shard is "." or "..")
                    throw new InputException($"shard name '{shard}' must be a file name inside the model folder", indexPath, field: entry.Name);
                weightMap[entry.Name] = shard;
            }
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
                foreach (var m in meta.EnumerateObject())
                    metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : m.Value.GetRawText();
            return (weightMap, metadata);
        }
    }

    /// <inheritdoc />
    public bool Contains(string name) => _owner.ContainsKey(name);

    private SafeTensorsFile Owner(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _owner.TryGetValue(name, out var f) ? f : throw new KeyNotFoundException($"{Directory}: no tensor named '{name}'");
    }

    /// <inheritdoc />
    public ReadOnlySpan<byte> GetBytes(string name) => Owner(name).GetBytes(name);

    /// <summary>Copies a tensor's raw bytes into <paramref name="destination"/>, which must be exactly its size.</summary>
    public void CopyTo(string name, Span<byte> destination) => Owner(name).CopyTo(name, destination);

    /// <inheritdoc />
    public float[] ReadFloat32(string name) => Owner(name).ReadFloat32(name);

    /// <inheritdoc />
    public double[] ReadFloat64(string name) => Owner(name).ReadFloat64(name);

    /// <inheritdoc />
    public long[] ReadInt64(string name) => Owner(name).ReadInt64(name);

    /// <summary>Unmaps every shard.</summary>
    public void Dispose()
    {
        foreach (var s in _shards) s.Dispose();
    }
}
