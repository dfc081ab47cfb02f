using System.Runtime.InteropServices;
using Classify.Core.Randomness;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Classify.Transformers.Models;

/// <summary>
/// Dropout masks for a Monte-Carlo-dropout forward pass, drawn per row so that a row's masks depend only on its own
/// generator (seeded from the pass seed and the row's tokens by the caller) and its real length, never on the other
/// rows of the batch or on how far the batch is padded.
/// </summary>
/// <remarks>
/// <para>Every dropout site of the model calls <see cref="Apply"/> (hidden states, pooled states) or
/// <see cref="Attention"/> (attention probabilities) in its forward. Outside a Monte-Carlo pass they are exactly
/// <c>nn.Dropout.forward</c> and <c>scaled_dot_product_attention(…, dropout_p: training ? p : 0)</c>, so training
/// (torch's dropout and generator) and evaluation are untouched. During a pass (<see cref="Activate"/>) the model is
/// in eval mode and each site draws, for each row, a keep/drop mask over the row's real positions only from the row's
/// generator; sites are visited in the same order for every row, and a site with probability 0 draws nothing, so
/// the draws of a row are the same whichever batch it is in. Padding positions get 0 (their values are masked out of
/// attention and pooling anyway).</para>
/// <para>The plan is ambient (one per thread, set for the duration of one forward) rather than a forward argument, so
/// the modules keep the signatures of their Hugging Face counterparts.</para>
/// </remarks>
internal sealed class RowDropout
{
    [ThreadStatic] private static RowDropout? t_active;

    private readonly SeededRandom[] _rows;
    private readonly int[] _lengths;
    private readonly int _sequenceLength;

    /// <summary>Creates the plan of a batch: one generator and one real length per row, padded to <paramref name="sequenceLength"/>.</summary>
    public RowDropout(SeededRandom[] rows, int[] lengths, int sequenceLength)
    {
        if (rows.Length != lengths.Length) throw new ArgumentException("one generator per row is needed", nameof(rows));
        _rows = rows;
        _lengths = lengths;
        _sequenceLength = sequenceLength;
    }

    /// <summary>Makes this plan the one the dropout sites use on this thread until the result is disposed.</summary>
    public IDisposable Activate()
    {
        if (t_active is not null) throw new InvalidOperationException("a Monte-Carlo dropout pass is already running on this thread");
        t_active = this;
        return new Deactivation();
    }

    private sealed class Deactivation : IDisposable
    {
        public void Dispose() => t_active = null;
    }

    /// <summary>A dropout site on hidden states <c>[batch, seq, hidden]</c> or pooled states <c>[batch, hidden]</c>.</summary>
    public static Tensor Apply(Dropout dropout, Tensor x) =>
        t_active is { } plan && dropout.p > 0 ? plan.Mask(x, dropout.p) : dropout.forward(x);

    /// <summary>
    /// <c>softmax(QKᵀ/√d + bias)·V</c> with dropout <paramref name="p"/> on the attention probabilities: libtorch's fused
    /// attention (dropout only in training, from torch's generator), or during a Monte-Carlo pass with
    /// <paramref name="p"/> &gt; 0 the same product written out so that the per-row masks can be applied to the probabilities.
    /// </summary>
    public static Tensor Attention(Tensor query, Tensor key, Tensor value, Tensor bias, double p, bool training)
    {
        if (t_active is not { } plan || p == 0)
            return nn.functional.scaled_dot_product_attention(query, key, value, bias, training ? p : 0.0);
        // Contiguous operands: for a batch of one row, libtorch multiplies the transposed head views by another kernel
        // that rounds differently, and a row's scores would then depend on its batch (see RowInvariant).
        using var q = query.contiguous();
        using var kT = key.transpose(-2, -1).contiguous();
        var scores = matmul(q, kT).mul_(1.0 / Math.Sqrt(query.shape[^1])).add_(bias);
        return matmul(plan.Mask(scores.softmax(-1), p), value);
    }

