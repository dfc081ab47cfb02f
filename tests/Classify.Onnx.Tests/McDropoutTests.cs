using Classify.Core.Prediction;
using Classify.Core.Uncertainty;
using Classify.Onnx.Engine;
using Classify.Onnx.Export;
using Google.Protobuf;
using Onnx;
using Xunit.Abstractions;

namespace Classify.Onnx.Tests;

/// <summary>
/// <c>classify export --mc-dropout</c>: Dropout nodes switched by the <c>mc_dropout</c> input. Off, the graph is the
/// plain export; on, the onnx engine runs Monte-Carlo dropout passes that differ, reproduce for a seed and feed the
/// same statistics as the transformer engine's.
/// </summary>
public class McDropoutTests
{
    private readonly ITestOutputHelper _out;

    public McDropoutTests(ITestOutputHelper output) => _out = output;

    private static readonly string[] Texts = ["Hello world", "this is a longer sentence about nothing in particular", "ok", "Hello world"];

    public static TheoryData<string, int> FamiliesAndDropoutNodes => new()
    {
        // BERT/RoBERTa with 2 layers: embeddings 1 + per layer (probs, attention output, output) 3·2 + classifier 1 (RoBERTa 2).
        { "tiny-bert", 8 }, { "tiny-roberta", 9 },
        // DistilBERT: embeddings 1 + per layer (probs, ffn) 2·2 + classifier 1; ModernBERT's fixture has every probability 0.
        { "tiny-distilbert", 6 }, { "tiny-modernbert", 0 },
    };

    [Theory]
    [MemberData(nameof(FamiliesAndDropoutNodes))]
    public void Switched_off_the_graph_scores_the_golden_batch_exactly_as_the_plain_export(string fixture, int dropoutNodes)
    {
        var golden = FixtureGolden.Load(fixture);
        var switchable = GraphRunner.Build(golden.Directory, mcDropout: true);
        var model = ModelProto.Parser.ParseFrom(switchable);
        var dropouts = model.Graph.Node.Where(n => n.OpType == "Dropout").ToArray();
        var layers = model.Graph.Node.Count(n => n.OpType == "Softmax");
        _out.WriteLine($"{fixture}: {dropouts.Length} Dropout nodes, {layers} attention softmaxes");
        Assert.Equal(dropoutNodes, dropouts.Length);
        Assert.All(dropouts, d => Assert.Equal(OnnxGraph.DropoutSwitchInput, d.Input[2]));
        Assert.Contains(model.Graph.Input, i => i.Name == OnnxGraph.DropoutSwitchInput);
        Assert.Equal(dropoutNodes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            model.MetadataProps.Single(p => p.Key == OnnxExporter.DropoutNodesMetadataKey).Value);

        var plain = GraphRunner.Run(GraphRunner.Build(golden.Directory), golden);
        var off = GraphRunner.Run(switchable, golden, dropout: false);
        var offKept = GraphRunner.Run(switchable, golden, dropout: false, keepDropoutNodes: true);   // training_mode false, nodes kept
        double worst = 0;
        for (int r = 0; r < plain.Length; r++)
            worst = Math.Max(worst, Math.Max(FixtureGolden.MaxAbsDiff(plain[r], off[r]), FixtureGolden.MaxAbsDiff(plain[r], offKept[r])));
        _out.WriteLine($"{fixture}: max |Δlogit| switched off vs plain = {worst:E2}");
        Assert.True(worst <= 1e-6, $"{fixture}: switched-off logits differ from the plain export's by {worst}");

        if (dropoutNodes == 0) return;
        var on = GraphRunner.Run(switchable, golden, dropout: true);
        double moved = 0;
        for (int r = 0; r < plain.Length; r++) moved = Math.Max(moved, FixtureGolden.MaxAbsDiff(plain[r], on[r]));
        Assert.True(moved > 1e-4, $"{fixture}: switched on, the logits did not move ({moved})");
    }

