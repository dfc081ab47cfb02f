using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Classify.Core.IO;

/// <summary>
/// Writes files atomically: content goes to a temporary file in the same directory, is flushed to disk,
/// then renamed over the target. A crash leaves either the old file or the new one, never a torn file.
/// Every file Classify writes goes through here.
/// <para>Temporary names: a file is staged as <c>.&lt;name&gt;.&lt;pid&gt;.&lt;guid&gt;.tmp</c>, a directory as
/// <c>.&lt;name&gt;.&lt;guid&gt;.tmp</c> (and the directory it replaces is parked as <c>.&lt;name&gt;.&lt;guid&gt;.old</c>).
/// A process killed mid-write leaves them behind; <see cref="RemoveStaleTemporaries"/> clears them when nobody is
/// writing the folder any more.</para>
/// </summary>
public static partial class AtomicFile
{
    /// <summary>UTF-8 without a byte-order mark, the encoding of every text file Classify writes.</summary>
    public static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Options used for every JSON file Classify writes (indented, snake_case-free: names are given explicitly).</summary>
    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes through a stream callback; the target appears only if the callback completes.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>Writes through a UTF-8 text writer.</summary>
    public static void WriteText(string path, Action<TextWriter> write) =>
        Write(path, s =>
        {
            using var w = new StreamWriter(s, Utf8, 1 << 16, leaveOpen: true);
            write(w);
            w.Flush();
        });

    /// <summary>Writes a string as UTF-8.</summary>
    public static void WriteAllText(string path, string text) => WriteText(path, w => w.Write(text));

    /// <summary>Writes bytes.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>Serialises <paramref name="value"/> as indented JSON.</summary>
    public static void WriteJson<T>(string path, T value, JsonSerializerOptions? options = null) =>
        Write(path, s => JsonSerializer.Serialize(s, value, options ?? JsonOptions));

    /// <summary>
    /// Replaces a whole directory atomically enough for model packages: the new content is built in a
    /// sibling temporary directory by <paramref name="build"/>, then swapped in with renames.
    /// </summary>
    public static void WriteDirectory(string path, Action<string> build)
    {
        var full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var tmp = Path.Combine(parent, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        var old = Path.Combine(parent, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.old");
        Directory.CreateDirectory(tmp);
        try
        {
            build(tmp);
            if (Directory.Exists(full)) Directory.Move(full, old);
            Directory.Move(tmp, full);
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        }
        catch
        {
            if (!Directory.Exists(full) && Directory.Exists(old)) Directory.Move(old, full);
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
            throw;
        }
    }

    /// <summary>Whether <paramref name="name"/> (a file or directory name, no folder) is one of the temporary names above.</summary>
    public static bool IsTemporary(string name) => TemporaryName().IsMatch(name);

    /// <summary>
    /// Removes the temporaries a killed writer left anywhere under <paramref name="directory"/>: staged files and
    /// directories are deleted; a parked <c>.old</c> directory is moved back when its target is missing (the writer died
    /// between the two renames, so the old content is the last complete one), else deleted. Only call it when no
    /// process is writing the folder. Returns the paths removed or restored.
    /// </summary>
    public static IReadOnlyList<string> RemoveStaleTemporaries(string directory)
    {
        var removed = new List<string>();
        if (Directory.Exists(directory)) Sweep(Path.GetFullPath(directory), removed);
        return removed;
    }

    private static void Sweep(string directory, List<string> removed)
    {
        string[] entries;
        try { entries = Directory.GetFileSystemEntries(directory); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        // Staged content first, so that a parked .old directory can take its place afterwards.
        foreach (var entry in entries.OrderBy(e => e.EndsWith(".old", StringComparison.Ordinal) ? 1 : 0))
        {
            var name = Path.GetFileName(entry);
            var info = new FileInfo(entry);
            bool isDirectory = (info.Attributes & FileAttributes.Directory) != 0 && info.LinkTarget is null;
            if (IsTemporary(name))
            {
                try
                {
                    if (name.EndsWith(".old", StringComparison.Ordinal) && isDirectory && TargetOf(entry) is { } target && !Path.Exists(target))
                        Directory.Move(entry, target);
                    else if (isDirectory) Directory.Delete(entry, recursive: true);
                    else File.Delete(entry);
                    removed.Add(entry);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
            else if (isDirectory) Sweep(entry, removed);
        }
    }

    // ".model.<guid>.old" → "<dir>/model" (a parked directory name carries no pid).
    private static string? TargetOf(string parked)
    {
        var name = Path.GetFileName(parked);
        const int suffix = 1 + 32 + 4;   // ".<guid>.old"
        return name.Length > suffix + 1 ? Path.Combine(Path.GetDirectoryName(parked)!, name[1..^suffix]) : null;
    }

    [GeneratedRegex(@"^\..+\.[0-9a-f]{32}\.(tmp|old)$", RegexOptions.CultureInvariant)]
    private static partial Regex TemporaryName();

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
