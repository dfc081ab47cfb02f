using Classify.Core.Prediction;
using Classify.Core.Training;

namespace Classify.HuggingFace.Hub;

/// <summary>
/// Model specs of the form <c>org/name[@revision]</c>: the snapshot a classifier needs (<c>config.json</c>, the
/// safetensors weights, the tokenizer files) downloaded through <see cref="HubClient.SnapshotDownloadAsync"/> into
/// the shared huggingface_hub cache, and reused from it (also offline). Local paths never get here:
/// <see cref="ModelSources"/> handles them first.
/// </summary>
public sealed class HubModelSource : IModelSource
{
    private readonly HubOptions? _options;
    private readonly HttpMessageHandler? _handler;

    /// <summary>
    /// Creates a source. <paramref name="options"/> defaults to <see cref="HubOptions.FromEnvironment"/> (HF_ENDPOINT,
    /// HF_TOKEN, HF_HUB_OFFLINE, HF_HOME / HF_HUB_CACHE), read at each resolution; <paramref name="handler"/> replaces
    /// the HTTP stack.
    /// </summary>
    public HubModelSource(HubOptions? options = null, HttpMessageHandler? handler = null)
    {
        _options = options;
        _handler = handler;
    }

    /// <summary>Registers a source with the environment's Hub settings in <see cref="ModelSources"/> (idempotent).</summary>
    public static void Register() => ModelSources.Register(new HubModelSource());

    /// <inheritdoc />
    public string Name => "hub";

    /// <inheritdoc />
    public string Syntax => "a Hugging Face hub id (org/name[@revision])";

    /// <inheritdoc />
    public bool Recognizes(string spec) => HubRepoId.LooksLikeRepoId(spec);

    /// <summary>
    /// The snapshot folder of <paramref name="spec"/>. Progress goes to <see cref="ModelSourceOptions.Progress"/> as one
    /// <see cref="ProgressUpdate"/> stream per file: the stage is <c>download org/name/file</c>, the units bytes
    /// (total 0 when the hub did not announce a size).
    /// </summary>
    /// <exception cref="Core.IO.InputException">A malformed id or revision.</exception>
    /// <exception cref="HubException">The download failed (not found, unauthorised, offline without a cached copy …).</exception>
    public async Task<string> ResolveAsync(string spec, ModelSourceOptions options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        ArgumentNullException.ThrowIfNull(options);
        using var client = new HubClient(_options ?? HubOptions.FromEnvironment(), _handler);
        var progress = options.Progress is { } sink ? new BytesProgress(sink) : null;
        return await client.SnapshotDownloadAsync(spec, revision: null, files: null, progress, cancellationToken).ConfigureAwait(false);
    }

    private sealed class BytesProgress(IProgress<ProgressUpdate> sink) : IProgress<HubDownloadProgress>
    {
        public void Report(HubDownloadProgress value) =>
            sink.Report(new ProgressUpdate($"download {value.RepoId}/{value.FileName}", value.BytesDownloaded, value.TotalBytes ?? 0));
    }
}
