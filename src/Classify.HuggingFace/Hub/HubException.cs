namespace Classify.HuggingFace.Hub;

/// <summary>Why a Hub operation failed.</summary>
public enum HubErrorKind
{
    /// <summary>The repository, revision or file does not exist (HTTP 404).</summary>
    NotFound,
    /// <summary>The repository is private or gated and no valid token was sent (HTTP 401/403).</summary>
    Unauthorized,
    /// <summary>Offline mode is on and the cache does not hold the file.</summary>
    NotCached,
    /// <summary>The Hub could not be reached, or it answered with a server error.</summary>
    Network,
    /// <summary>The downloaded bytes do not match the size or hash the Hub announced.</summary>
    Corrupted,
    /// <summary>The server's answer lacks what the Hub protocol requires (commit, ETag, size).</summary>
    Protocol,
}

/// <summary>A failed Hub download, with a message that says what to do about it.</summary>
public sealed class HubException : Exception
{
    /// <summary>Creates a Hub error.</summary>
    public HubException(HubErrorKind kind, string message, int? statusCode = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        StatusCode = statusCode;
    }

    /// <summary>The category of failure.</summary>
    public HubErrorKind Kind { get; }

    /// <summary>The HTTP status, when the server answered.</summary>
    public int? StatusCode { get; }
}

/// <summary>Bytes received for one file.</summary>
/// <param name="RepoId">The repository.</param>
/// <param name="FileName">The file inside the repository.</param>
/// <param name="BytesDownloaded">Bytes in the blob so far, including any resumed part.</param>
/// <param name="TotalBytes">The announced size, when known.</param>
public sealed record HubDownloadProgress(string RepoId, string FileName, long BytesDownloaded, long? TotalBytes);
