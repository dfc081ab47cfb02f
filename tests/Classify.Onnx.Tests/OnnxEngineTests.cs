using System.Text.Json.Nodes;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.Core.Uncertainty;
using Classify.Onnx.Engine;
using Classify.Onnx.Export;

namespace Classify.Onnx.Tests;

/// <summary>The onnx engine: packages and Optimum-style folders, what it refuses, what it never loads.</summary>
public class OnnxEngineTests
{
    [Fact]
    public void Exported_package_is_a_classify_package_with_labels_in_config_and_tokenizer_files()
    {
        var dir = TestPaths.NewTempDirectory("classify-onnx-");
        try
        {
            OnnxExporter.Export(TestPaths.Fixture("tiny-roberta"), dir);
            var manifest = ModelManifest.Load(dir);
            Assert.Equal("onnx", manifest.Engine);
            Assert.Equal(["negative", "neutral", "positive"], manifest.Labels);
            Assert.Equal("roberta", manifest.EngineOptions!["model_type"]!.GetValue<string>());
            Assert.Equal("none", manifest.EngineOptions!["quantization"]!.GetValue<string>());
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "config.json")))!;
            Assert.Equal("positive", config["id2label"]!["2"]!.GetValue<string>());
            foreach (var file in new[] { "model.onnx", "vocab.json", "merges.txt", "tokenizer_config.json" })
                Assert.True(File.Exists(Path.Combine(dir, file)), file);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Exporting_a_classify_transformer_package_keeps_its_decisions_and_drops_its_Monte_Carlo_default()
    {
        var dir = TestPaths.NewTempDirectory("classify-onnx-");
        try
        {
            var source = Path.Combine(dir, "transformer");
            Directory.CreateDirectory(source);
            foreach (var file in Directory.GetFiles(TestPaths.Fixture("tiny-bert")).Where(f => Path.GetFileName(f) != "golden.json"))
                File.Copy(file, Path.Combine(source, Path.GetFileName(file)));
            new ModelManifest
            {
                Engine = "transformer", Task = "multiclass", Labels = ["negative", "neutral", "positive"], Temperature = 1.5,
                Uncertainty = new Core.Uncertainty.UncertaintyOptions { McSamples = 10 },
                EngineOptions = new JsonObject { ["max_length"] = 24, ["family"] = "bert" },
            }.Save(source);

            var target = Path.Combine(dir, "onnx");
            OnnxExporter.Export(source, target);
            var manifest = ModelManifest.Load(target);
            Assert.Equal("onnx", manifest.Engine);
            Assert.Equal(1.5, manifest.Temperature);
            Assert.Null(manifest.Uncertainty);
            Assert.Equal(24, manifest.EngineOptions!["max_length"]!.GetValue<int>());

            // The temperature is applied to the ONNX logits like to any engine's: softmax(z / 1.5).
            using var predictor = OnnxPredictor.Load(target);
            var logits = predictor.PredictScores(["Hello world!"])[0];
            var expected = FixtureGolden.Probabilities(logits.Select(z => z / 1.5).ToArray(), sigmoid: false);
            Assert.True(FixtureGolden.MaxAbsDiff(expected, predictor.PredictProbabilities(["Hello world!"])[0]) < 1e-12);

            // With --mc-dropout the graph can run the default, so the package keeps it.
            var withDropout = Path.Combine(dir, "onnx-mc");
            OnnxExporter.Export(source, withDropout, new OnnxExportOptions { McDropout = true });
            Assert.Equal(10, ModelManifest.Load(withDropout).Uncertainty?.McSamples);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Optimum_style_folder_without_classify_json_loads_through_TextClassifier_with_id2label_and_problem_type()
    {
        var dir = TestPaths.NewTempDirectory("classify-onnx-");
        try
        {
            OnnxExporter.Export(TestPaths.Fixture("tiny-bert-multilabel"), dir);
            File.Delete(Path.Combine(dir, ModelManifest.FileName));   // what Optimum writes: model.onnx, config.json, tokenizer files
            OnnxEngine.Register();
            using var classifier = TextClassifier.Load(dir);
            Assert.IsType<OnnxPredictor>(classifier.Predictor);
            Assert.Equal(TaskKind.Multilabel, classifier.Schema.Kind);
            Assert.Equal(5, classifier.Schema.Labels.Count);
            var p = classifier.Predict("a plain sentence");
            Assert.Equal(5, p.Probabilities.Count);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Predicting_an_onnx_package_loads_no_TorchSharp_assembly()
    {
        var dir = TestPaths.NewTempDirectory("classify-onnx-");
        try
        {
            OnnxExporter.Export(TestPaths.Fixture("tiny-distilbert"), dir);
            using var predictor = OnnxPredictor.Load(dir);
            Assert.Single(predictor.PredictProbabilities(["Hello world"]));

            var loaded = AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetName().Name ?? "").ToArray();
            Assert.Contains("Microsoft.ML.OnnxRuntime", loaded);   // the check sees the assemblies prediction used
            Assert.DoesNotContain(loaded, n => n.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase) || n == "Classify.Transformers");
            Assert.DoesNotContain(typeof(OnnxPredictor).Assembly.GetReferencedAssemblies(), a => a.Name!.StartsWith("TorchSharp", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Monte_Carlo_dropout_is_refused_with_a_reason()
    {
        var dir = TestPaths.NewTempDirectory("classify-onnx-");
        try
        {
            OnnxExporter.Export(TestPaths.Fixture("tiny-bert"), dir);
            using var predictor = OnnxPredictor.Load(dir);
            Assert.False(predictor.SupportsDropout);
            Assert.False(predictor.HasDropout);
            var e = Assert.Throws<NotSupportedException>(() => predictor.PredictScores(["x"], ForwardMode.WithDropout(1)));
            Assert.Contains("dropout", e.Message);
            Assert.Contains("--mc-dropout", e.Message);   // names the fix
            e = Assert.Throws<NotSupportedException>(() => predictor.PredictPasses(["x"], 3, 1, 8));
            Assert.Contains("--mc-dropout", e.Message);
            Assert.Contains("--mc-dropout", (UncertaintyOptions.SinglePass with { McSamples = 3 }).PredictorProblem(predictor));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Export_refuses_a_non_empty_output_folder_and_a_folder_without_a_tokenizer()
    {
        var dir = TestPaths.NewTempDirectory("classify-onnx-");
        try
        {
            File.WriteAllText(Path.Combine(dir, "keep.txt"), "mine");
            var e = Assert.Throws<InputException>(() => OnnxExporter.Export(TestPaths.Fixture("tiny-bert"), dir));
            Assert.Contains("not empty", e.Message);
            Assert.True(File.Exists(Path.Combine(dir, "keep.txt")));

            // tiny-modernbert ships no tokenizer: a package nobody could predict with is not written.
            Assert.ThrowsAny<InputException>(() => OnnxExporter.Export(TestPaths.Fixture("tiny-modernbert"), Path.Combine(dir, "out")));
            Assert.False(File.Exists(Path.Combine(dir, "out", "model.onnx")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Export_refuses_a_package_of_another_engine()
    {
        var dir = TestPaths.NewTempDirectory("classify-onnx-");
        try
        {
            var source = Path.Combine(dir, "linear");
            Directory.CreateDirectory(source);
            new ModelManifest { Engine = "linear", Task = "binary", Labels = ["no", "yes"] }.Save(source);
            var e = Assert.Throws<InputException>(() => OnnxExporter.Export(source, Path.Combine(dir, "out")));
            Assert.Contains("linear engine cannot be exported", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [OnnxCheckerFact]
    public void Onnx_checker_accepts_every_family_float_and_int8_with_and_without_switchable_dropout()
    {
        Assert.True(OnnxCheckerFactAttribute.Available, "python3-onnx is required when CI=true (apt-get install -y python3-onnx)");
        var dir = TestPaths.NewTempDirectory("classify-onnx-");
        try
        {
            var files = new List<string>();
            foreach (var fixture in new[] { "tiny-bert", "tiny-distilbert", "tiny-roberta", "tiny-modernbert" })
                foreach (var int8 in new[] { false, true })
                    foreach (var mcDropout in new[] { false, true })
                    {
                        var path = Path.Combine(dir, $"{fixture}{(int8 ? "-int8" : "")}{(mcDropout ? "-mc" : "")}.onnx");
                        File.WriteAllBytes(path, GraphRunner.Build(TestPaths.Fixture(fixture), int8, mcDropout));
                        files.Add(path);
                    }
            var (code, output) = OnnxCheckerFactAttribute.RunPython(
                "import sys, onnx\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\n    print('ok', p)", files.ToArray());
            Assert.True(code == 0, output);
            Assert.Equal(files.Count, output.Split('\n').Count(l => l.StartsWith("ok ", StringComparison.Ordinal)));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