    // x times a mask of 0 and 1/(1−p), drawn row by row over the real positions.
    private Tensor Mask(Tensor x, double p)
    {
        if (x.shape[0] != _rows.Length) throw new InvalidOperationException($"a dropout site saw {x.shape[0]} rows; the plan has {_rows.Length}");
        if (p >= 1) return zeros_like(x);
        var shape = x.shape;
        if (x.numel() > int.MaxValue / sizeof(float))
            throw new InvalidOperationException($"a dropout mask of {x.numel():N0} values is too large; use fewer rows per forward pass");
        // Drawn straight into the tensor's memory, each element written once (padding gets 0): a managed buffer per
        // site would be a large-object allocation per layer, and the collections it triggers let finalizers free
        // TorchSharp's implicit Scalars while libtorch still reads them (a crash seen under that load).
        using var maskTensor = empty(shape, ScalarType.Float32);
        var mask = MemoryMarshal.Cast<byte, float>(maskTensor.bytes);
        // Keep when 32 uniform bits are at least p·2³²: P(keep) = 1 − p to within 2⁻³².
        uint threshold = (uint)Math.Min(uint.MaxValue, Math.Round(p * 4294967296.0));
        float keep = (float)(1.0 / (1.0 - p));
        switch (x.dim())
        {
            case 2:   // [batch, hidden]: the pooled state
            {
                int width = (int)shape[1];
                for (int b = 0; b < _rows.Length; b++) Fill(mask.Slice(b * width, width), _rows[b], threshold, keep);
                break;
            }
            case 3:   // [batch, seq, hidden]: real positions only
            {
                CheckSequence(shape[1]);
                int width = (int)shape[2], rowSize = _sequenceLength * width;
                for (int b = 0; b < _rows.Length; b++)
                {
                    var row = mask.Slice(b * rowSize, rowSize);
                    Fill(row[..(_lengths[b] * width)], _rows[b], threshold, keep);
                    row[(_lengths[b] * width)..].Clear();
                }
                break;
            }
            case 4:   // [batch, heads, query, key]: real queries × real keys of each head
            {
                CheckSequence(shape[2]);
                CheckSequence(shape[3]);
                int heads = (int)shape[1], s = _sequenceLength;
                for (int b = 0; b < _rows.Length; b++)
                {
                    int length = _lengths[b];
                    for (int h = 0; h < heads; h++)
                    {
                        var head = mask.Slice((b * heads + h) * s * s, s * s);
                        for (int q = 0; q < length; q++)
                        {
                            Fill(head.Slice(q * s, length), _rows[b], threshold, keep);
                            head.Slice(q * s + length, s - length).Clear();
                        }
                        head[(length * s)..].Clear();
                    }
                }
                break;
            }
            default:
                throw new InvalidOperationException($"no per-row dropout rule for a tensor of rank {x.dim()}");
        }
        return x.dtype == ScalarType.Float32 ? x.mul(maskTensor) : x.mul(maskTensor.to_type(x.dtype));
    }

    private void CheckSequence(long length)
    {
        if (length != _sequenceLength)
            throw new InvalidOperationException($"a dropout site saw {length} positions; the batch has {_sequenceLength}");
    }

    // Two draws per 64 random bits; a span of n values always consumes ⌈n/2⌉ words, whatever surrounds it.
    private static void Fill(Span<float> mask, SeededRandom random, uint threshold, float keep)
    {
        int i = 0;
        for (; i + 1 < mask.Length; i += 2)
        {
            ulong bits = random.NextUInt64();
            mask[i] = (uint)bits >= threshold ? keep : 0f;
            mask[i + 1] = (uint)(bits >> 32) >= threshold ? keep : 0f;
        }
        if (i < mask.Length) mask[i] = (uint)random.NextUInt64() >= threshold ? keep : 0f;
    }
}
