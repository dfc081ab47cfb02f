using Classify.Core.IO;
using Classify.HuggingFace.Hub;

namespace Classify.Transformers.Engine;

/// <summary>
/// Turns the <c>model</c> a user names into a local Hugging Face folder: an existing folder as is,
/// <c>scratch:&lt;family&gt;-&lt;size&gt;</c> through <see cref="ScratchModels"/>, and a Hub id <c>org/name[@revision]</c>
/// through <see cref="HubClient.SnapshotDownloadAsync"/> into the shared huggingface_hub cache (reused offline).
/// </summary>
public sealed class HubModelResolver : IDisposable
{
    private readonly HubClient _client;
    private readonly string? _scratchCacheRoot;

    /// <summary>
    /// Creates a resolver. <paramref name="hubOptions"/> defaults to <see cref="HubOptions.FromEnvironment"/>
    /// (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HUB_CACHE …); <paramref name="scratchCacheRoot"/> to
    /// <see cref="ScratchModels.DefaultCacheRoot"/>; <paramref name="handler"/> replaces the HTTP stack.
    /// </summary>
    public HubModelResolver(HubOptions? hubOptions = null, string? scratchCacheRoot = null, HttpMessageHandler? handler = null)
    {
        _client = new HubClient(hubOptions ?? HubOptions.FromEnvironment(), handler);
        _scratchCacheRoot = scratchCacheRoot;
    }

    /// <summary>The Hub client in use.</summary>
    public HubClient Client => _client;

    /// <summary>
    /// The local folder for <paramref name="model"/>. A path that exists wins over a Hub id of the same spelling.
    /// <paramref name="seed"/> picks the weights of a scratch model. <paramref name="progress"/> reports downloaded bytes per file.
    /// </summary>
    /// <exception cref="InputException">Neither an existing folder, a scratch spec nor a valid Hub id.</exception>
    /// <exception cref="HubException">The download failed (not found, unauthorised, offline without a cached copy …).</exception>
    public async Task<string> ResolveAsync(string model, int seed = 42, IProgress<HubDownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        if (Directory.Exists(model)) return Path.GetFullPath(model);
        if (ScratchModels.IsScratch(model)) return await Task.Run(() => ScratchModels.Create(model, _scratchCacheRoot, seed), cancellationToken).ConfigureAwait(false);
        if (!HubRepoId.LooksLikeRepoId(model))
            throw new InputException(
                $"'{model}' is neither an existing folder, a scratch model (scratch:<family>-<size>) nor a Hub id (org/name[@revision])",
                field: "model");
        return await _client.SnapshotDownloadAsync(model, revision: null, files: null, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One-shot form of <see cref="ResolveAsync"/> with the environment's Hub settings.</summary>
    public static async Task<string> ResolveModelAsync(string model, int seed = 42, IProgress<HubDownloadProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        using var resolver = new HubModelResolver();
        return await resolver.ResolveAsync(model, seed, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();
}
