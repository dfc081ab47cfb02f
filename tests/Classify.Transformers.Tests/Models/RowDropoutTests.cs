using Classify.Core.Randomness;
using Classify.Transformers.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Classify.Transformers.Tests.Models;

/// <summary>The per-row mask rule of Monte-Carlo dropout, checked on the masks themselves.</summary>
public class RowDropoutTests
{
    private static RowDropout Plan(int sequenceLength, params (ulong Seed, int Length)[] rows) =>
        new(rows.Select(r => new SeededRandom(r.Seed)).ToArray(), rows.Select(r => r.Length).ToArray(), sequenceLength);

    private static float[] Masked(RowDropout plan, Dropout dropout, long[] shape)
    {
        using var ones = TorchSharp.torch.ones(shape);
        using (plan.Activate())
        {
            using var masked = RowDropout.Apply(dropout, ones);
            return masked.data<float>().ToArray();
        }
    }

    [Fact]
    public void A_rows_mask_depends_on_its_generator_and_real_length_only_and_padding_is_zero()
    {
        Classify.Transformers.Native.TorchRuntime.EnsureInitialized();
        using var dropout = nn.Dropout(0.25);
        const int width = 1000;
        // Row (seed 1, 3 real tokens) beside a longer row, padded to 5, and alone, unpadded.
        var batched = Masked(Plan(5, (1, 3), (2, 5)), dropout, [2, 5, width]);
        var alone = Masked(Plan(3, (1, 3)), dropout, [1, 3, width]);
        Assert.Equal(alone, batched[..(3 * width)]);
        Assert.All(batched[(3 * width)..(5 * width)], v => Assert.Equal(0f, v));
        // Values are 0 or 1/(1−p); about 1−p of them are kept.
        var real = batched[..(3 * width)].Concat(batched[(5 * width)..]).ToArray();
        Assert.All(real, v => Assert.True(v == 0f || Math.Abs(v - 1 / 0.75f) < 1e-6f, $"{v}"));
        var kept = real.Count(v => v != 0f) / (double)real.Length;
        Assert.InRange(kept, 0.73, 0.77);
    }

    [Fact]
    public void Attention_masks_cover_real_queries_and_keys_only()
    {
        Classify.Transformers.Native.TorchRuntime.EnsureInitialized();
        using var dropout = nn.Dropout(0.5);
        const int heads = 2;
        var batched = Masked(Plan(4, (7, 2), (8, 4)), dropout, [2, heads, 4, 4]);
        var alone = Masked(Plan(2, (7, 2)), dropout, [1, heads, 2, 2]);
        for (int h = 0; h < heads; h++)
            for (int q = 0; q < 4; q++)
                for (int k = 0; k < 4; k++)
                {
                    var value = batched[(h * 4 + q) * 4 + k];
                    if (q < 2 && k < 2) Assert.Equal(alone[(h * 2 + q) * 2 + k], value);
                    else Assert.Equal(0f, value);
                }
    }

    [Fact]
    public void Outside_a_pass_a_site_is_torchs_dropout_and_a_zero_probability_draws_nothing()
    {
        Classify.Transformers.Native.TorchRuntime.EnsureInitialized();
        using var dropout = nn.Dropout(0.5);
        dropout.eval();
        using var ones = TorchSharp.torch.ones(3, 4);
        using var eval = RowDropout.Apply(dropout, ones);
        Assert.All(eval.data<float>().ToArray(), v => Assert.Equal(1f, v));
        // p = 0: the row's generator is not advanced, so the next site's mask is as if the first did not exist.
        using var none = nn.Dropout(0.0);
        using var half = nn.Dropout(0.5);
        var plan = Plan(1, (3, 1));
        float[] afterNone;
        using (plan.Activate())
        {
            using var skipped = RowDropout.Apply(none, ones[..1]);
            using var second = RowDropout.Apply(half, ones[..1]);
            afterNone = second.data<float>().ToArray();
        }
        Assert.Equal(Masked(Plan(1, (3, 1)), half, [1, 4]), afterNone);
    }
}
