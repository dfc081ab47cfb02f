using System.Diagnostics;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.SafeTensors;
using Classify.Transformers.Models;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Classify.Transformers.Tests.Models;

public class ModelLoadingTests
{
    private readonly ITestOutputHelper _out;

    public ModelLoadingTests(ITestOutputHelper output)
    {
        _out = output;
        Classify.Transformers.Native.TorchRuntime.EnsureInitialized();
    }

    public static TheoryData<string> Fixtures => ParityTests.Fixtures;

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Parameter_names_equal_checkpoint_keys(string fixture)
    {
        var dir = TestPaths.Fixture(fixture);
        using var checkpoint = SafeTensorsCheckpoint.Open(dir);
        using var model = AutoModelForSequenceClassification.Create(PretrainedConfig.Load(dir));
        var names = model.named_parameters().Select(p => p.name).OrderBy(n => n, StringComparer.Ordinal);
        Assert.Equal(checkpoint.Tensors.Keys.OrderBy(n => n, StringComparer.Ordinal), names);
        Assert.Empty(model.named_buffers().Where(b => model.state_dict().ContainsKey(b.name) && !b.name.EndsWith("num_batches_tracked")).Select(b => b.name)
            .Except(model.named_parameters().Select(p => p.name)));
    }

    [Fact]
    public void Saved_model_reloads_with_identical_logits()
    {
        var dir = TestPaths.Fixture("tiny-roberta");
        var golden = Golden.Load("tiny-roberta");
        var target = Path.Combine(Path.GetTempPath(), "classify-transformers-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var model = AutoModelForSequenceClassification.FromPretrained(dir);
            model.eval();
            model.SavePretrained(target);
            using var reloaded = AutoModelForSequenceClassification.FromPretrained(target, out var report);
            Assert.True(report.IsExact);
            reloaded.eval();
            using var _ = no_grad();
            using var a = model.Forward(golden.InputIds, golden.AttentionMask);
            using var b = reloaded.Forward(golden.InputIds, golden.AttentionMask);
            Assert.Equal(0.0, Golden.MaxAbsDiff(a.Logits, b.Logits));
            using var saved = SafeTensorsCheckpoint.Open(target);
            using var original = SafeTensorsCheckpoint.Open(dir);
            Assert.Equal(original.Tensors.Keys.Order(), saved.Tensors.Keys.Order());
        }
        finally
        {
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        }
    }

    [Fact]
    public void Base_encoder_checkpoint_loads_with_a_fresh_head()
    {
        // Drop the head and the "bert." prefix, as a BertModel checkpoint has it.
        var dir = TestPaths.Fixture("tiny-bert");
        var target = Path.Combine(Path.GetTempPath(), "classify-transformers-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(target);
            File.Copy(Path.Combine(dir, "config.json"), Path.Combine(target, "config.json"));
            using (var source = SafeTensorsCheckpoint.Open(dir))
            {
                var entries = source.Tensors.Values
                    .Where(t => t.Name.StartsWith("bert.", StringComparison.Ordinal) && !t.Name.StartsWith("bert.pooler.", StringComparison.Ordinal))
                    .Select(t => SafeTensorsEntry.FromFloat32(t.Name["bert.".Length..], t.Shape, source.ReadFloat32(t.Name)))
                    .Append(SafeTensorsEntry.FromFloat32("cls.predictions.bias", [1000], new float[1000]))
                    .ToList();
                SafeTensorsWriter.Write(Path.Combine(target, "model.safetensors"), entries);
            }
            using var model = AutoModelForSequenceClassification.FromPretrained(target, out var report, mode: WeightLoadMode.NewHead);
            Assert.Equal(new[] { "bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias" }.Order(), report.MissingKeys.Order());
            Assert.Equal(new[] { "cls.predictions.bias" }, report.UnexpectedKeys);
            var classifier = model.named_parameters().Single(p => p.name == "classifier.weight").parameter;
            var std = classifier.std().item<float>();
            Assert.InRange(std, 0.005, 0.05);   // N(0, initializer_range = 0.02)
            Assert.Equal(0f, model.named_parameters().Single(p => p.name == "classifier.bias").parameter.abs().sum().item<float>());
        }
        finally
        {
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        }
    }

    [Fact]
    public void Missing_encoder_weights_are_an_input_error()
    {
        var dir = TestPaths.Fixture("tiny-distilbert");
        var target = Path.Combine(Path.GetTempPath(), "classify-transformers-" + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.CreateDirectory(target);
            File.Copy(Path.Combine(dir, "config.json"), Path.Combine(target, "config.json"));
            using (var source = SafeTensorsCheckpoint.Open(dir))
                SafeTensorsWriter.Write(Path.Combine(target, "model.safetensors"), source.Tensors.Values
                    .Where(t => t.Name != "distilbert.embeddings.LayerNorm.weight")
                    .Select(t => SafeTensorsEntry.FromFloat32(t.Name, t.Shape, source.ReadFloat32(t.Name))).ToList());
            var e = Assert.Throws<Classify.Core.IO.InputException>(() => AutoModelForSequenceClassification.FromPretrained(target));
            Assert.Contains("distilbert.embeddings.LayerNorm.weight", e.Message);
        }
        finally
        {
            if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        }
    }

    [Fact]
    [Trait("Category", "Slow")]   // 10-20 s on the shared 2-core machine, mostly building 110M parameters
    public void Bert_base_sized_model_runs_a_forward_pass()
    {
        var config = new BertConfig();   // bert-base: 12 layers, 768 hidden, 30522 vocab
        config.SetLabels(["negative", "neutral", "positive"]);
        var watch = Stopwatch.StartNew();
        // Create() keeps TorchSharp's default init: HF's init of 110M weights costs seconds and is not under test here.
        using var model = AutoModelForSequenceClassification.Create(config);
        var built = watch.Elapsed;
        model.eval();
        using var _ = no_grad();
        using var ids = randint(0, config.VocabSize, [2, 16], dtype: ScalarType.Int64);
        using var mask = ones(2, 16, dtype: ScalarType.Int64);
        watch.Restart();
        using var output = model.Forward(ids, mask);
        _out.WriteLine($"bert-base: {model.parameters().Sum(p => p.numel()):N0} parameters, init {built.TotalSeconds:F1} s, forward 2x16 {watch.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal([2L, 3L], output.Logits.shape);
        Assert.False(output.Logits.isnan().any().item<bool>());
    }
}
