using System.Text.Json.Nodes;
using Classify.Cli.Tests.Infrastructure;

namespace Classify.Cli.Tests.EndToEnd;

/// <summary><c>classify export</c> then <c>classify predict</c> on the package: the golden probabilities through the whole CLI.</summary>
public sealed class ExportCommandTests : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    [Fact]
    public void Exported_onnx_package_predicts_what_the_transformer_package_predicts()
    {
        var fixture = TestPaths.Fixture("tiny-bert");
        var onnx = _ws.PathOf("onnx");
        var export = CliRunner.Ok("export", "--model", fixture, "--format", "onnx", "-o", onnx);
        Assert.Contains("exported bert", export.Stderr + export.Stdout);
        Assert.Equal("onnx", JsonNode.Parse(File.ReadAllText(Path.Combine(onnx, "classify.json")))!["engine"]!.GetValue<string>());

        string[] texts = ["Hello world!", "The QUICK brown fox!!! Jumps?"];
        var fromOnnx = Probabilities(CliRunner.Ok(["predict", "--model", onnx, "--format", "json", .. texts]).Stdout);
        var fromTorch = Probabilities(CliRunner.Ok(["predict", "--model", fixture, "--format", "json", .. texts]).Stdout);
        Assert.Equal(fromTorch.Length, fromOnnx.Length);
        for (int i = 0; i < fromOnnx.Length; i++)
            foreach (var (label, p) in fromTorch[i])
                Assert.True(Math.Abs(p - fromOnnx[i][label]) <= 1e-4, $"row {i} {label}: {p} (transformer) vs {fromOnnx[i][label]} (onnx)");
    }

    [Fact]
    public void Export_with_int8_writes_a_smaller_graph_and_a_bad_quantize_value_is_exit_2()
    {
        var fixture = TestPaths.Fixture("tiny-distilbert");
        var fp32 = _ws.PathOf("fp32");
        var int8 = _ws.PathOf("int8");
        CliRunner.Ok("export", "--model", fixture, "-o", fp32);
        CliRunner.Ok("export", "--model", fixture, "--quantize", "int8", "-o", int8);
        Assert.True(new FileInfo(Path.Combine(int8, "model.onnx")).Length < new FileInfo(Path.Combine(fp32, "model.onnx")).Length / 2);
        Assert.Equal("int8", JsonNode.Parse(File.ReadAllText(Path.Combine(int8, "classify.json")))!["engine_options"]!["quantization"]!.GetValue<string>());

        CliRunner.RunExpecting(2, "export", "--model", fixture, "--quantize", "int4", "-o", _ws.PathOf("int4"));
        var again = CliRunner.RunExpecting(2, "export", "--model", fixture, "-o", fp32);
        Assert.Contains("not empty", again.StderrUnwrapped);
    }

    private static Dictionary<string, double>[] Probabilities(string jsonLines) => jsonLines
        .Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(line => JsonNode.Parse(line)!["probabilities"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>()))
        .ToArray();
}
