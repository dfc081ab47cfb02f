using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using Xunit.Abstractions;

namespace Classify.Onnx.Tests;

/// <summary>
/// What docs/deploy.md says ONNX Runtime does with the standard-operator graphs when it optimises a session: the GELU
/// pattern becomes its (Bias)Gelu kernel and the int8 pattern its DynamicQuantizeMatMul / MatMulIntegerToFloat kernels
/// (the reason no contrib operator is written into the files). Measured with ONNX Runtime 1.31.1 on tiny-bert.
/// </summary>
public class RuntimeFusionTests(ITestOutputHelper output)
{
    [Fact]
    public void Onnx_Runtime_fuses_gelu_and_the_int8_matmul_pattern()
    {
        var dir = TestPaths.NewTempDirectory("classify-onnx-");
        try
        {
            var fp32 = OptimisedOps(GraphRunner.Build(TestPaths.Fixture("tiny-bert")), Path.Combine(dir, "fp32.onnx"));
            var int8 = OptimisedOps(GraphRunner.Build(TestPaths.Fixture("tiny-bert"), int8: true), Path.Combine(dir, "int8.onnx"));
            output.WriteLine("fp32: " + string.Join(", ", fp32.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value}")));
            output.WriteLine("int8: " + string.Join(", ", int8.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} {kv.Value}")));

            Assert.False(fp32.ContainsKey("Erf"), "the Erf GELU was not fused");
            Assert.True(fp32.Keys.Any(k => k.EndsWith("Gelu", StringComparison.Ordinal)), "no fused Gelu");
            Assert.True(int8.ContainsKey("com.microsoft:DynamicQuantizeMatMul") && int8.ContainsKey("com.microsoft:MatMulIntegerToFloat"),
                "the int8 pattern was not fused");
            Assert.False(int8.ContainsKey("MatMulInteger"), "an int8 MatMulInteger was left unfused");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // The optimised graph ONNX Runtime writes when asked, as op type counts ("domain:op" outside the default domain).
    private static Dictionary<string, int> OptimisedOps(byte[] model, string optimisedPath)
    {
        using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = optimisedPath })
        using (new InferenceSession(model, options)) { }
        var graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimisedPath)).Graph;
        return graph.Node.GroupBy(n => n.Domain is "" or "ai.onnx" ? n.OpType : $"{n.Domain}:{n.OpType}").ToDictionary(g => g.Key, g => g.Count());
    }
}
