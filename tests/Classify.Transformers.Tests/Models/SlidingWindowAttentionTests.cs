using Classify.HuggingFace.Configuration;
using Classify.Transformers.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Classify.Transformers.Tests.Models;

/// <summary>ModernBERT's block-by-block local attention against the full sliding-window mask it replaces.</summary>
public class SlidingWindowAttentionTests
{
    public SlidingWindowAttentionTests() => Classify.Transformers.Native.TorchRuntime.EnsureInitialized();

    // The full mask HF builds: padding keys and keys farther than half masked.
    private static Tensor FullBias(Tensor attentionMask, int half)
    {
        long seq = attentionMask.shape[1];
        var padding = (1.0 - attentionMask.to_type(ScalarType.Float32).unsqueeze(1).unsqueeze(2)) * finfo(ScalarType.Float32).min;
        var positions = arange(seq, dtype: ScalarType.Int64);
        var outside = (positions.unsqueeze(0) - positions.unsqueeze(1)).abs().gt(half);
        return padding.expand(-1, -1, seq, -1).masked_fill(outside, finfo(ScalarType.Float32).min);
    }

    [Theory]
    [InlineData(16, 300)]   // not a multiple of the block
    [InlineData(16, 256)]   // a multiple, and the shortest blocked length
    [InlineData(32, 533)]
    public void Blocked_attention_equals_the_full_mask_at_real_positions(int half, int seq)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(7);
        var q = randn([2, 3, seq, 8], generator: g);
        var k = randn([2, 3, seq, 8], generator: g);
        var v = randn([2, 3, seq, 8], generator: g);
        var mask = ones([2, seq], dtype: ScalarType.Int64);
        int real = seq - 23;
        mask[1, TensorIndex.Slice(real)] = 0;   // the second row is padded

        var window = SlidingWindowAttention.For(mask, half, ScalarType.Float32);
        Assert.NotNull(window);
        var blocked = window!.Attention(q, k, v);
        var full = nn.functional.scaled_dot_product_attention(q, k, v, FullBias(mask, half));
        Assert.Equal(full.shape, blocked.shape);
        var difference = (blocked - full).abs();
        Assert.True(difference[0].max().item<float>() < 1e-5f, $"row 0 differs by {difference[0].max().item<float>()}");
        Assert.True(difference[1, TensorIndex.Colon, TensorIndex.Slice(0, real)].max().item<float>() < 1e-5f, "row 1 differs at a real position");

        // A row's result does not depend on its batch (the predictor's row invariance): row 0 alone, bit for bit.
        var alone = SlidingWindowAttention.For(mask[TensorIndex.Slice(0, 1)], half, ScalarType.Float32)!
            .Attention(q[TensorIndex.Slice(0, 1)], k[TensorIndex.Slice(0, 1)], v[TensorIndex.Slice(0, 1)]);
        Assert.Equal(blocked[0].data<float>().ToArray(), alone[0].data<float>().ToArray());
    }

    [Fact]
    public void Short_sequences_and_small_windows_keep_the_full_mask()
    {
        using var shorter = ones([1, 16 * 32 - 1], dtype: ScalarType.Int64);
        using var enough = ones([1, 16 * 32], dtype: ScalarType.Int64);
        Assert.Null(SlidingWindowAttention.For(shorter, 32, ScalarType.Float32));
        Assert.NotNull(SlidingWindowAttention.For(enough, 32, ScalarType.Float32));
        Assert.Null(SlidingWindowAttention.For(enough, 8, ScalarType.Float32));
    }

    [Fact]
    public void ModernBert_logits_hidden_states_and_gradients_match_the_full_mask()
    {
        var config = (ModernBertConfig)ScratchConfigs.Create("modernbert-tiny");
        config.LocalAttention = 32;   // half 16: blocked from 256 tokens on
        int seq = 300, real = 261;
        using var ids = randint(5, 1000, [2, seq], generator: new Generator(3), dtype: ScalarType.Int64);
        using var mask = ones([2, seq], dtype: ScalarType.Int64);
        mask[1, TensorIndex.Slice(real)] = 0;

        (float[] Logits, Tensor[] Hidden, Dictionary<string, float[]> Gradients) Run(bool banded)
        {
            ModernBertModel.BandedLocalAttention = banded;
            try
            {
                using var g = new Generator(11);
                using var model = AutoModelForSequenceClassification.FromConfig(config, ScalarType.Float32, g);
                model.train();   // ModernBERT's dropouts are all 0: training mode is deterministic
                using var output = model.Forward(ids, mask, outputHiddenStates: true);
                output.Logits.sum().backward();
                var hidden = output.HiddenStates!.Select(h => h.detach().clone()).ToArray();
                var grads = model.named_parameters().Where(p => p.parameter.grad is not null)
                    .ToDictionary(p => p.name, p => p.parameter.grad!.data<float>().ToArray());
                return (output.Logits.detach().data<float>().ToArray(), hidden, grads);
            }
            finally
            {
                ModernBertModel.BandedLocalAttention = true;
            }
        }

        var full = Run(banded: false);
        var blocked = Run(banded: true);
        for (int i = 0; i < full.Logits.Length; i++) Assert.Equal(full.Logits[i], blocked.Logits[i], 4);
        for (int layer = 0; layer < full.Hidden.Length; layer++)
        {
            var d = (full.Hidden[layer] - blocked.Hidden[layer]).abs();
            Assert.True(d[0].max().item<float>() < 1e-4f, $"hidden state {layer}, row 0");
            Assert.True(d[1, TensorIndex.Slice(0, real)].max().item<float>() < 1e-4f, $"hidden state {layer}, row 1");
        }
        Assert.Equal(full.Gradients.Keys.Order(), blocked.Gradients.Keys.Order());
        foreach (var (name, expected) in full.Gradients)
        {
            var actual = blocked.Gradients[name];
            double scale = Math.Max(1e-3, expected.Max(Math.Abs));
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * scale, $"{name}[{i}]: {expected[i]} vs {actual[i]}");
        }
    }
}
