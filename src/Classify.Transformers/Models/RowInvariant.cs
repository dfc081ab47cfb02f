using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Classify.Transformers.Models;

/// <summary>
/// Matrix products whose rows do not depend on how many rows are multiplied together.
/// </summary>
/// <remarks>
/// libtorch's CPU GEMM takes another code path for a product of 1–3, 5–7, 9–11 rows than for 4, 8 or 12 and more, and
/// the two round differently (≈ 4e-5 on a 768-wide layer, measured; every shape tried behaved alike). Inside the
/// encoder a product has batch × padded-length rows, a multiple of 4 for scored batches
/// (<see cref="Classify.HuggingFace.Inference.ClassifierInputs.PaddedLength"/>); the classification heads multiply one
/// row per example, so a batch of 5 would round otherwise than the same examples in a batch of 32. Padding such a
/// product to a multiple of 4 rows with zeros costs nothing measurable and keeps scores bit-identical across batch
/// sizes and Monte-Carlo groupings. Only without gradients (scoring runs under inference mode): training keeps
/// torch's exact arithmetic.
/// </remarks>
internal static class RowInvariant
{
    /// <summary><paramref name="layer"/> applied to the rows of a <c>[rows, features]</c> tensor, padded as described above.</summary>
    public static Tensor Linear(Linear layer, Tensor x)
    {
        long rows = x.shape[0];
        // Only when scoring: training batches need no invariance and keep torch's exact arithmetic (AdamW parity).
        if (x.dim() != 2 || rows >= 12 || rows % 4 == 0 || is_grad_enabled()) return layer.forward(x);
        using var padded = nn.functional.pad(x, [0, 0, 0, 4 - rows % 4]);
        using var product = layer.forward(padded);
        return product[..(int)rows].contiguous();
    }
}
