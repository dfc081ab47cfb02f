using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Classify.Core.IO;

namespace Classify.Linear.LogisticRegression;

public sealed partial class LogisticRegressionClassifier
{
    /// <summary>File holding the options, mode and shapes.</summary>
    public const string ConfigFileName = "logistic_regression.json";

    /// <summary>File holding <c>coef</c> [rows, features] and <c>intercept</c> [rows] as float64 safetensors.</summary>
    public const string WeightsFileName = "logistic_regression.safetensors";

    private const string FormatName = "classify.logistic_regression";

    /// <summary>
    /// Writes the fitted model into <paramref name="directory"/> (created if needed): <see cref="ConfigFileName"/> and
    /// <see cref="WeightsFileName"/>, each written atomically. Other files in the directory are left alone.
    /// </summary>
    public void Save(string directory)
    {
        var coef = _coefficients ?? throw NotFitted();
        Directory.CreateDirectory(directory);
        int rows = coef.Length, d = FeatureCount;
        var header = new Dictionary<string, object>
        {
            ["coef"] = new { dtype = "F64", shape = new[] { rows, d }, data_offsets = new long[] { 0, 8L * rows * d } },
            ["intercept"] = new { dtype = "F64", shape = new[] { rows }, data_offsets = new long[] { 8L * rows * d, 8L * rows * d + 8L * rows } },
            ["__metadata__"] = new Dictionary<string, string> { ["format"] = FormatName },
        };
        var headerBytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int padded = (headerBytes.Length + 7) / 8 * 8;
        AtomicFile.Write(Path.Combine(directory, WeightsFileName), stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(headerBytes);
            for (int i = headerBytes.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var row in coef) WriteDoubles(stream, row);
            WriteDoubles(stream, _intercepts!);
        });
        var config = new SavedConfig
        {
            Format = FormatName,
            Version = 1,
            Mode = Mode,
            ClassCount = ClassCount,
            FeatureCount = d,
            CoefficientRows = rows,
            Iterations = _iterations,
            Converged = Converged,
            Options = Options,
        };
        AtomicFile.WriteJson(Path.Combine(directory, ConfigFileName), config);
    }

    /// <summary>Loads a model written by <see cref="Save"/>; malformed files raise <see cref="InputException"/> naming the file and field.</summary>
    public static LogisticRegressionClassifier Load(string directory)
    {
        var configPath = Path.Combine(directory, ConfigFileName);
        var weightsPath = Path.Combine(directory, WeightsFileName);
        if (!File.Exists(configPath)) throw new InputException("Model configuration not found.", configPath);
        if (!File.Exists(weightsPath)) throw new InputException("Model weights not found.", weightsPath);
        SavedConfig config;
        try
        {
            config = JsonSerializer.Deserialize<SavedConfig>(File.ReadAllBytes(configPath), AtomicFile.JsonOptions)
                     ?? throw new InputException("The file is empty.", configPath);
        }
        catch (JsonException e)
        {
            throw new InputException($"Invalid JSON: {e.Message}", configPath, e.LineNumber + 1, e.Path, e);
        }
        if (config.Format != FormatName) throw new InputException($"Expected format '{FormatName}', got '{config.Format}'.", configPath, field: "format");
        if (config.Version != 1) throw new InputException($"Unsupported version {config.Version}; this build reads version 1.", configPath, field: "version");
        if (config.Options == null) throw new InputException("Missing options.", configPath, field: "options");
        int rows = config.CoefficientRows, d = config.FeatureCount;
        int expectedRows = config.Mode == LogisticRegressionMode.Binary ? 1 : config.ClassCount;
        if (rows != expectedRows || d < 0) throw new InputException($"coef_rows {rows} does not fit mode {config.Mode} with {config.ClassCount} classes.", configPath, field: "coef_rows");

        var (coef, intercepts) = ReadWeights(weightsPath, rows, d);
        var model = new LogisticRegressionClassifier(config.Options)
        {
            _coefficients = coef,
            _intercepts = intercepts,
            _iterations = config.Iterations ?? [],
            Mode = config.Mode,
            ClassCount = config.ClassCount,
            FeatureCount = d,
            Converged = config.Converged,
        };
        return model;
    }

    private static (double[][] Coef, double[] Intercepts) ReadWeights(string path, int rows, int d)
    {
        using var stream = File.OpenRead(path);
        Span<byte> lengthBytes = stackalloc byte[8];
        if (stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) != 8) throw new InputException("Truncated safetensors header.", path);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > 1 << 20 || (long)headerLength > stream.Length - 8) throw new InputException($"Invalid safetensors header length {headerLength}.", path);
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        long dataStart = 8 + (long)headerLength;
        JsonElement header;
        try { header = JsonDocument.Parse(headerBytes).RootElement; }
        catch (JsonException e) { throw new InputException($"Invalid safetensors header JSON: {e.Message}", path, inner: e); }

        double[] ReadTensor(string name, int[] shape)
        {
            if (!header.TryGetProperty(name, out var info)) throw new InputException($"Tensor '{name}' is missing.", path, field: name);
            if (info.GetProperty("dtype").GetString() != "F64") throw new InputException("Expected dtype F64.", path, field: name + ".dtype");
            var actualShape = info.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            if (!actualShape.SequenceEqual(shape))
                throw new InputException($"Expected shape [{string.Join(", ", shape)}], got [{string.Join(", ", actualShape)}].", path, field: name + ".shape");
            var offsets = info.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            long count = shape.Aggregate(1L, (a, b) => a * b);
            if (offsets.Length != 2 || offsets[1] - offsets[0] != 8 * count || dataStart + offsets[1] > stream.Length)
                throw new InputException("data_offsets do not match the shape or the file length.", path, field: name + ".data_offsets");
            var values = new double[count];
            stream.Position = dataStart + offsets[0];
            stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
            if (!BitConverter.IsLittleEndian)
                for (int i = 0; i < values.Length; i++) values[i] = BitConverter.Int64BitsToDouble(BinaryPrimitives.ReverseEndianness(BitConverter.DoubleToInt64Bits(values[i])));
            return values;
        }

        var flat = ReadTensor("coef", [rows, d]);
        var intercepts = ReadTensor("intercept", [rows]);
        var coef = new double[rows][];
        for (int r = 0; r < rows; r++) coef[r] = flat.AsSpan(r * d, d).ToArray();
        return (coef, intercepts);
    }

    private static void WriteDoubles(Stream stream, double[] values)
    {
        if (BitConverter.IsLittleEndian) { stream.Write(MemoryMarshal.AsBytes(values.AsSpan())); return; }
        Span<byte> buffer = stackalloc byte[8];
        foreach (var v in values) { BinaryPrimitives.WriteDoubleLittleEndian(buffer, v); stream.Write(buffer); }
    }

    private sealed class SavedConfig
    {
        [JsonPropertyName("format")] public string? Format { get; init; }
        [JsonPropertyName("version")] public int Version { get; init; }
        [JsonPropertyName("mode")] [JsonConverter(typeof(JsonStringEnumConverter<LogisticRegressionMode>))] public LogisticRegressionMode Mode { get; init; }
        [JsonPropertyName("n_classes")] public int ClassCount { get; init; }
        [JsonPropertyName("n_features")] public int FeatureCount { get; init; }
        [JsonPropertyName("coef_rows")] public int CoefficientRows { get; init; }
        [JsonPropertyName("n_iter")] public int[]? Iterations { get; init; }
        [JsonPropertyName("converged")] public bool Converged { get; init; }
        [JsonPropertyName("options")] public LogisticRegressionOptions? Options { get; init; }
    }
}
