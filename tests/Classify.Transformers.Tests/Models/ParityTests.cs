using Classify.Core.Labels;
using Classify.Transformers.Models;
using Classify.Transformers.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Classify.Transformers.Tests.Models;

/// <summary>
/// Every family against the HF goldens in /work/shared/fixtures: logits, hidden states, float64 logits, loss and
/// one AdamW step, at the tolerances the fixture README suggests.
/// </summary>
public class ParityTests
{
    private readonly ITestOutputHelper _out;

    public ParityTests(ITestOutputHelper output)
    {
        _out = output;
        Classify.Transformers.Native.TorchRuntime.EnsureInitialized();
    }

    public static TheoryData<string> Fixtures => new() { "tiny-bert", "tiny-bert-multilabel", "tiny-distilbert", "tiny-roberta", "tiny-modernbert" };

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Eval_logits_hidden_states_and_loss_match_transformers(string fixture)
    {
        var golden = Golden.Load(fixture);
        using var model = AutoModelForSequenceClassification.FromPretrained(golden.Directory, out var report);
        Assert.True(report.IsExact, $"missing: {string.Join(",", report.MissingKeys)}; unexpected: {string.Join(",", report.UnexpectedKeys)}");
        model.eval();
        using var _ = no_grad();
        using var ids = golden.InputIds;
        using var mask = golden.AttentionMask;
        using var types = golden.TokenTypeIds;
        using var output = model.Forward(ids, mask, types, outputHiddenStates: true);

        using var expectedLogits = golden.Tensor("eval.logits", ScalarType.Float32);
        var logitsDiff = Golden.MaxAbsDiff(output.Logits, expectedLogits);

        var hidden = golden["eval.hidden_states_example0"];
        Assert.Equal(hidden.GetArrayLength(), output.HiddenStates!.Count);
        double hiddenDiff = 0;
        for (int i = 0; i < output.HiddenStates.Count; i++)
        {
            using var expected = Golden.ToTensor(hidden[i], ScalarType.Float32);
            using var actual = output.HiddenStates[i][0, ..(int)expected.shape[0]];
            hiddenDiff = Math.Max(hiddenDiff, Golden.MaxAbsDiff(actual, expected));
        }

        using var labels = golden.Labels;
        using var objective = Loss(golden, model);
        using var loss = objective.Compute(output.Logits, labels);
        var lossDiff = Math.Abs(loss.item<float>() - golden.Double("eval.loss"));

        _out.WriteLine($"{fixture}: logits {logitsDiff:E2}, hidden {hiddenDiff:E2}, loss {lossDiff:E2}");
        Assert.True(logitsDiff <= 1e-5, $"logits differ by {logitsDiff}");
        Assert.True(hiddenDiff <= 2e-5, $"hidden states differ by {hiddenDiff}");
        Assert.True(lossDiff <= 1e-6, $"loss differs by {lossDiff}");

        if (golden.Has("eval.loss_bce_pos_weight"))
        {
            using var posWeight = golden.Tensor("pos_weight", ScalarType.Float32);
            using var weightedObjective = Loss(golden, model, posWeight);
            using var weighted = weightedObjective.Compute(output.Logits, labels);
            var weightedDiff = Math.Abs(weighted.item<float>() - golden.Double("eval.loss_bce_pos_weight"));
            _out.WriteLine($"{fixture}: loss with pos_weight {weightedDiff:E2}");
            Assert.True(weightedDiff <= 1e-6, $"pos_weight loss differs by {weightedDiff}");
        }
        if (golden.Has("eval.logits_mean_pooling"))
        {
            using var meanModel = AutoModelForSequenceClassification.FromPretrained(golden.Directory, configure: c => c.Json["classifier_pooling"] = "mean");
            meanModel.eval();
            using var meanOut = meanModel.Forward(ids, mask);
            using var expectedMean = golden.Tensor("eval.logits_mean_pooling", ScalarType.Float32);
            var meanDiff = Golden.MaxAbsDiff(meanOut.Logits, expectedMean);
            _out.WriteLine($"{fixture}: mean-pooling logits {meanDiff:E2}");
            Assert.True(meanDiff <= 1e-5, $"mean-pooling logits differ by {meanDiff}");
        }
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Float64_logits_match_transformers_double(string fixture)
    {
        var golden = Golden.Load(fixture);
        using var model = AutoModelForSequenceClassification.FromPretrained(golden.Directory, ScalarType.Float64);
        model.eval();
        using var _ = no_grad();
        using var output = model.Forward(golden.InputIds, golden.AttentionMask, golden.TokenTypeIds);
        Assert.Equal(ScalarType.Float64, output.Logits.dtype);
        using var expected = golden.Tensor("eval.logits_float64", ScalarType.Float64);
        var diff = Golden.MaxAbsDiff(output.Logits, expected);
        _out.WriteLine($"{fixture}: float64 logits {diff:E2}");
        // HF's .double() ModernBERT keeps softmax and RoPE in float32 (README §3.4); the others are pure float64.
        Assert.True(diff <= (fixture == "tiny-modernbert" ? 1e-6 : 1e-9), $"float64 logits differ by {diff}");
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void One_AdamW_step_matches_torch(string fixture)
    {
        var golden = Golden.Load(fixture);
        var step = golden["train_step"];
        using var model = AutoModelForSequenceClassification.FromPretrained(golden.Directory, configure: c =>
        {
            foreach (var o in step.GetProperty("dropout_overrides").EnumerateObject()) c.Json[o.Name] = o.Value.GetDouble();
        });
        model.train();
        using var labels = golden.Labels;
        using var posWeight = golden.Has("pos_weight") ? golden.Tensor("pos_weight", ScalarType.Float32) : null;
        using var objective = Loss(golden, model, posWeight);
        var parameters = model.parameters().ToList();
        using var optimizer = optim.AdamW(parameters, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01);

        optimizer.zero_grad();
        using (var output = model.Forward(golden.InputIds, golden.AttentionMask, golden.TokenTypeIds))
        using (var loss = objective.Compute(output.Logits, labels))
        {
            var lossDiff = Math.Abs(loss.item<float>() - step.GetProperty("loss_before_step").GetDouble());
            _out.WriteLine($"{fixture}: loss before step {lossDiff:E2}");
            Assert.True(lossDiff <= 1e-6, $"loss before the step differs by {lossDiff}");
            loss.backward();
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
        optimizer.step();
        double updatedDiff = 0;
        foreach (var u in step.GetProperty("updated").EnumerateObject())
        {
            using var expected = Golden.ToTensor(u.Value, ScalarType.Float32);
            updatedDiff = Math.Max(updatedDiff, Golden.MaxAbsDiff(named[u.Name], expected));
        }
        model.eval();
        double afterDiff;
        using (no_grad())
        using (var output = model.Forward(golden.InputIds, golden.AttentionMask, golden.TokenTypeIds))
        using (var loss = objective.Compute(output.Logits, labels))
            afterDiff = Math.Abs(loss.item<float>() - step.GetProperty("loss_after_step").GetDouble());

        _out.WriteLine($"{fixture}: grad_norm rel {normRel:E2}, grads {gradDiff:E2}, updated {updatedDiff:E2}, loss after {afterDiff:E2}");
        Assert.True(normRel <= 1e-5, $"grad_norm {gradNorm} vs {expectedNorm}");
        Assert.True(gradDiff <= 1e-6, $"gradients differ by {gradDiff}");
        Assert.True(updatedDiff <= 1e-6, $"updated weights differ by {updatedDiff}");
        Assert.True(afterDiff <= 1e-6, $"loss after the step differs by {afterDiff}");
    }

    // The one loss of Classify.Transformers, for the golden's task (multi-hot labels: multi-label BCE).
    private static TrainingLoss Loss(Golden golden, SequenceClassificationModel model, Tensor? posWeight = null)
    {
        var labels = Enumerable.Range(0, model.NumLabels).Select(i => $"label{i}").ToList();
        var kind = golden.IsMultiLabel ? TaskKind.Multilabel : labels.Count == 2 ? TaskKind.Binary : TaskKind.Multiclass;
        return new TrainingLoss(new LabelSchema(kind, labels), posWeight?.data<float>().Select(w => (double)w).ToArray());
    }

    [Fact]
    public void ModernBert_rope_tables_match_transformers()
    {
        var golden = Golden.Load("tiny-modernbert");
        foreach (var layer in new[] { "layer0", "layer1" })
        {
            var rope = golden["rope." + layer];
            var theta = rope.GetProperty("theta").GetDouble();
            using var expectedInv = Golden.ToTensor(rope.GetProperty("inv_freq_float32"), ScalarType.Float32);
            using var expectedCos = Golden.ToTensor(rope.GetProperty("cos"), ScalarType.Float32);
            using var expectedSin = Golden.ToTensor(rope.GetProperty("sin"), ScalarType.Float32);
            using var inv = ModernBertRotary.InverseFrequencies((int)expectedCos.shape[1], theta);
            var (cos, sin) = ModernBertRotary.Tables(expectedCos.shape[0], (int)expectedCos.shape[1], theta, ScalarType.Float32);
            using (cos)
            using (sin)
            {
                Assert.True(Golden.MaxAbsDiff(inv, expectedInv) <= 1e-9, $"{layer} inv_freq");
                Assert.True(Golden.MaxAbsDiff(cos, expectedCos) <= 1e-6, $"{layer} cos");
                Assert.True(Golden.MaxAbsDiff(sin, expectedSin) <= 1e-6, $"{layer} sin");
            }
        }
    }

    [Fact]
    public void Roberta_position_ids_count_from_padding_idx()
    {
        var golden = Golden.Load("tiny-roberta");
        using var model = (RobertaForSequenceClassification)AutoModelForSequenceClassification.FromPretrained(golden.Directory);
        var embeddings = (RobertaEmbeddings)model.named_modules().Single(m => m.name == "roberta.embeddings").module;
        using var ids = golden.InputIds;
        using var positions = embeddings.PositionIds(ids);
        using var expected = golden.Tensor("eval.position_ids", ScalarType.Int64);
        Assert.Equal(0.0, Golden.MaxAbsDiff(positions, expected));
    }
}