    [Fact]
    public void ModernBert_with_dropout_probabilities_gets_its_five_placements()
    {
        var dir = TestPaths.NewTempDirectory("classify-onnx-mc-");
        try
        {
            var golden = FixtureGolden.Load("tiny-modernbert");
            foreach (var file in Directory.GetFiles(golden.Directory)) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
            var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!.AsObject();
            foreach (var key in new[] { "embedding_dropout", "attention_dropout", "mlp_dropout", "classifier_dropout" }) config[key] = 0.1;
            File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
            int layers = config["num_hidden_layers"]!.GetValue<int>();

            var switchable = GraphRunner.Build(dir, mcDropout: true);
            var model = ModelProto.Parser.ParseFrom(switchable);
            // embeddings + (attention probabilities, after Wo, inside the MLP) per layer + before the classifier
            Assert.Equal(2 + 3 * layers, model.Graph.Node.Count(n => n.OpType == "Dropout"));
            var plain = GraphRunner.Run(GraphRunner.Build(dir), golden);
            var off = GraphRunner.Run(switchable, golden, dropout: false, keepDropoutNodes: true);
            var on = GraphRunner.Run(switchable, golden, dropout: true);
            for (int r = 0; r < plain.Length; r++) Assert.True(FixtureGolden.MaxAbsDiff(plain[r], off[r]) <= 1e-6);
            Assert.Contains(Enumerable.Range(0, plain.Length), r => FixtureGolden.MaxAbsDiff(plain[r], on[r]) > 1e-4);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Onnx_engine_runs_reproducible_Monte_Carlo_passes_of_an_mc_dropout_package(bool int8)
    {
        var dir = TestPaths.NewTempDirectory("classify-onnx-mc-");
        try
        {
            var quantization = int8 ? OnnxQuantization.Int8 : OnnxQuantization.None;
            var result = OnnxExporter.Export(TestPaths.Fixture("tiny-bert"), Path.Combine(dir, "mc"), new OnnxExportOptions { McDropout = true, Quantization = quantization });
            OnnxExporter.Export(TestPaths.Fixture("tiny-bert"), Path.Combine(dir, "plain"), new OnnxExportOptions { Quantization = quantization });
            Assert.Equal(8, result.DropoutNodes);
            Assert.Equal(true, ModelManifest.Load(Path.Combine(dir, "mc")).EngineOptions?["mc_dropout"]?.GetValue<bool>());

            using var mc = OnnxPredictor.Load(Path.Combine(dir, "mc"));
            using var plain = OnnxPredictor.Load(Path.Combine(dir, "plain"));
            Assert.True(mc.SupportsDropout);
            Assert.True(mc.HasDropout);
            Assert.False(plain.SupportsDropout);
            TextInput[] inputs = [.. Texts.Select(t => new TextInput(t))];

            // Deterministic passes of the two packages agree.
            var a = mc.PredictScores(inputs);
            var b = plain.PredictScores(inputs);
            for (int r = 0; r < a.Length; r++) Assert.True(FixtureGolden.MaxAbsDiff(a[r], b[r]) <= 1e-6);

            const int passes = 6;
            var first = mc.PredictPasses(inputs, passes, seed: 7, maxRowsPerForward: 8);
            var again = mc.PredictPasses(inputs, passes, seed: 7, maxRowsPerForward: 8);
            var other = mc.PredictPasses(inputs, passes, seed: 8, maxRowsPerForward: 8);
            Assert.Equal(passes, first.Length);
            for (int k = 0; k < passes; k++)
                for (int r = 0; r < inputs.Length; r++)
                {
                    Assert.Equal(first[k][r], again[k][r]);   // bit-identical for the same seed
                    Assert.True(first[k][r].Zip(a[r]).Any(p => p.First != p.Second), $"pass {k} row {r} equals the deterministic scores");
                }
            Assert.Contains(Enumerable.Range(0, passes), k => first[k][0].Zip(first[(k + 1) % passes][0]).Any(p => Math.Abs(p.First - p.Second) > 1e-6));
            Assert.Contains(Enumerable.Range(0, passes), k => first[k][1].Zip(other[k][1]).Any(p => p.First != p.Second));

            // The statistics are Core's, from the same passes.
            var probabilities = mc.PredictProbabilities(inputs);
            var options = UncertaintyOptions.SinglePass with { McSamples = passes, McBatchSize = 8 };
            var estimates = MonteCarloUncertainty.Estimate(mc, inputs, probabilities, options, seed: 7);
            var expected = UncertaintyCalculator.FromPasses(first.Select(p => LinkFunction.Apply(p, mc.Link, mc.Manifest)).ToArray(), mc.Manifest.Schema.Kind);
            for (int r = 0; r < inputs.Length; r++)
            {
                Assert.Equal(passes, estimates[r].Passes);
                Assert.Equal(expected[r].MeanProbabilities, estimates[r].MeanProbabilities);
                Assert.Equal(expected[r].StandardDeviations, estimates[r].StandardDeviations);
                Assert.Equal(expected[r].PredictiveEntropy, estimates[r].PredictiveEntropy);
                Assert.True(estimates[r].Epistemic > 0);
                Assert.True(Math.Abs(estimates[r].PredictiveEntropy - estimates[r].Aleatoric - estimates[r].Epistemic) < 1e-9);
                Assert.Contains(estimates[r].StandardDeviations, s => s > 0);
            }

            // One dropout pass through PredictScores is the single-seed case.
            var single = mc.PredictScores(inputs, ForwardMode.WithDropout(123));
            Assert.Equal(single, mc.PredictScores(inputs, ForwardMode.WithDropout(123)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_graph_without_dropout_nodes_supports_the_switch_but_refuses_samples_as_dropout_free()
    {
        var dir = TestPaths.NewTempDirectory("classify-onnx-mc-");
        try
        {
            // ModernBERT's probabilities are all 0, so --mc-dropout writes the switch and no Dropout node; tiny-modernbert
            // has no tokenizer, so the graph is put beside tiny-bert's files to load a predictor around it.
            var package = Path.Combine(dir, "pkg");
            OnnxExporter.Export(TestPaths.Fixture("tiny-bert"), package, new OnnxExportOptions { McDropout = true });
            var graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(package, OnnxExporter.ModelFileName)));
            var zeroed = GraphRunner.Build(TestPaths.Fixture("tiny-bert"), mcDropout: false);
            var withSwitchOnly = ModelProto.Parser.ParseFrom(zeroed);
            withSwitchOnly.Graph.Input.Add(graph.Graph.Input.Single(i => i.Name == OnnxGraph.DropoutSwitchInput));
            withSwitchOnly.MetadataProps.Add(new StringStringEntryProto { Key = OnnxExporter.DropoutNodesMetadataKey, Value = "0" });
            File.WriteAllBytes(Path.Combine(package, OnnxExporter.ModelFileName), withSwitchOnly.ToByteArray());

            using var predictor = OnnxPredictor.Load(package);
            Assert.True(predictor.SupportsDropout);
            Assert.False(predictor.HasDropout);
            var problem = (UncertaintyOptions.SinglePass with { McSamples = 4 }).PredictorProblem(predictor);
            Assert.NotNull(problem);
            Assert.Contains("every dropout probability of its config is 0", problem);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
