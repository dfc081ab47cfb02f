using Classify.Transformers.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Classify.Transformers.Training;

/// <summary>
/// Whether this CPU runs bfloat16 arithmetic natively, for <c>bf16: true</c>. libtorch computes bfloat16 matrix
/// products through oneDNN, which uses the AVX-512 BF16 (<c>avx512_bf16</c>) or AMX (<c>amx_bf16</c>) instructions;
/// without them it emulates bfloat16 by converting to float32 and back, which is typically slower than float32 itself,
/// so Classify refuses <c>bf16</c> there rather than make training slower. Read from <c>/proc/cpuinfo</c>, so only
/// Linux is recognised.
/// </summary>
public static class Bf16Support
{
    /// <summary>
    /// The CPU flags source: <c>/proc/cpuinfo</c>'s text, or null where there is none (not Linux). Replaced by tests to
    /// simulate other hosts; restore it afterwards.
    /// </summary>
    internal static Func<string?> CpuInfo { get; set; } = ReadProcCpuInfo;

    /// <summary>The CPU flags that make bfloat16 pay, in the spelling of <c>/proc/cpuinfo</c>.</summary>
    public static IReadOnlyList<string> Flags { get; } = ["avx512_bf16", "amx_bf16"];

    /// <summary>True when the CPU reports <c>avx512_bf16</c> or <c>amx_bf16</c>.</summary>
    public static bool IsSupported => Unsupported() is null;

    /// <summary>Why bfloat16 is not available here (one line), or null when it is.</summary>
    public static string? Unsupported()
    {
        var info = CpuInfo();
        if (info is null)
            return "bf16 needs a CPU with AVX-512 BF16 or AMX, and Classify reads that from /proc/cpuinfo, which this system does not have (Linux only); set bf16: false";
        foreach (var line in info.Split('\n'))
        {
            if (!line.StartsWith("flags", StringComparison.Ordinal)) continue;
            var flags = line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (flags.Any(f => Flags.Contains(f, StringComparer.Ordinal))) return null;
            break;
        }
        return "bf16 needs a CPU with AVX-512 BF16 or AMX (flag avx512_bf16 or amx_bf16 in /proc/cpuinfo), which this one lacks: " +
               "there libtorch emulates bfloat16 and is slower than float32; set bf16: false";
    }

    private static string? ReadProcCpuInfo()
    {
        const string path = "/proc/cpuinfo";
        try
        {
            return OperatingSystem.IsLinux() && File.Exists(path) ? File.ReadAllText(path) : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>
/// Mixed-precision training by hand (TorchSharp has no autocast): the model the optimizer owns stays float32 — the
/// master weights, which AdamW updates with float32 moments and which checkpoints and saved models hold — and a
/// bfloat16 copy of it runs the forward and backward passes. Per optimizer step: <see cref="ZeroGrad"/> on the copy,
/// forward and backward through <see cref="Working"/>, <see cref="GradientsToMaster"/> (bfloat16 gradients widened
/// into the master's float32 <c>.grad</c>, where clipping and AdamW see them as usual), the optimizer step, then
/// <see cref="SyncWeights"/> (the updated master rounded into the copy).
/// </summary>
/// <remarks>
/// <para>The copy is a second module of the same class rather than casts inside every layer: the model code stays
/// dtype-agnostic, every family gets it, and the master model is untouched by the forward pass (evaluation,
/// best-model snapshots, checkpoints and the final model read float32 weights as without bf16). It costs half the
/// model's size in memory and two conversions of every parameter per step, small beside the products they speed up.</para>
/// <para>Reductions stay accurate: libtorch's bfloat16 LayerNorm, softmax and attention kernels accumulate in float32,
/// and the losses (<see cref="TrainingLoss"/>, <see cref="MaskedLMModel.Loss"/>) widen the logits to float32 first.</para>
/// <para>Resuming stays exact: the copy is a pure function of the master weights, which checkpoints hold bit for bit.</para>
/// </remarks>
internal sealed class Bf16WorkingCopy : IDisposable
{
    private readonly (TorchSharp.Modules.Parameter Master, TorchSharp.Modules.Parameter Work)[] _pairs;

    /// <summary>
    /// Pairs <paramref name="master"/> (float32) with <paramref name="working"/>, a fresh module of the same class and
    /// config, which is cast to bfloat16 and owned (disposed) from here on. Weights are copied by <see cref="SyncWeights"/>.
    /// </summary>
    public Bf16WorkingCopy(PreTrainedModel master, PreTrainedModel working)
    {
        ArgumentNullException.ThrowIfNull(master);
        ArgumentNullException.ThrowIfNull(working);
        if (master.GetType() != working.GetType())
            throw new ArgumentException($"the working copy is a {working.GetType().Name}, the master a {master.GetType().Name}", nameof(working));
        working.to(ScalarType.BFloat16);
        Working = working;
        var masters = master.named_parameters().ToList();
        var works = working.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        if (masters.Count != works.Count) throw new ArgumentException("the working copy's parameters differ from the master's", nameof(working));
        _pairs = masters.Select(p => (p.parameter, works.TryGetValue(p.name, out var w) ? w
            : throw new ArgumentException($"the working copy has no parameter '{p.name}'", nameof(working)))).ToArray();
        // Frozen master parameters stay frozen in the copy: no gradient is computed for them.
        foreach (var (m, w) in _pairs) w.requires_grad = m.requires_grad;
        SyncWeights();
    }

    /// <summary>The bfloat16 module that runs forward and backward.</summary>
    public PreTrainedModel Working { get; }

    /// <summary>Copies the master weights into the working copy, rounded to nearest even (torch's float → bfloat16 cast).</summary>
    public void SyncWeights()
    {
        using var _ = no_grad();
        foreach (var (m, w) in _pairs) w.copy_(m);
    }

    /// <summary>Clears the working copy's gradients before a step's backward passes (they accumulate over micro-batches).</summary>
    public void ZeroGrad()
    {
        foreach (var (_, w) in _pairs)
        {
            using var grad = w.grad;
            grad?.zero_();
        }
    }

    /// <summary>
    /// Widens the working copy's gradients into the master parameters' float32 <c>.grad</c> (allocated on first use and
    /// overwritten afterwards, so the master's gradients need no zeroing). A parameter the passes did not reach keeps
    /// no gradient, as in a float32 run.
    /// </summary>
    public void GradientsToMaster()
    {
        using var _ = no_grad();
        foreach (var (m, w) in _pairs)
        {
            using var grad = w.grad;
            if (grad is null) continue;
            using var target = m.grad;
            if (target is not null)
            {
                target.copy_(grad);
                continue;
            }
            using var widened = grad.to_type(ScalarType.Float32);
            m.grad = widened;
        }
    }

    /// <inheritdoc />
    public void Dispose() => Working.Dispose();
}
