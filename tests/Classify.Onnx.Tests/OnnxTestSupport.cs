using System.Diagnostics;
using System.Text.Json;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.SafeTensors;
using Classify.Onnx.Export;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Classify.Onnx.Tests;

/// <summary>A fixture's golden.json (see shared/fixtures/README.md §3) as plain arrays, without torch.</summary>
internal sealed class FixtureGolden
{
    private readonly JsonElement _root;

    private FixtureGolden(string name, JsonElement root)
    {
        Name = name;
        _root = root;
    }

    public string Name { get; }
    public string Directory => TestPaths.Fixture(Name);

    public static FixtureGolden Load(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.Fixture(name), "golden.json")));
        return new FixtureGolden(name, doc.RootElement.Clone());
    }

    public bool IsMultiLabel => _root.GetProperty("labels")[0].ValueKind == JsonValueKind.Array;

    public double[][] Logits => Matrix(_root.GetProperty("eval").GetProperty("logits")).Select(r => r.ToArray()).ToArray();

    public long[][] InputIds => Longs("input_ids");
    public long[][] AttentionMask => Longs("attention_mask");
    public long[][]? TokenTypeIds => _root.GetProperty("encoding").TryGetProperty("token_type_ids", out _) ? Longs("token_type_ids") : null;

    /// <summary>The fixture's texts: (text, text_pair or null).</summary>
    public (string Text, string? Pair)[] Inputs => _root.GetProperty("inputs").EnumerateArray()
        .Select(e => (e.GetProperty("text").GetString()!, e.TryGetProperty("text_pair", out var p) ? p.GetString() : null)).ToArray();

    public int MaxLength => _root.GetProperty("tokenizer").TryGetProperty("max_length", out var m) ? m.GetInt32() : 24;

    private long[][] Longs(string key) => _root.GetProperty("encoding").GetProperty(key).EnumerateArray()
        .Select(r => r.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToArray();

    private static IEnumerable<double[]> Matrix(JsonElement e) => e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetDouble()).ToArray());

    /// <summary>Softmax or sigmoid of a row of logits, in double.</summary>
    public static double[] Probabilities(IReadOnlyList<double> logits, bool sigmoid)
    {
        if (sigmoid) return logits.Select(z => 1 / (1 + Math.Exp(-z))).ToArray();
        var max = logits.Max();
        var e = logits.Select(z => Math.Exp(z - max)).ToArray();
        var sum = e.Sum();
        return e.Select(x => x / sum).ToArray();
    }

    public static double MaxAbsDiff(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        Assert.Equal(a.Count, b.Count);
        return a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
    }
}

/// <summary>Builds a fixture's graph and runs it on the golden batch directly (ids in, logits out).</summary>
internal static class GraphRunner
{
    /// <summary>The float32 graph of a fixture folder, optionally quantized and with switchable dropout, as bytes.</summary>
    public static byte[] Build(string directory, bool int8 = false, bool mcDropout = false)
    {
        var config = PretrainedConfig.Load(directory).ToFamilyConfig();
        using var weights = SafeTensorsCheckpoint.Open(directory);
        var model = OnnxExporter.Build(config, weights, weights.SourcePath, mcDropout);
        if (int8) DynamicQuantizer.QuantizeInt8(model);
        return model.ToByteArray();
    }

    /// <summary>
    /// Logits of the golden batch (padded as in the fixture) through ONNX Runtime; a graph with the <c>mc_dropout</c>
    /// input gets <paramref name="dropout"/>. ONNX Runtime removes Dropout nodes while optimising unless
    /// <paramref name="keepDropoutNodes"/> (or <paramref name="dropout"/>) asks it not to, as the onnx engine's
    /// Monte-Carlo session does.
    /// </summary>
    public static double[][] Run(byte[] model, FixtureGolden golden, bool dropout = false, bool keepDropoutNodes = false)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1 };
        if (dropout || keepDropoutNodes) options.AddSessionConfigEntry("optimization.disable_specified_optimizers", "EliminateDropout");
        using var session = new InferenceSession(model, options);
        var ids = golden.InputIds;
        long[] shape = [ids.Length, ids[0].Length];
        var feeds = new Dictionary<string, long[][]> { ["input_ids"] = ids, ["attention_mask"] = golden.AttentionMask };
        if (golden.TokenTypeIds is { } types) feeds["token_type_ids"] = types;
        var names = session.InputMetadata.Keys.ToArray();
        var values = names.Select(n => n == OnnxGraph.DropoutSwitchInput ? OrtValue.CreateTensorValueFromMemory(new[] { dropout }, [])
            : OrtValue.CreateTensorValueFromMemory(feeds[n].SelectMany(r => r).ToArray(), shape)).ToList();
        try
        {
            using var run = new RunOptions();
            using var outputs = session.Run(run, names, values, ["logits"]);
            var flat = outputs[0].GetTensorDataAsSpan<float>().ToArray();
            int labels = flat.Length / ids.Length;
            return Enumerable.Range(0, ids.Length).Select(r => flat.Skip(r * labels).Take(labels).Select(x => (double)x).ToArray()).ToArray();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }
}

/// <summary>
/// A fact that needs Debian's python3-onnx (onnx.checker): skipped with a message when it is missing, unless the
/// environment variable CI is "true" — then it runs and fails, so CI cannot silently lose the check.
/// </summary>
public sealed class OnnxCheckerFactAttribute : FactAttribute
{
    public const string Python = "/usr/bin/python3";

    public OnnxCheckerFactAttribute()
    {
        if (!Available && Environment.GetEnvironmentVariable("CI") != "true")
            Skip = "python3-onnx is not installed (apt-get install -y python3-onnx; test.sh does it as root). The test runs and fails when CI=true.";
    }

    public static bool Available { get; } = Probe();

    private static bool Probe()
    {
        if (!File.Exists(Python)) return false;
        var (code, _) = RunPython("import onnx");
        return code == 0;
    }

    /// <summary>Runs <c>python3 -c <paramref name="code"/></c>; returns the exit code and stderr + stdout.</summary>
    public static (int ExitCode, string Output) RunPython(string code, params string[] args)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(code);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stderr + stdout.Result);
    }
}
