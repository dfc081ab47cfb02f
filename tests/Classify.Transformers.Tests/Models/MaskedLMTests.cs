using System.Text.Json;
using Classify.Core.Labels;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.SafeTensors;
using Classify.Transformers.Models;
using Classify.Transformers.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Classify.Transformers.Tests.Models;

/// <summary>
/// The four <c>*ForMaskedLM</c> ports against the goldens of /work/shared/fixtures/tiny-*-mlm (README §9): logits at
/// the masked positions, the MLM loss and one AdamW step with the decoder tied to the word embeddings; saving without
/// the tied weight; loading an MLM folder as a classifier and a classifier folder as an MLM.
/// </summary>
public class MaskedLMTests
{
    private readonly ITestOutputHelper _out;

    public MaskedLMTests(ITestOutputHelper output)
    {
        _out = output;
        Classify.Transformers.Native.TorchRuntime.EnsureInitialized();
    }

    public static TheoryData<string> Fixtures => new() { "tiny-bert-mlm", "tiny-roberta-mlm", "tiny-distilbert-mlm", "tiny-modernbert-mlm" };

    private static readonly Dictionary<string, string> Architectures = new()
    {
        ["tiny-bert-mlm"] = "BertForMaskedLM", ["tiny-roberta-mlm"] = "RobertaForMaskedLM",
        ["tiny-distilbert-mlm"] = "DistilBertForMaskedLM", ["tiny-modernbert-mlm"] = "ModernBertForMaskedLM",
    };

    private static Tensor InputIds(Golden g) => g.Tensor("input_ids", ScalarType.Int64);
    private static Tensor Mask(Golden g) => g.Tensor("encoding_before_masking.attention_mask", ScalarType.Int64);
    private static Tensor? Types(Golden g) => g.Has("encoding_before_masking.token_type_ids") ? g.Tensor("encoding_before_masking.token_type_ids", ScalarType.Int64) : null;
    private static Tensor Labels(Golden g) => g.Tensor("labels", ScalarType.Int64);

    // The logits at each [row, position] of masked_positions, in that order: [n, vocab].
    private static Tensor AtMasked(Golden g, Tensor logits)
    {
        var positions = g["masked_positions"].EnumerateArray().Select(p => (p[0].GetInt64(), p[1].GetInt64())).ToList();
        using var rows = tensor(positions.Select(p => p.Item1).ToArray());
        using var cols = tensor(positions.Select(p => p.Item2).ToArray());
        return logits.index([TensorIndex.Tensor(rows), TensorIndex.Tensor(cols)]);
    }

