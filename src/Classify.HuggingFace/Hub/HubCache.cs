using System.Text.RegularExpressions;
using Classify.Core.IO;

namespace Classify.HuggingFace.Hub;

/// <summary>
/// The huggingface_hub cache layout, shared with Python:
/// <code>
/// &lt;cache&gt;/models--org--name/
///     blobs/&lt;etag&gt;                    file contents, named by git blob sha1 or LFS sha256
///     snapshots/&lt;commit&gt;/&lt;file&gt;     relative symlinks to ../../blobs/&lt;etag&gt; (copies where links fail)
///     refs/&lt;revision&gt;                commit hash of a branch or tag, no newline
///     .no_exist/&lt;commit&gt;/&lt;file&gt;     empty marker: the file does not exist at that commit
/// &lt;cache&gt;/.locks/models--org--name/&lt;etag&gt;.lock
/// </code>
/// </summary>
public sealed partial class HubCache
{
    /// <summary>Uses <paramref name="cacheDirectory"/> as the cache root.</summary>
    public HubCache(string cacheDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(cacheDirectory);
        Root = Path.GetFullPath(cacheDirectory);
    }

    /// <summary>The cache root.</summary>
    public string Root { get; }

    /// <summary>True for a full 40-character commit hash.</summary>
    public static bool IsCommitHash(string revision) => CommitHash().IsMatch(revision);

    /// <summary><c>&lt;cache&gt;/models--org--name</c>.</summary>
    public string RepoFolder(HubRepoId repo) => Path.Combine(Root, repo.CacheFolderName);

    /// <summary>The commit a revision points to in the cache: itself if it is a hash, else <c>refs/&lt;revision&gt;</c>.</summary>
    public string? ResolveCommit(HubRepoId repo, string revision)
    {
        HubRepoId.ValidateRevision(revision);
        if (IsCommitHash(revision)) return revision;
        var refPath = Path.Combine(RepoFolder(repo), "refs", revision);
        if (!File.Exists(refPath)) return null;
        var commit = File.ReadAllText(refPath).Trim();
        return IsCommitHash(commit) ? commit : null;
    }

    /// <summary><c>snapshots/&lt;commit&gt;</c> of a repository.</summary>
    public string SnapshotFolder(HubRepoId repo, string commit) => Path.Combine(RepoFolder(repo), "snapshots", commit);

    /// <summary>The snapshot path of a file at a commit (whether or not it exists).</summary>
    public string SnapshotPath(HubRepoId repo, string commit, string fileName)
    {
        HubRepoId.ValidateFileName(fileName);
        return Path.Combine(SnapshotFolder(repo, commit), fileName.Replace('/', Path.DirectorySeparatorChar));
    }

    /// <summary><c>blobs/&lt;etag&gt;</c>.</summary>
    public string BlobPath(HubRepoId repo, string etag) => Path.Combine(RepoFolder(repo), "blobs", etag);

    /// <summary>The cached file for a revision, or null when the cache does not hold it (as <c>try_to_load_from_cache</c>).</summary>
    public string? TryGetFile(HubRepoId repo, string fileName, string revision)
    {
        var commit = ResolveCommit(repo, revision);
        if (commit is null) return null;
        var path = SnapshotPath(repo, commit, fileName);
        return File.Exists(path) ? path : null;
    }

    /// <summary>True when the cache records that <paramref name="fileName"/> does not exist at the revision.</summary>
    public bool IsKnownMissing(HubRepoId repo, string fileName, string revision)
    {
        var commit = ResolveCommit(repo, revision);
        return commit is not null && File.Exists(Path.Combine(RepoFolder(repo), ".no_exist", commit, fileName.Replace('/', Path.DirectorySeparatorChar)));
    }

    internal void WriteRef(HubRepoId repo, string revision, string commit)
    {
        if (revision == commit) return;
        var refPath = Path.Combine(RepoFolder(repo), "refs", revision);
        if (File.Exists(refPath) && File.ReadAllText(refPath) == commit) return;
        AtomicFile.WriteAllText(refPath, commit);
    }

    internal void MarkMissing(HubRepoId repo, string commit, string fileName)
    {
        var marker = Path.Combine(RepoFolder(repo), ".no_exist", commit, fileName.Replace('/', Path.DirectorySeparatorChar));
        if (!File.Exists(marker)) AtomicFile.WriteAllBytes(marker, ReadOnlySpan<byte>.Empty);
    }

    internal string LockPath(HubRepoId repo, string etag) => Path.Combine(Root, ".locks", repo.CacheFolderName, etag + ".lock");

    /// <summary>
    /// Points <paramref name="pointerPath"/> at <paramref name="blobPath"/> with a relative symlink, as
    /// huggingface_hub does (<c>../../blobs/&lt;etag&gt;</c>); copies the blob where symlinks are not allowed.
    /// </summary>
    internal static void Link(string blobPath, string pointerPath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(pointerPath)!);
        var relative = Path.GetRelativePath(Path.GetDirectoryName(pointerPath)!, blobPath);
        var tmp = pointerPath + $".{Guid.NewGuid():N}.tmp";
        try
        {
            File.CreateSymbolicLink(tmp, relative);
            File.Move(tmp, pointerPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            TryDelete(tmp);
            AtomicFile.Write(pointerPath, s =>
            {
                using var source = File.OpenRead(blobPath);
                source.CopyTo(s);
            });
        }
    }

    internal static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitHash();
}
