using System.Text.Json.Nodes;
using Classify.Core.Configuration;
using Classify.Core.Data;
using Classify.Core.IO;
using Classify.Core.Labels;
using Classify.Core.Prediction;
using Classify.HuggingFace.Configuration;
using Classify.HuggingFace.Tokenization;
using Classify.Transformers.Models;
using Classify.Transformers.Training;
using static TorchSharp.torch;

namespace Classify.Transformers.Tests.Training;

public class TrainingComponentTests
{
    public TrainingComponentTests() => Classify.Transformers.Native.TorchRuntime.EnsureInitialized();

    [Theory]
    // HF get_linear_schedule_with_warmup(warmup 10, total 100)
    [InlineData(LearningRateSchedulerType.Linear, 10, 100, 0, 0.0)]
    [InlineData(LearningRateSchedulerType.Linear, 10, 100, 5, 0.5)]
    [InlineData(LearningRateSchedulerType.Linear, 10, 100, 10, 1.0)]
    [InlineData(LearningRateSchedulerType.Linear, 10, 100, 55, 0.5)]
    [InlineData(LearningRateSchedulerType.Linear, 10, 100, 100, 0.0)]
    [InlineData(LearningRateSchedulerType.Linear, 10, 100, 120, 0.0)]
    // HF get_cosine_schedule_with_warmup(warmup 10, total 110, num_cycles 0.5): 0.5 (1 + cos(π progress))
    [InlineData(LearningRateSchedulerType.Cosine, 10, 110, 3, 0.3)]
    [InlineData(LearningRateSchedulerType.Cosine, 10, 110, 10, 1.0)]
    [InlineData(LearningRateSchedulerType.Cosine, 10, 110, 35, 0.85355339059327373)]
    [InlineData(LearningRateSchedulerType.Cosine, 10, 110, 60, 0.5)]
    [InlineData(LearningRateSchedulerType.Cosine, 10, 110, 85, 0.14644660940672627)]
    [InlineData(LearningRateSchedulerType.Cosine, 10, 110, 110, 0.0)]
    [InlineData(LearningRateSchedulerType.Constant, 10, 100, 3, 1.0)]
    [InlineData(LearningRateSchedulerType.ConstantWithWarmup, 4, 100, 1, 0.25)]
    [InlineData(LearningRateSchedulerType.ConstantWithWarmup, 4, 100, 50, 1.0)]
    public void Schedules_equal_the_Hugging_Face_formulas(LearningRateSchedulerType type, int warmup, int total, int step, double expected) =>
        Assert.Equal(expected, new LearningRateSchedule(type, warmup, total).Factor(step), 12);

    [Fact]
    public void Warmup_ratio_rounds_up_as_HF()
    {
        Assert.Equal(6, LearningRateSchedule.ResolveWarmupSteps(0, 0.06, 100));
        Assert.Equal(4, LearningRateSchedule.ResolveWarmupSteps(0, 0.1, 31));
        Assert.Equal(5, LearningRateSchedule.ResolveWarmupSteps(5, 0.5, 100));
    }

    [Fact]
    public void Weight_decay_skips_biases_and_norm_weights()
    {
        using var model = AutoModelForSequenceClassification.FromPretrained(TestPaths.Fixture("tiny-bert"));
        var decay = AdamW.DecayParameterNames(model);
        Assert.Contains("bert.embeddings.word_embeddings.weight", decay);
        Assert.Contains("bert.encoder.layer.0.attention.self.query.weight", decay);
        Assert.Contains("classifier.weight", decay);
        Assert.DoesNotContain("bert.embeddings.LayerNorm.weight", decay);
        Assert.DoesNotContain("bert.encoder.layer.1.output.LayerNorm.weight", decay);
        Assert.DoesNotContain("classifier.bias", decay);
        Assert.DoesNotContain(decay, n => n.EndsWith(".bias", StringComparison.Ordinal) || n.Contains("LayerNorm", StringComparison.Ordinal));

        using var modern = AutoModelForSequenceClassification.FromPretrained(TestPaths.Fixture("tiny-modernbert"));
        var modernDecay = AdamW.DecayParameterNames(modern);
        Assert.Contains("model.layers.0.attn.Wqkv.weight", modernDecay);
        Assert.DoesNotContain("model.final_norm.weight", modernDecay);
        Assert.DoesNotContain("model.layers.1.attn_norm.weight", modernDecay);
    }

