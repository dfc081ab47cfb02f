using static TorchSharp.torch;

namespace Classify.Transformers.Models;

/// <summary>
/// ModernBERT's local attention (query <c>i</c> sees key <c>j</c> when <c>|i − j| ≤ half</c> and <c>j</c> is not
/// padding) computed block by block: the sequence is cut into blocks of <c>half</c> queries, and each block attends
/// only to the <c>3·half</c> keys around it, through the same <c>scaled_dot_product_attention</c> with an additive
/// mask. Every key the full <c>[batch, 1, seq, seq]</c> mask lets through is in the block's span, and every key of
/// the span it masks is masked here too, so the softmax runs over the same keys and the result is the full
/// computation's to float rounding — at every real position; padding query positions (whose output nothing reads)
/// may differ. Scores and mask are <c>seq × 3·half</c> instead of <c>seq × seq</c>: at 3,000 tokens and ModernBERT's
/// window of 128, 192 keys per query instead of 3,000.
/// </summary>
internal sealed class SlidingWindowAttention
{
    private readonly long _seq;
    private readonly long _blocks;
    private readonly int _half;
    private readonly Tensor _bias;

    private SlidingWindowAttention(long seq, long blocks, int half, Tensor bias)
    {
        _seq = seq;
        _blocks = blocks;
        _half = half;
        _bias = bias;
    }

    /// <summary>Keys per query block: the block and <c>half</c> on either side.</summary>
    private long Span => 3L * _half;

    /// <summary>
    /// Sequences shorter than this many half-windows keep the full mask. Measured on CPU at ModernBERT-base's head
    /// shapes (<c>window-attention</c> benchmark, docs/benchmarks.md): the blocked form's copies and small products
    /// cost more than they save below 16 half-windows (1,024 tokens at the window of 128), and 5× less at 3,000.
    /// </summary>
    public const int MinimumHalfWindows = 16;

    /// <summary>
    /// The blocked form for <paramref name="attentionMask"/> <c>[batch, seq]</c>, or null when it would not pay
    /// (fewer than <see cref="MinimumHalfWindows"/> half-windows, or a window under 16 tokens) and the full mask should be used.
    /// </summary>
    public static SlidingWindowAttention? For(Tensor attentionMask, int half, ScalarType dtype)
    {
        long batch = attentionMask.shape[0], seq = attentionMask.shape[1];
        if (half < 16 || seq < (long)MinimumHalfWindows * half) return null;
        long blocks = (seq + half - 1) / half;
        long span = 3L * half;
        // Key slot t of block b is position b·half + t − half; query r of the block is b·half + r; allowed when
        // |query − key| ≤ half, i.e. 0 ≤ t − r ≤ 2·half, and the key is a real token (out-of-range slots are padding).
        var keys = nn.functional.pad(attentionMask.to_type(ScalarType.Bool), [half, blocks * half - seq + half], value: 0)
            .unfold(1, span, half);                                                          // [batch, blocks, span]
        var r = arange(half, dtype: ScalarType.Int64, device: attentionMask.device).unsqueeze(1);
        var t = arange(span, dtype: ScalarType.Int64, device: attentionMask.device).unsqueeze(0);
        var offset = t - r;
        var band = offset.ge(0).logical_and(offset.le(2 * half));                           // [half, span]
        var allowed = band.unsqueeze(0).unsqueeze(0).logical_and(keys.unsqueeze(2));         // [batch, blocks, half, span]
        var bias = zeros(allowed.shape, dtype, device: attentionMask.device)
            .masked_fill(allowed.logical_not(), finfo(dtype).min)
            .reshape(batch * blocks, 1, half, span);
        return new SlidingWindowAttention(seq, blocks, half, bias);
    }

    /// <summary>Local attention of <c>[batch, heads, seq, head_dim]</c> query, key and value (no dropout).</summary>
    public Tensor Attention(Tensor query, Tensor key, Tensor value)
    {
        long batch = query.shape[0], heads = query.shape[1], dim = query.shape[3];
        long padded = _blocks * _half;
        // Queries: [batch, heads, blocks·half, dim] → [batch·blocks, heads, half, dim].
        var q = nn.functional.pad(query, [0, 0, 0, padded - _seq])
            .view(batch, heads, _blocks, _half, dim).permute(0, 2, 1, 3, 4).reshape(batch * _blocks, heads, _half, dim);
        // Keys and values: half a window of zeros on either side, then overlapping spans of 3·half every half.
        Tensor Spans(Tensor x) => nn.functional.pad(x, [0, 0, _half, padded - _seq + _half])
            .unfold(2, Span, _half)                                                      // [batch, heads, blocks, dim, span]
            .permute(0, 2, 1, 4, 3).reshape(batch * _blocks, heads, Span, dim);
        var context = nn.functional.scaled_dot_product_attention(q, Spans(key), Spans(value), _bias);
        return context.view(batch, _blocks, heads, _half, dim).permute(0, 2, 1, 3, 4)
            .reshape(batch, heads, padded, dim).narrow(2, 0, _seq);
    }
}
