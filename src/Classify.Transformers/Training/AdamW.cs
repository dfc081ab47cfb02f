using Classify.HuggingFace.SafeTensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Classify.Transformers.Training;

/// <summary>
/// AdamW (Loshchilov and Hutter) with the update of <c>torch.optim.AdamW</c> (single-tensor path): decoupled weight
/// decay <c>p ← p·(1 − lr·λ)</c>, then the bias-corrected Adam step. Parameters are grouped as HF's Trainer does:
/// biases and the weights of normalisation layers get no decay. Written here rather than using TorchSharp's
/// optimizer so the moment estimates can be checkpointed as safetensors and resumed bit for bit.
/// </summary>
internal sealed class AdamW : IDisposable
{
    private readonly List<Slot> _slots = new();

    /// <summary>AdamW with the betas, epsilon and weight decay of <paramref name="args"/>, over <paramref name="model"/>'s parameters in HF's decay groups.</summary>
    public static AdamW For(nn.Module model, OptimizationArguments args) =>
        new(model, args.AdamBeta1, args.AdamBeta2, args.AdamEpsilon, args.WeightDecay);

    /// <summary>Creates the optimizer over every trainable parameter of <paramref name="model"/>.</summary>
    public AdamW(nn.Module model, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0.0)
    {
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        var decay = DecayParameterNames(model);
        foreach (var (name, p) in model.named_parameters())
        {
            if (!p.requires_grad) continue;
            _slots.Add(new Slot(name, p, decay.Contains(name), zeros_like(p, dtype: ScalarType.Float32), zeros_like(p, dtype: ScalarType.Float32)));
        }
    }

    /// <summary><c>adam_beta1</c>.</summary>
    public double Beta1 { get; }
    /// <summary><c>adam_beta2</c>.</summary>
    public double Beta2 { get; }
    /// <summary><c>adam_epsilon</c>.</summary>
    public double Epsilon { get; }
    /// <summary><c>weight_decay</c> of the decaying group.</summary>
    public double WeightDecay { get; }
    /// <summary>Optimizer steps taken (Adam's <c>t</c>).</summary>
    public long StepCount { get; private set; }

    /// <summary>The parameters, in model order.</summary>
    public IEnumerable<TorchSharp.Modules.Parameter> Parameters => _slots.Select(s => s.Parameter);

    /// <summary>Names of the parameters that receive weight decay.</summary>
    public IReadOnlyList<string> DecayedParameterNames => _slots.Where(s => s.Decay).Select(s => s.Name).ToList();

    /// <summary>
    /// HF Trainer's <c>get_decay_parameter_names</c>: every parameter except those of normalisation layers
    /// (LayerNorm, GroupNorm) and except biases.
    /// </summary>
    public static HashSet<string> DecayParameterNames(nn.Module model)
    {
        var normParameters = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (moduleName, module) in model.named_modules())
        {
            if (module is not (TorchSharp.Modules.LayerNorm or TorchSharp.Modules.GroupNorm)) continue;
            foreach (var (name, _) in module.named_parameters(recurse: false))
                normParameters.Add(moduleName.Length == 0 ? name : $"{moduleName}.{name}");
        }
        return model.named_parameters()
            .Select(p => p.name)
            .Where(n => !normParameters.Contains(n) && !n.Contains("bias", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Clears every gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var s in _slots)
        {
            using var grad = s.Parameter.grad;   // a new handle on the parameter's gradient
            grad?.zero_();
        }
    }

    /// <summary>One update at learning rate <paramref name="learningRate"/>; parameters without a gradient are left alone.</summary>
    public void Step(double learningRate)
    {
        StepCount++;
        double biasCorrection1 = 1 - Math.Pow(Beta1, StepCount);
        double biasCorrection2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, StepCount));
        double stepSize = learningRate / biasCorrection1;
        using var _ = no_grad();
        foreach (var s in _slots)
        {
            using var grad = s.Parameter.grad;
            if (grad is null) continue;
            if (s.Decay && WeightDecay != 0) s.Parameter.mul_(1 - learningRate * WeightDecay);
            s.ExpAvg.mul_(Beta1).add_(grad, alpha: 1 - Beta1);
            s.ExpAvgSq.mul_(Beta2).addcmul_(grad, grad, value: 1 - Beta2);
            using var denom = s.ExpAvgSq.sqrt().div_(biasCorrection2Sqrt).add_(Epsilon);   // freed per parameter
            s.Parameter.addcdiv_(s.ExpAvg, denom, value: -stepSize);
        }
    }

    /// <summary>The state as safetensors entries <c>&lt;param&gt;.exp_avg</c> and <c>&lt;param&gt;.exp_avg_sq</c>.</summary>
    public IReadOnlyList<SafeTensorsEntry> StateEntries()
    {
        var entries = new List<SafeTensorsEntry>(2 * _slots.Count);
        foreach (var s in _slots)
        {
            entries.Add(SafeTensorsEntry.FromFloat32($"{s.Name}.exp_avg", s.ExpAvg.shape, s.ExpAvg.contiguous().data<float>().ToArray()));
            entries.Add(SafeTensorsEntry.FromFloat32($"{s.Name}.exp_avg_sq", s.ExpAvgSq.shape, s.ExpAvgSq.contiguous().data<float>().ToArray()));
        }
        return entries;
    }

    /// <summary>Restores moment estimates and the step count written by <see cref="StateEntries"/>.</summary>
    public void LoadState(ISafeTensorsReader state, long stepCount)
    {
        using var _ = no_grad();
        foreach (var s in _slots)
        {
            using var avg = tensor(state.ReadFloat32($"{s.Name}.exp_avg"), s.ExpAvg.shape);
            using var avgSq = tensor(state.ReadFloat32($"{s.Name}.exp_avg_sq"), s.ExpAvgSq.shape);
            s.ExpAvg.copy_(avg);
            s.ExpAvgSq.copy_(avgSq);
        }
        StepCount = stepCount;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var s in _slots)
        {
            s.ExpAvg.Dispose();
            s.ExpAvgSq.Dispose();
        }
        _slots.Clear();
    }

    private sealed record Slot(string Name, TorchSharp.Modules.Parameter Parameter, bool Decay, Tensor ExpAvg, Tensor ExpAvgSq);
}