    [Fact]
    public void AdamW_step_matches_the_torch_update()
    {
        using var module = nn.Linear(3, 2, hasBias: true);
        using var _ = no_grad();
        var w0 = module.weight!.clone();
        var b0 = module.bias!.clone();
        using var optimizer = new AdamW(module, 0.9, 0.999, 1e-8, weightDecay: 0.1);
        var g = tensor(new float[] { 0.5f, -1f, 2f, 0.1f, 0f, -0.3f }, [2, 3]);
        module.weight!.grad = g.clone();
        module.bias!.grad = tensor(new float[] { 1f, -2f });
        optimizer.Step(0.01);
        // First Adam step: m̂ = g, v̂ = g², so the update is lr · g / (|g| + ε); decay only on the weight.
        var expectedW = w0 * (1 - 0.01 * 0.1) - 0.01 * g / (g.abs() + 1e-8);
        var expectedB = b0 - 0.01 * tensor(new float[] { 1f, -1f });
        Assert.True(module.weight!.allclose(expectedW, rtol: 1e-5, atol: 1e-6));
        Assert.True(module.bias!.allclose(expectedB, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void Balanced_class_weights_follow_sklearn()
    {
        // sklearn: compute_class_weight("balanced", classes=[0,1,2], y=[0,0,0,0,1,1,2]) = n / (k · count)
        var w = LossWeighting.BalancedClassWeights([0, 0, 0, 0, 1, 1, 2], 3);
        Assert.Equal([7.0 / 12, 7.0 / 6, 7.0 / 3], w, new ToleranceComparer(1e-12));
    }

    [Fact]
    public void Positive_weights_are_log_scaled_and_clipped()
    {
        // 10 examples; label 0 positive in 2, label 1 in 9, label 2 in none, label 3 in all.
        var sets = Enumerable.Range(0, 10).Select(i => new[] { 0, 1, 2, 3 }.Where(c =>
            c == 0 ? i < 2 : c == 1 ? i < 9 : c == 3).ToArray()).ToList();
        var log = LossWeighting.PositiveWeights(sets, 4, LossWeighting.LogScaled);
        Assert.Equal(1 + Math.Log(9.0 / 3.0), log[0], 12);
        Assert.Equal(LossWeighting.MinPositiveWeight, log[1], 12);   // 1 + ln(2/10) < 0.1
        Assert.Equal(1 + Math.Log(11.0 / 1.0), log[2], 12);
        Assert.Equal(LossWeighting.MinPositiveWeight, log[3], 12);
        var balanced = LossWeighting.PositiveWeights(sets, 4, LossWeighting.Balanced);
        Assert.Equal([4.0, 1.0 / 9, LossWeighting.MaxPositiveWeight, LossWeighting.MinPositiveWeight], balanced, new ToleranceComparer(1e-12));
    }

    [Fact]
    public void Class_weighted_cross_entropy_is_the_weighted_mean()
    {
        var schema = new LabelSchema(TaskKind.Multiclass, ["a", "b", "c"]);
        using var loss = new TrainingLoss(schema, [1.0, 2.0, 0.5]);
        var logits = tensor(new float[] { 2f, 0f, -1f, 0.5f, 0.5f, 0f, -1f, 1f, 3f }, [3, 3]);
        using var targets = loss.Targets([[0], [1], [2]], [0, 1, 2]);
        double value = loss.Compute(logits, targets).item<float>();
        double Nll(float[] row, int y) => -Math.Log(Math.Exp(row[y]) / row.Sum(v => Math.Exp(v)));
        double expected = (1.0 * Nll([2f, 0f, -1f], 0) + 2.0 * Nll([0.5f, 0.5f, 0f], 1) + 0.5 * Nll([-1f, 1f, 3f], 2)) / 3.5;
        Assert.Equal(expected, value, 5);
    }

    [Fact]
    public void Pos_weight_scales_the_positive_term_of_BCE()
    {
        var schema = new LabelSchema(TaskKind.Multilabel, ["x", "y"]);
        using var loss = new TrainingLoss(schema, [3.0, 1.0]);
        var logits = tensor(new float[] { 0.2f, -0.4f }, [1, 2]);
        using var targets = loss.Targets([[0]], [0]);
        double value = loss.Compute(logits, targets).item<float>();
        double Sig(double z) => 1 / (1 + Math.Exp(-z));
        double expected = (-3.0 * Math.Log(Sig(0.2)) - Math.Log(1 - Sig(-0.4))) / 2;
        Assert.Equal(expected, value, 5);
    }

    [Fact]
    public void Options_are_validated_with_key_paths()
    {
        var typo = Assert.Throws<InputException>(() => TrainingArguments.FromOptions(new JsonObject { ["model"] = "m", ["learning_rat"] = 1e-4 }, 1));
        Assert.Contains("transformer.learning_rat", typo.Message);
        var bad = Assert.Throws<InputException>(() => TrainingArguments.FromOptions(new JsonObject { ["model"] = "m", ["lr_scheduler_type"] = "step" }, 1));
        Assert.Contains("lr_scheduler_type", bad.Message);
        var args = TrainingArguments.FromOptions(new JsonObject
        {
            ["model"] = "m", ["metric_for_best_model"] = "eval_loss", ["eval_strategy"] = "steps", ["eval_steps"] = 10,
            ["save_steps"] = 20, ["class_weight"] = new JsonObject { ["b"] = 2.0 }, ["resume_from_checkpoint"] = true,
        }, 7);
        Assert.Equal(TrainingArguments.EvalLossKey, args.MetricForBestModel);
        Assert.False(args.GreaterIsBetter);
        Assert.Equal(7, args.Seed);
        Assert.Equal(TrainingArguments.LatestCheckpoint, args.ResumeFromCheckpoint);
        Assert.Equal(2.0, args.ClassWeight!.ByLabel!["b"]);
        Assert.Throws<InputException>(() => TrainingArguments.FromOptions(new JsonObject
        {
            ["model"] = "m", ["eval_strategy"] = "steps", ["eval_steps"] = 10, ["save_steps"] = 15,
        }, 1));
    }

    [Fact]
    public void Length_grouped_batches_are_sorted_within_megabatches_and_longest_first()
    {
        var random = new Classify.Core.Randomness.SeededRandom(3);
        var lengths = Enumerable.Range(0, 1000).Select(_ => 1 + random.NextInt(100)).ToArray();
        var sampler = new BatchSampler(lengths, 4, groupByLength: true, seed: 5);
        var batches = sampler.Batches(0);
        var flat = batches.SelectMany(b => b).ToArray();
        Assert.Equal(Enumerable.Range(0, 1000), flat.Order());
        Assert.Equal(lengths.Max(), lengths[flat[0]]);
        // Within each megabatch of 200 (after the first element) lengths never increase.
        for (int m = 0; m < 5; m++)
            for (int i = m * 200 + 2; i < (m + 1) * 200; i++)
                Assert.True(lengths[flat[i]] <= lengths[flat[i - 1]]);
        Assert.Equal(batches.Select(b => b.ToArray()), sampler.Batches(0).Select(b => b.ToArray()));
        Assert.NotEqual(batches[0], sampler.Batches(1)[0]);
    }

    [Fact]
    public void Context_truncation_keeps_the_utterance_and_drops_the_oldest_turns()
    {
        var tokenizer = AutoTokenizer.FromPretrained(TestPaths.Fixture("tiny-bert"));
        var context = new ContextOptions { Turns = 3, Separator = " | " };
        var encoder = new ContextEncoder(tokenizer, maxLength: 16, context);
        string[] turns = ["i love this day", "it was very good", "we love you"];
        // Utterance 3 tokens + [CLS] [SEP] [SEP] = 6; budget 10: "we love you" (3) and "it was very good | we love you" (8) fit, all three (13) do not.
        var segment = encoder.ContextSegment("this is great", turns);
        Assert.Equal("it was very good | we love you", segment);
        var encoding = encoder.Encode("this is great", turns);
        Assert.Equal(["[CLS]", "this", "is", "great", "[SEP]"], encoding.Tokens.Take(5));
        Assert.Equal("[SEP]", encoding.Tokens[^1]);
        Assert.Equal(0, encoding.NumTruncatedTokens);

        // A tight budget keeps only the newest turn.
        Assert.Equal("we love you", new ContextEncoder(tokenizer, 10, context).ContextSegment("this is great", turns));
        // An utterance that fills the budget alone is truncated and the context dropped.
        var longText = string.Join(' ', Enumerable.Repeat("good", 30));
        var cut = encoder.Encode(longText, turns);
        Assert.Equal(16, cut.Length);
        Assert.DoesNotContain(1, cut.SequenceIds);
        // Without context settings the turns are ignored.
        Assert.Null(new ContextEncoder(tokenizer, 16, null).ContextSegment("this is great", turns));
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double obj) => 0;
    }
}