    private static string[] StoredNames(Golden g) => g["observed.stored_tensor_names"].EnumerateArray().Select(e => e.GetString()!).ToArray();

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Parameters_are_the_stored_tensors_and_the_decoder_is_the_word_embedding(string fixture)
    {
        var golden = Golden.Load(fixture);
        using var model = AutoModelForMaskedLM.Create(PretrainedConfig.Load(golden.Directory));
        Assert.Equal(Architectures[fixture], model.GetType().Name);
        Assert.Equal(StoredNames(golden).Order(StringComparer.Ordinal), model.named_parameters().Select(p => p.name).Order(StringComparer.Ordinal));
        var (tiedKey, embeddingName) = Assert.Single(model.TiedWeights);
        Assert.DoesNotContain(tiedKey, StoredNames(golden));
        var embedding = model.named_parameters().Single(p => p.name == embeddingName).parameter;
        using (no_grad()) embedding.add_(1.0);   // the decoder sees the change: it is the same tensor
        Assert.Equal(0.0, Golden.MaxAbsDiff(model.WordEmbeddings, embedding));
        Assert.Single(model.parameters(), p => p.shape.SequenceEqual(embedding.shape));

        // The plan the loader checks headers with lists exactly these parameters, with the module's shapes.
        var plan = ParameterPlan.For(model.Config, ModelHead.MaskedLM);
        Assert.Equal(embeddingName, plan.Tied[tiedKey]);
        var built = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal(built.Keys.Order(StringComparer.Ordinal), plan.Parameters.Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var p in plan.Parameters)
        {
            Assert.Equal(built[p.Name], p.Shape);
            Assert.Equal(model.IsHead(p.Name), p.IsHead);
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Logits_at_masked_positions_and_loss_match_transformers(string fixture)
    {
        var golden = Golden.Load(fixture);
        using var model = AutoModelForMaskedLM.FromPretrained(golden.Directory, out var report);
        Assert.True(report.IsExact, $"missing: {string.Join(",", report.MissingKeys)}; unexpected: {string.Join(",", report.UnexpectedKeys)}");
        model.eval();
        using var _ = no_grad();
        using var labels = Labels(golden);
        using var output = model.Forward(InputIds(golden), Mask(golden), Types(golden), labels);
        using var masked = AtMasked(golden, output.Logits);
        using var expected = golden.Tensor("eval.logits_at_masked_positions", ScalarType.Float32);
        var logitsDiff = Golden.MaxAbsDiff(masked, expected);
        var lossDiff = Math.Abs(output.Loss!.item<float>() - golden.Double("eval.loss"));
        using var argmax = masked.argmax(1);
        using var expectedArgmax = golden.Tensor("eval.argmax_at_masked_positions", ScalarType.Int64);

        _out.WriteLine($"{fixture}: logits at {masked.shape[0]} masked positions {logitsDiff:E2}, loss {lossDiff:E2}");
        // Float32 noise floor (see Float64_loss_matches_transformers_double): HF's own float32 logits lie 4e-6…9e-6 from
        // the float64 forward and its float32 loss 1.0e-6…1.4e-6 from its float64 loss, so two float32 implementations
        // differ by about that much; ModernBERT's larger logits error comes from its float32 attention (README §3.4).
        Assert.True(logitsDiff <= (fixture == "tiny-modernbert-mlm" ? 2e-5 : 1e-5), $"logits differ by {logitsDiff}");
        Assert.True(lossDiff <= 2e-6, $"loss differs by {lossDiff}");
        Assert.Equal(0.0, Golden.MaxAbsDiff(argmax, expectedArgmax));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Float64_loss_matches_transformers_double(string fixture)
    {
        // The exactness check: in float64 the port and HF agree to rounding of float64 (ModernBERT: HF's .double() keeps
        // softmax and RoPE in float32, README §3.4). The float32 comparisons above sit at float32's noise floor.
        var golden = Golden.Load(fixture);
        using var model = AutoModelForMaskedLM.FromPretrained(golden.Directory, ScalarType.Float64);
        model.eval();
        using var _ = no_grad();
        using var labels = Labels(golden);
        using var output = model.Forward(InputIds(golden), Mask(golden), Types(golden));
        using var flat = output.Logits.reshape(-1, output.Logits.shape[^1]);
        using var loss = nn.functional.cross_entropy(flat, labels.reshape(-1), ignore_index: MaskedLMModel.IgnoreIndex);
        var diff = Math.Abs(loss.item<double>() - golden.Double("eval.loss_float64"));
        using var masked = AtMasked(golden, output.Logits);
        using var expected = golden.Tensor("eval.logits_at_masked_positions", ScalarType.Float64);
        _out.WriteLine($"{fixture}: float64 loss vs loss_float64 {diff:E2}; float64 logits vs the float32 golden {Golden.MaxAbsDiff(masked, expected):E2}");
        Assert.True(diff <= (fixture == "tiny-modernbert-mlm" ? 1e-6 : 1e-12), $"float64 loss differs by {diff}");
        // HF's float32 logits lie within 1e-5 of the exact ones, so the float64 port's do too, ModernBERT included.
        Assert.True(Golden.MaxAbsDiff(masked, expected) <= 1e-5, $"float64 logits differ from the float32 golden by {Golden.MaxAbsDiff(masked, expected)}");
    }

    // Largest |updated − golden| over the golden's updated tensors, overall and where the golden |grad| ≥ 1e-6. At step 1
    // AdamW moves each entry by lr·g/(|g|+eps): where |g| is near eps (1e-8) a gradient error of float noise changes the
    // step by up to lr, so those entries are compared on their own.
    private static (double All, double WhereGradAtLeast1e6) UpdatedDiff(System.Text.Json.JsonElement step, MaskedLMModel model, ScalarType dtype)
    {
        var named = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        double all = 0, conditioned = 0;
        foreach (var u in step.GetProperty("updated").EnumerateObject())
        {
            using var expected = Golden.ToTensor(u.Value, dtype);
            all = Math.Max(all, Golden.MaxAbsDiff(named[u.Name], expected));
            using var expectedGrad = Golden.ToTensor(step.GetProperty("grads").GetProperty(u.Name), dtype);
            using var illConditioned = expectedGrad.abs().lt(1e-6);
            using var error = (named[u.Name] - expected).abs().masked_fill(illConditioned, 0);
            using var max = error.max();
            conditioned = Math.Max(conditioned, max.to_type(ScalarType.Float64).item<double>());
        }
        return (all, conditioned);
    }

    // torch.optim.AdamW with the golden's single parameter group (lr, betas, eps, weight decay).
    private static TorchSharp.Modules.AdamW GoldenAdamW(System.Text.Json.JsonElement step, IEnumerable<TorchSharp.Modules.Parameter> parameters)
    {
        var optimizer = step.GetProperty("optimizer");
        var betas = optimizer.GetProperty("betas");
        return optim.AdamW(parameters, lr: optimizer.GetProperty("lr").GetDouble(), beta1: betas[0].GetDouble(), beta2: betas[1].GetDouble(),
            eps: optimizer.GetProperty("eps").GetDouble(), weight_decay: optimizer.GetProperty("weight_decay").GetDouble());
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Float64_AdamW_step_is_as_far_from_the_golden_as_the_goldens_own_float32_rounding(string fixture)
    {
        // The float32 goldens' own distance from exact arithmetic: the same step in float64 (exact to ~1e-15 here) lands
        // within 1e-6 of HF's float32 update wherever |grad| >= 1e-6; where |grad| is near AdamW's eps the float32 golden
        // itself is up to ~2e-6 off (BERT), so no correct implementation can be closer there without HF's exact rounding.
        var golden = Golden.Load(fixture);
        var step = golden["train_step"];
        using var model = AutoModelForMaskedLM.FromPretrained(golden.Directory, ScalarType.Float64, NoDropout);
        model.train();
        using var labels = Labels(golden);
        var parameters = model.parameters().ToList();
        using var adam = GoldenAdamW(step, parameters);
        adam.zero_grad();
        using (var output = model.Forward(InputIds(golden), Mask(golden), Types(golden)))
        {
            using var flat = output.Logits.reshape(-1, output.Logits.shape[^1]);
            using var loss = nn.functional.cross_entropy(flat, labels.reshape(-1), ignore_index: MaskedLMModel.IgnoreIndex);
            loss.backward();
        }
        adam.step();
        var (updatedDiff, conditionedDiff) = UpdatedDiff(step, model, ScalarType.Float64);
        _out.WriteLine($"{fixture}: float64 step vs the float32 golden: updated {updatedDiff:E2} (where |grad| >= 1e-6: {conditionedDiff:E2})");
        Assert.True(conditionedDiff <= 1e-6, $"updated weights differ by {conditionedDiff} where |grad| >= 1e-6");
        Assert.True(updatedDiff <= 2.5e-6, $"updated weights differ by {updatedDiff}");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Float64_gradient_norm_counts_the_tied_decoder_once(string fixture)
    {
        // grad_norm_float64 is the norm of the float32 gradients summed in float64; a float64 backward lands within
        // float32 rounding of it. An untied decoder (or a tie that dropped the decoder's share of the embedding gradient)
        // would be off by far more.
        var golden = Golden.Load(fixture);
        using var model = AutoModelForMaskedLM.FromPretrained(golden.Directory, ScalarType.Float64, NoDropout);
        model.train();
        using var labels = Labels(golden);
        using (var output = model.Forward(InputIds(golden), Mask(golden), Types(golden), labels))
            output.Loss!.backward();
        var norm = nn.utils.clip_grad_norm_(model.parameters(), double.PositiveInfinity);
        var expected = golden.Double("train_step.grad_norm_float64");
        _out.WriteLine($"{fixture}: float64 grad norm {norm:R} vs {expected:R} (rel {Math.Abs(norm - expected) / expected:E2})");
        Assert.True(Math.Abs(norm - expected) / expected <= 1e-6, $"grad norm {norm} vs {expected}");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Sparse_masked_loss_is_the_dense_loss_with_the_same_gradients(string fixture)
    {
        // MaskedLoss runs the head on the labelled positions only (what classify pretrain trains and evaluates with). On a
        // float64 model both losses take HF's float32 cross-entropy (logits.float()), so they agree with each other and
        // with transformers' loss to float32 rounding, and so do their gradients.
        var golden = Golden.Load(fixture);
        using var model = AutoModelForMaskedLM.FromPretrained(golden.Directory, ScalarType.Float64, NoDropout);
        model.train();
        using var labels = Labels(golden);
        double denseLoss;
        using (var output = model.Forward(InputIds(golden), Mask(golden), Types(golden), labels))
        {
            denseLoss = output.Loss!.to_type(ScalarType.Float64).item<double>();
            output.Loss!.backward();
        }
        var dense = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        model.zero_grad();
        using var sparse = model.MaskedLoss(InputIds(golden), Mask(golden), Types(golden), labels);
        sparse.backward();
        double sparseLoss = sparse.to_type(ScalarType.Float64).item<double>();
        double scale = dense.Values.Max(g => g.abs().max().to_type(ScalarType.Float64).item<double>());
        double gradDiff = model.named_parameters().Max(p => Golden.MaxAbsDiff(p.parameter.grad!, dense[p.name]));
        _out.WriteLine($"{fixture}: sparse vs dense loss {Math.Abs(sparseLoss - denseLoss):E2}, vs transformers' {Math.Abs(sparseLoss - golden.Double("eval.loss")):E2}; " +
                       $"gradients {gradDiff:E2} (largest {scale:E2})");
        // A few float32 ulps at the loss's magnitude (≈ 1e-6 at 10): the two reductions sum in different orders.
        Assert.True(Math.Abs(sparseLoss - denseLoss) <= 4e-6, $"sparse loss {sparseLoss} vs dense {denseLoss}");
        Assert.True(Math.Abs(sparseLoss - golden.Double("eval.loss")) <= 4e-6, $"sparse loss {sparseLoss} vs transformers' {golden.Double("eval.loss")}");
        Assert.True(gradDiff <= 1e-5 * scale, $"gradients differ by {gradDiff} (largest {scale})");
        foreach (var g in dense.Values) g.Dispose();
    }

    // Every dropout of the family set to 0, as the fixture's train step.
    private static void NoDropout(PretrainedConfig c)
    {
        foreach (var key in new[] { "hidden_dropout_prob", "attention_probs_dropout_prob", "dropout", "attention_dropout", "embedding_dropout", "mlp_dropout" })
            if (c.Json.ContainsKey(key)) c.Json[key] = 0.0;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void One_AdamW_step_with_the_tied_decoder_matches_torch(string fixture)
    {
        var golden = Golden.Load(fixture);
        var step = golden["train_step"];
        using var model = AutoModelForMaskedLM.FromPretrained(golden.Directory, configure: NoDropout);
        model.train();
        using var labels = Labels(golden);
        var parameters = model.parameters().ToList();
        using var adam = GoldenAdamW(step, parameters);

        adam.zero_grad();
        double lossBefore;
        using (var output = model.Forward(InputIds(golden), Mask(golden), Types(golden), labels))
        {
            lossBefore = Math.Abs(output.Loss!.item<float>() - step.GetProperty("loss_before_step").GetDouble());
            output.Loss.backward();
        }
        var gradNorm = nn.utils.clip_grad_norm_(parameters, double.PositiveInfinity);
        var expectedNorm = step.GetProperty("grad_norm").GetDouble();
        var normRel = Math.Abs(gradNorm - expectedNorm) / expectedNorm;

        var named = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        double gradDiff = 0;
        foreach (var g in step.GetProperty("grads").EnumerateObject())
        {
            using var expected = Golden.ToTensor(g.Value, ScalarType.Float32);
            gradDiff = Math.Max(gradDiff, Golden.MaxAbsDiff(named[g.Name].grad!, expected));
        }
        adam.step();
        var (updatedDiff, conditionedDiff) = UpdatedDiff(step, model, ScalarType.Float32);
        model.eval();
        double afterDiff;
        using (no_grad())
        using (var output = model.Forward(InputIds(golden), Mask(golden), Types(golden), labels))
            afterDiff = Math.Abs(output.Loss!.item<float>() - step.GetProperty("loss_after_step").GetDouble());

        _out.WriteLine($"{fixture}: loss before {lossBefore:E2}, grad_norm rel {normRel:E2}, grads {gradDiff:E2}, " +
                       $"updated {updatedDiff:E2} (where |grad| >= 1e-6: {conditionedDiff:E2}), loss after {afterDiff:E2}");
        Assert.True(lossBefore <= 2e-6, $"loss before the step differs by {lossBefore}");
        Assert.True(normRel <= 1e-6, $"grad_norm {gradNorm} vs {expectedNorm}");
        Assert.True(gradDiff <= 5e-6, $"gradients differ by {gradDiff}");
        Assert.True(conditionedDiff <= 1e-6, $"updated weights differ by {conditionedDiff} where |grad| >= 1e-6");
        Assert.True(updatedDiff <= 5e-6, $"updated weights differ by {updatedDiff}");
        Assert.True(afterDiff <= 2e-6, $"loss after the step differs by {afterDiff}");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Saved_folder_holds_no_tied_weight_and_reloads_identically(string fixture)
    {
        var golden = Golden.Load(fixture);
        var target = TestPaths.NewTempDirectory("classify-mlm-");
        try
        {
            using var model = AutoModelForMaskedLM.FromPretrained(golden.Directory);
            model.eval();
            model.SavePretrained(target);
            using (var saved = SafeTensorsCheckpoint.Open(target))
                Assert.Equal(StoredNames(golden).Order(StringComparer.Ordinal), saved.Tensors.Keys.Order(StringComparer.Ordinal));
            var config = PretrainedConfig.Load(target);
            Assert.Equal([Architectures[fixture]], config.Architectures);

            using var reloaded = AutoModelForMaskedLM.FromPretrained(target, out var report);
            Assert.True(report.IsExact);
            AssertSameLogits(model, reloaded, golden);
        }
        finally
        {
            Directory.Delete(target, recursive: true);
        }
    }

    // Both models in eval mode give bit-identical logits on the golden batch.
    private static void AssertSameLogits(MaskedLMModel model, MaskedLMModel reloaded, Golden golden)
    {
        reloaded.eval();
        using var _ = no_grad();
        using var a = model.Forward(InputIds(golden), Mask(golden), Types(golden));
        using var b = reloaded.Forward(InputIds(golden), Mask(golden), Types(golden));
        Assert.Equal(0.0, Golden.MaxAbsDiff(a.Logits, b.Logits));
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void A_checkpoint_that_stores_the_tied_weight_loads_too(string fixture)
    {
        var golden = Golden.Load(fixture);
        var target = TestPaths.NewTempDirectory("classify-mlm-");
        try
        {
            File.Copy(Path.Combine(golden.Directory, "config.json"), Path.Combine(target, "config.json"));
            using var model = AutoModelForMaskedLM.FromPretrained(golden.Directory);
            var (tiedKey, embeddingName) = model.TiedWeights.Single();
            using (var source = SafeTensorsCheckpoint.Open(golden.Directory))
            {
                var entries = source.Tensors.Values.Select(t => SafeTensorsEntry.FromFloat32(t.Name, t.Shape, source.ReadFloat32(t.Name)))
                    .Append(SafeTensorsEntry.FromFloat32(tiedKey, source.Tensors[embeddingName].Shape, source.ReadFloat32(embeddingName)))
                    .ToList();
                SafeTensorsWriter.Write(Path.Combine(target, SafeTensorsCheckpoint.WeightsName), entries, SafeTensorsWriter.PyTorchMetadata);
            }
            using var reloaded = AutoModelForMaskedLM.FromPretrained(target, out var report);
            Assert.True(report.IsExact, $"unexpected: {string.Join(",", report.UnexpectedKeys)}");
            model.eval();
            AssertSameLogits(model, reloaded, golden);
        }
        finally
        {
            Directory.Delete(target, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void An_MLM_folder_fine_tunes_as_a_classifier_with_the_encoder_weights(string fixture)
    {
        var golden = Golden.Load(fixture);
        using var mlm = AutoModelForMaskedLM.FromPretrained(golden.Directory);
        var prefix = mlm.BaseModelPrefix + ".";
        var encoder = mlm.named_parameters().Where(p => p.name.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(p => p.name, p => p.parameter);

        using var classifier = AutoModelForSequenceClassification.FromPretrained(golden.Directory, out var report,
            configure: c => c.SetLabels(["a", "b", "c"]), mode: WeightLoadMode.NewHead);
        Assert.Contains(report.MissingKeys, k => k.StartsWith("classifier.", StringComparison.Ordinal));
        // Only the head is new: BERT's pooler is not part of BertForMaskedLM, as in transformers.
        Assert.All(report.MissingKeys, k => Assert.False(k.StartsWith(prefix, StringComparison.Ordinal) && !k.StartsWith("bert.pooler.", StringComparison.Ordinal), k));
        var loaded = classifier.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, value) in encoder)
            Assert.True(Golden.MaxAbsDiff(loaded[name], value) == 0, name);
        Assert.Equal(0.0, Golden.MaxAbsDiff(classifier.WordEmbeddings, mlm.WordEmbeddings));
        Assert.Equal(encoder.Count, loaded.Keys.Count(k => k.StartsWith(prefix, StringComparison.Ordinal) && !k.StartsWith("bert.pooler.", StringComparison.Ordinal)));
        _out.WriteLine($"{fixture}: {encoder.Count} encoder tensors equal; initialised {string.Join(", ", report.MissingKeys)}; ignored {string.Join(", ", report.UnexpectedKeys)}");
    }

    [Theory]
    [InlineData("tiny-bert-mlm")]
    [InlineData("tiny-roberta-mlm")]
    [InlineData("tiny-distilbert-mlm")]
    public void An_MLM_folder_is_accepted_as_transformer_model(string fixture)
    {
        // The fine-tuning path of `transformer.model`: ModelLoader with the task's labels.
        var dir = TestPaths.Fixture(fixture);
        var notes = new List<string>();
        var start = ModelLoader.Load(dir, null, new LabelSchema(TaskKind.Multiclass, ["x", "y", "z"]), seed: 3, notes.Add);
        using var model = start.Model;
        using var mlm = AutoModelForMaskedLM.FromPretrained(dir);
        var encoder = mlm.named_parameters().Where(p => p.name.StartsWith(mlm.BaseModelPrefix + ".", StringComparison.Ordinal));
        var loaded = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, value) in encoder) Assert.True(Golden.MaxAbsDiff(loaded[name], value) == 0, name);
        Assert.Equal(3, model.NumLabels);
        Assert.Contains(notes, n => n.Contains("newly initialized", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("tiny-bert")]
    [InlineData("tiny-roberta")]
    [InlineData("tiny-distilbert")]
    [InlineData("tiny-modernbert")]
    public void A_classifier_folder_starts_an_MLM_with_a_new_head(string fixture)
    {
        var dir = TestPaths.Fixture(fixture);
        Assert.Throws<Classify.Core.IO.InputException>(() => AutoModelForMaskedLM.FromPretrained(dir));
        using var mlm = AutoModelForMaskedLM.FromPretrained(dir, out var report, mode: WeightLoadMode.NewHead);
        Assert.NotEmpty(report.MissingKeys);
        Assert.All(report.MissingKeys, k => Assert.False(k.StartsWith(mlm.BaseModelPrefix + ".", StringComparison.Ordinal), k));
        using var classifier = AutoModelForSequenceClassification.FromPretrained(dir);
        var loaded = classifier.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, value) in mlm.named_parameters().Where(p => p.name.StartsWith(mlm.BaseModelPrefix + ".", StringComparison.Ordinal)))
            Assert.True(Golden.MaxAbsDiff(loaded[name], value) == 0, name);
    }

    [Fact]
    public void Untied_word_embeddings_are_refused()
    {
        var config = PretrainedConfig.Load(TestPaths.Fixture("tiny-bert-mlm"));
        config.Json["tie_word_embeddings"] = false;
        var e = Assert.Throws<Classify.Core.IO.InputException>(() => AutoModelForMaskedLM.Create(config));
        Assert.Contains("tie_word_embeddings", e.Message);
    }

    [Fact]
    public void Fresh_models_can_be_built_from_scratch_configs()
    {
        foreach (var type in new[] { "bert", "roberta", "distilbert", "modernbert" })
        {
            var config = ScratchConfigs.Create($"{type}-tiny");
            using var model = AutoModelForMaskedLM.FromConfig(config, generator: new Generator(7));
            using var ids = tensor(new long[,] { { 2, 5, 6, 3 } });
            using var labels = tensor(new long[,] { { -100, 5, -100, -100 } });
            using var output = model.Forward(ids, labels: labels);
            Assert.Equal(model.VocabSize, output.Logits.shape[2]);
            Assert.True(float.IsFinite(output.Loss!.item<float>()), type);
        }
    }
}
