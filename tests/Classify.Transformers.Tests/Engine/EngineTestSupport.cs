using System.Text.Json;
using Classify.Core.Prediction;
using Classify.Transformers.Tests.Models;

namespace Classify.Transformers.Tests.Engine;

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => System.IO.Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "classify-engine-tests", Guid.NewGuid().ToString("N"));

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

/// <summary>The fixture inputs (text and optional text_pair) and golden logits as plain arrays.</summary>
internal static class GoldenInputs
{
    public static (string Text, string? Pair)[] Inputs(Golden golden) => golden["inputs"].EnumerateArray()
        .Select(e => (e.GetProperty("text").GetString()!, e.TryGetProperty("text_pair", out var p) ? p.GetString() : null))
        .ToArray();

    /// <summary>A fixture input as a predictor input: a text pair becomes the text with one context turn.</summary>
    public static TextInput ToTextInput((string Text, string? Pair) input) =>
        new(input.Text, input.Pair is null ? null : [input.Pair]);

    public static double[][] Logits(Golden golden) => golden["eval.logits"].EnumerateArray()
        .Select(row => row.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();

    public static int[] InputIdsRow(Golden golden, int row) =>
        golden["encoding.input_ids"][row].EnumerateArray().Select(x => x.GetInt32()).ToArray();

    public static int[] AttentionRow(Golden golden, int row) =>
        golden["encoding.attention_mask"][row].EnumerateArray().Select(x => x.GetInt32()).ToArray();

    /// <summary>Softmax or sigmoid of golden logits, in double.</summary>
    public static double[] Probabilities(double[] logits, bool sigmoid)
    {
        if (sigmoid) return logits.Select(z => 1 / (1 + Math.Exp(-z))).ToArray();
        var max = logits.Max();
        var e = logits.Select(z => Math.Exp(z - max)).ToArray();
        var sum = e.Sum();
        return e.Select(x => x / sum).ToArray();
    }

    public static double MaxAbsDiff(double[] a, double[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
    }

    /// <summary>Copies every fixture file except golden.json into <paramref name="target"/>.</summary>
    public static void CopyModelFiles(string fixture, string target)
    {
        System.IO.Directory.CreateDirectory(target);
        foreach (var file in System.IO.Directory.GetFiles(TestPaths.Fixture(fixture)))
            if (System.IO.Path.GetFileName(file) != "golden.json")
                File.Copy(file, System.IO.Path.Combine(target, System.IO.Path.GetFileName(file)));
    }

    public static string Json(object value) => JsonSerializer.Serialize(value);
}
