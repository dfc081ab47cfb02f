using Classify.Core.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Classify.Transformers.Models;

/// <summary>The activation functions named in HF configs (<c>hidden_act</c>, <c>hidden_activation</c>, …), as in transformers' <c>ACT2FN</c>.</summary>
internal static class Activations
{
    /// <summary>Names this port understands.</summary>
    public static IReadOnlyList<string> Names { get; } = ["gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu", "silu", "swish", "tanh"];

    /// <summary>
    /// The activation called <paramref name="name"/>. <c>gelu</c> is the exact erf form; <c>gelu_new</c>,
    /// <c>gelu_pytorch_tanh</c> and <c>gelu_fast</c> the tanh approximation.
    /// </summary>
    /// <param name="name">The config value.</param>
    /// <param name="configKey">The config key it came from, named in the error for an unknown value.</param>
    public static Func<Tensor, Tensor> Get(string name, string configKey = "hidden_act") => name switch
    {
        "gelu" => x => nn.functional.gelu(x),
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => x => nn.functional.gelu(x, GELU.Approximate.tanh),
        "relu" => x => nn.functional.relu(x),
        "silu" or "swish" => x => nn.functional.silu(x),
        "tanh" => x => x.tanh(),
        _ => throw new InputException($"activation '{name}' is not supported; expected one of {string.Join(", ", Names)}", field: configKey),
    };
}
