using Classify.Core.Prediction;
using Classify.Onnx.Engine;
using Classify.Onnx.Export;
using Xunit.Abstractions;

namespace Classify.Onnx.Tests;

/// <summary>Dynamic int8 graphs: close to float on the fixtures, a quarter of the size, and rows independent of their batch.</summary>
public class QuantizationTests
{
    private readonly ITestOutputHelper _out;

    public QuantizationTests(ITestOutputHelper output) => _out = output;

    public static TheoryData<string> AllFixtures => ExportParityTests.AllFixtures;

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void Int8_graph_stays_close_to_float_on_every_family(string fixture)
    {
        var golden = FixtureGolden.Load(fixture);
        var fp32 = GraphRunner.Build(golden.Directory);
        var int8 = GraphRunner.Build(golden.Directory, int8: true);
        var exact = GraphRunner.Run(fp32, golden);
        var quantized = GraphRunner.Run(int8, golden);
        double worstP = 0;
        int agree = 0;
        for (int r = 0; r < exact.Length; r++)
        {
            var p = FixtureGolden.Probabilities(exact[r], golden.IsMultiLabel);
            var q = FixtureGolden.Probabilities(quantized[r], golden.IsMultiLabel);
            worstP = Math.Max(worstP, FixtureGolden.MaxAbsDiff(p, q));
            if (golden.IsMultiLabel ? p.Zip(q).All(x => x.First > 0.5 == x.Second > 0.5) : ArgMax(p) == ArgMax(q)) agree++;
        }
        _out.WriteLine($"{fixture}: int8 vs fp32 max |Δp| = {worstP:E2}, decisions agree {agree}/{exact.Length}, size {int8.Length:N0} / {fp32.Length:N0} bytes");
        // The fixtures' weights are far larger than trained ones (N(0, 0.2), embeddings N(0, 0.5)), so int8 noise shows more here
        // than on a real model (ModernBERT's gated MLP multiplies two quantized products); the bound still catches a wrong
        // scale, a transposed weight or a lost bias, which move probabilities by 0.3 and more.
        Assert.True(worstP <= 0.1, $"{fixture}: int8 moves a probability by {worstP}");
    }

    [Fact]
    public void Int8_file_of_a_wider_bert_is_under_30_percent_of_float_and_agrees_on_texts()
    {
        var dir = TestPaths.NewTempDirectory("classify-onnx-");
        try
        {
            var source = SyntheticBert.Write(Path.Combine(dir, "hf"), hidden: 256, layers: 2, heads: 4, intermediate: 1024);
            var fp32 = OnnxExporter.Export(source, Path.Combine(dir, "fp32"));
            var int8 = OnnxExporter.Export(source, Path.Combine(dir, "int8"), new OnnxExportOptions { Quantization = OnnxQuantization.Int8 });
            double ratio = (double)int8.ModelBytes / fp32.ModelBytes;

            var texts = FixtureGolden.Load("tiny-bert").Inputs.Select(x => new Classify.Core.Prediction.TextInput(x.Text)).ToArray();
            using var exact = OnnxPredictor.Load(fp32.Directory);
            using var quantized = OnnxPredictor.Load(int8.Directory);
            var p = exact.PredictProbabilities(texts);
            var q = quantized.PredictProbabilities(texts);
            var worst = p.Zip(q, FixtureGolden.MaxAbsDiff).Max();
            _out.WriteLine($"hidden 256: int8 {int8.ModelBytes:N0} / fp32 {fp32.ModelBytes:N0} bytes = {ratio:P1}; max |Δp| = {worst:E2}");
            Assert.True(ratio <= 0.30, $"the int8 file is {ratio:P1} of the float one");
            Assert.True(worst <= 0.01, $"int8 moves a probability by {worst}");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Quantized_graph_has_no_float_copy_of_a_matmul_weight_or_embedding_table()
    {
        var config = Classify.HuggingFace.Configuration.PretrainedConfig.Load(TestPaths.Fixture("tiny-bert")).ToFamilyConfig();
        using var weights = Classify.HuggingFace.SafeTensors.SafeTensorsCheckpoint.Open(TestPaths.Fixture("tiny-bert"));
        var model = OnnxExporter.Build(config, weights, weights.SourcePath);
        int matmulsWithWeights = model.Graph.Node.Count(n => n.OpType == "MatMul" && model.Graph.Initializer.Any(t => t.Name == n.Input[1]));
        var rewritten = DynamicQuantizer.QuantizeInt8(model);

        Assert.Equal(matmulsWithWeights + 3, rewritten);   // + word, position and token-type embedding gathers
        Assert.Equal(matmulsWithWeights, model.Graph.Node.Count(n => n.OpType == "MatMulInteger"));
        Assert.DoesNotContain(model.Graph.Initializer, t => t.Name == "bert.encoder.layer.0.attention.self.query.weight");
        Assert.Contains(model.Graph.Initializer, t => t.Name == "bert.encoder.layer.0.attention.self.query.weight_quantized" && t.DataType == (int)global::Onnx.TensorProto.Types.DataType.Int8);
        Assert.Contains(model.Graph.Initializer, t => t.Name == "bert.encoder.layer.0.attention.self.query.bias");   // biases stay float
    }

    [Fact]
    public void Int8_package_scores_a_row_the_same_alone_and_in_a_batch()
    {
        var golden = FixtureGolden.Load("tiny-bert");
        var dir = TestPaths.NewTempDirectory("classify-onnx-");
        try
        {
            var result = OnnxExporter.Export(golden.Directory, dir, new OnnxExportOptions { Quantization = OnnxQuantization.Int8 });
            Assert.Equal(OnnxQuantization.Int8, result.Quantization);
            using var predictor = OnnxPredictor.Load(dir);
            Assert.True(predictor.RowAtATime);
            var texts = golden.Inputs.Select(x => new Classify.Core.Prediction.TextInput(x.Text)).ToArray();
            var together = predictor.PredictScores(texts);
            for (int i = 0; i < texts.Length; i++) Assert.Equal(predictor.PredictScores([texts[i]])[0], together[i]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static int ArgMax(double[] p) => Array.IndexOf(p, p.Max());
}
