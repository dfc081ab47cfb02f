using Classify.Core.Prediction;

namespace Classify.Transformers.Engine;

/// <summary>
/// Model specs of the form <c>scratch:&lt;family&gt;-&lt;size&gt;</c>: a randomly initialised model, materialised once per
/// seed as an ordinary HF folder by <see cref="ScratchModels.Create"/> (which needs torch to draw the weights).
/// Registered by <see cref="TransformerEngine.Register"/>.
/// </summary>
internal sealed class ScratchModelSource : IModelSource
{
    private readonly string? _cacheRoot;

    /// <summary>Creates a source writing under <paramref name="cacheRoot"/> (default <see cref="ScratchModels.DefaultCacheRoot"/>).</summary>
    public ScratchModelSource(string? cacheRoot = null) => _cacheRoot = cacheRoot;

    /// <inheritdoc />
    public string Name => "scratch";

    /// <inheritdoc />
    public string Syntax => "a scratch model (scratch:<family>-<size>)";

    /// <inheritdoc />
    public bool Recognizes(string spec) => ScratchModels.IsScratch(spec);

    /// <summary>The folder of the scratch model drawn with <see cref="ModelSourceOptions.Seed"/>.</summary>
    /// <exception cref="Core.IO.InputException">Unknown family or size (the message lists the valid names).</exception>
    public Task<string> ResolveAsync(string spec, ModelSourceOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Task.Run(() => ScratchModels.Create(spec, _cacheRoot, options.Seed), cancellationToken);
    }
}
