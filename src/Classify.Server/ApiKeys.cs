using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Classify.Server;

/// <summary>
/// API key check: a request carries a key as <c>Authorization: Bearer KEY</c> or <c>X-API-Key: KEY</c>. Keys are compared
/// as SHA-256 digests with <see cref="CryptographicOperations.FixedTimeEquals"/> against every configured key (no early
/// exit), so the time taken says nothing about how much of a key matched, nor its length.
/// </summary>
public sealed class ApiKeys
{
    private readonly byte[][] _digests;

    /// <summary>Holds the digests of <paramref name="keys"/>.</summary>
    public ApiKeys(IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _digests = keys.Select(Digest).ToArray();
    }

    /// <summary>True when no key is configured (authentication off).</summary>
    public bool Open => _digests.Length == 0;

    /// <summary>True when <paramref name="candidate"/> is one of the keys.</summary>
    public bool Matches(string? candidate)
    {
        if (candidate is null) return false;
        var digest = Digest(candidate);
        bool found = false;
        foreach (var key in _digests) found |= CryptographicOperations.FixedTimeEquals(digest, key);
        return found;
    }

    /// <summary>The key a request carries (bearer token first, then <c>X-API-Key</c>), or null.</summary>
    public static string? FromRequest(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return authorization[7..].Trim();
        var header = request.Headers["X-API-Key"].ToString();
        return header.Length > 0 ? header.Trim() : null;
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
