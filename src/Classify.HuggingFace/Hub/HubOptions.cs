namespace Classify.HuggingFace.Hub;

/// <summary>
/// Where the Hub is and where its files are cached. <see cref="FromEnvironment"/> reads the variables
/// huggingface_hub reads, so both tools share one cache.
/// </summary>
public sealed record HubOptions
{
    /// <summary>The public Hub.</summary>
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>Base URL of the Hub (<c>HF_ENDPOINT</c>), without a trailing slash.</summary>
    public string Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>The cache root holding <c>models--org--name</c> folders (<c>HF_HUB_CACHE</c>).</summary>
    public required string CacheDirectory { get; init; }

    /// <summary>Access token sent as <c>Authorization: Bearer</c> (<c>HF_TOKEN</c>); null for anonymous access.</summary>
    public string? Token { get; init; }

    /// <summary>Use only the cache, never the network (<c>HF_HUB_OFFLINE=1</c>).</summary>
    public bool Offline { get; init; }

    /// <summary>Timeout of the metadata (HEAD) request; huggingface_hub uses 10 s.</summary>
    public TimeSpan MetadataTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How many times a broken transfer is resumed within one call before giving up.</summary>
    public int MaxDownloadAttempts { get; init; } = 5;

    /// <summary>
    /// Reads <c>HF_ENDPOINT</c>, <c>HF_TOKEN</c>, <c>HF_HUB_OFFLINE</c> and the cache location: <c>HF_HUB_CACHE</c>,
    /// else <c>HF_HOME/hub</c>, else <c>XDG_CACHE_HOME/huggingface/hub</c>, else <c>~/.cache/huggingface/hub</c>.
    /// </summary>
    public static HubOptions FromEnvironment()
    {
        static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
        return new HubOptions
        {
            Endpoint = (Env("HF_ENDPOINT") ?? DefaultEndpoint).TrimEnd('/'),
            CacheDirectory = DefaultCacheDirectory(Env),
            Token = Env("HF_TOKEN"),
            Offline = IsTrue(Env("HF_HUB_OFFLINE")),
        };
    }

    private static string DefaultCacheDirectory(Func<string, string?> env)
    {
        if (env("HF_HUB_CACHE") is { } hubCache) return ExpandHome(hubCache);
        if (env("HF_HOME") is { } home) return Path.Combine(ExpandHome(home), "hub");
        var xdg = env("XDG_CACHE_HOME") is { } x ? ExpandHome(x)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(xdg, "huggingface", "hub");
    }

    private static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : "")
            : path;

    /// <summary>huggingface_hub's truth values: 1, ON, YES, TRUE (any case).</summary>
    internal static bool IsTrue(string? value) =>
        value is not null && value.Trim().ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";
}
