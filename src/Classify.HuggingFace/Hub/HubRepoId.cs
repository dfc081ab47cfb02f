using System.Text.RegularExpressions;
using Classify.Core.IO;

namespace Classify.HuggingFace.Hub;

/// <summary>
/// A model repository on the Hub, <c>org/name</c> or <c>name</c>, optionally with <c>@revision</c>
/// (branch, tag or commit). Parsing refuses anything that could escape the cache folder.
/// </summary>
public sealed partial record HubRepoId
{
    private HubRepoId(string id, string? revision)
    {
        Id = id;
        Revision = revision;
    }

    /// <summary>The repository id, e.g. <c>answerdotai/ModernBERT-base</c>.</summary>
    public string Id { get; }

    /// <summary>The revision given after <c>@</c>, or null.</summary>
    public string? Revision { get; }

    /// <summary>The cache folder name huggingface_hub uses: <c>models--org--name</c>.</summary>
    public string CacheFolderName => "models--" + Id.Replace("/", "--", StringComparison.Ordinal);

    /// <summary>
    /// Parses <c>org/name</c> or <c>org/name@revision</c>, with huggingface_hub's rules: letters, digits,
    /// <c>-</c>, <c>_</c> and <c>.</c>; no <c>--</c> or <c>..</c>; at most 96 characters; at most one slash.
    /// Throws <see cref="InputException"/> otherwise.
    /// </summary>
    public static HubRepoId Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var at = text.IndexOf('@');
        var id = at < 0 ? text : text[..at];
        var revision = at < 0 ? null : text[(at + 1)..];
        ValidateId(id);
        if (revision is not null) ValidateRevision(revision);
        return new HubRepoId(id, revision);
    }

    /// <summary>True when <paramref name="text"/> looks like a Hub id rather than a local path.</summary>
    public static bool LooksLikeRepoId(string text) =>
        !string.IsNullOrEmpty(text) && !Path.IsPathRooted(text) && !text.StartsWith('.') && !text.Contains('\\')
        && RepoIdPattern().IsMatch(text.Split('@')[0]);

    internal static void ValidateId(string id)
    {
        if (id.Length is 0 or > 96 || !RepoIdPattern().IsMatch(id) || id.Contains("--", StringComparison.Ordinal)
            || id.Contains("..", StringComparison.Ordinal) || id.EndsWith(".git", StringComparison.Ordinal))
            throw new InputException(
                $"'{id}' is not a Hub repository id: expected 'name' or 'org/name' made of letters, digits, '-', '_' and '.', " +
                "without '--' or '..', at most 96 characters", field: "repo_id");
    }

    /// <summary>Refuses revisions that could leave <c>refs/</c> (e.g. <c>../x</c>); <c>refs/pr/1</c> is fine.</summary>
    internal static void ValidateRevision(string revision)
    {
        if (!IsSafeRelativePath(revision))
            throw new InputException($"'{revision}' is not a valid revision (branch, tag or commit)", field: "revision");
    }

    /// <summary>Refuses file names that could leave the snapshot folder.</summary>
    internal static void ValidateFileName(string fileName)
    {
        if (!IsSafeRelativePath(fileName))
            throw new InputException(
                $"'{fileName}' is not a valid file name in a repository: it must be a relative path with '/' separators, " +
                "no '..' or '.' segments, no backslashes and no drive or root", field: "filename");
    }

    private static bool IsSafeRelativePath(string path)
    {
        if (path.Length == 0 || path.Length > 1024 || path.StartsWith('/') || path.Contains('\\') || path.Contains(':'))
            return false;
        foreach (var c in path)
            if (char.IsControl(c)) return false;
        foreach (var segment in path.Split('/'))
            if (segment is "" or "." or "..") return false;
        return true;
    }

    /// <summary><c>org/name</c> or <c>org/name@revision</c>.</summary>
    public override string ToString() => Revision is null ? Id : $"{Id}@{Revision}";

    [GeneratedRegex(@"^(?:[A-Za-z0-9_\-.]+/)?[A-Za-z0-9_\-.]+$")]
    private static partial Regex RepoIdPattern();
}
