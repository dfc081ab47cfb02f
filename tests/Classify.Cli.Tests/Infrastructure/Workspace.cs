using System.Text;

namespace Classify.Cli.Tests.Infrastructure;

/// <summary>
/// A temp working folder for one test: inputs are written here and <see cref="RunsDir"/> is passed as
/// <c>--runs-dir</c>, so nothing lands in the repository. Deleted on dispose.
/// </summary>
internal sealed class Workspace : IDisposable
{
    public Workspace() => Root = TestPaths.NewTempDirectory();

    /// <summary>The folder.</summary>
    public string Root { get; }

    /// <summary>The runs folder to pass as <c>--runs-dir</c> (not created until the CLI creates it).</summary>
    public string RunsDir => Path.Combine(Root, "runs");

    /// <summary>A path inside the workspace.</summary>
    public string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>Writes a UTF-8 text file (no BOM) and returns its full path.</summary>
    public string Write(string name, string text)
    {
        var path = PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text, new UTF8Encoding(false));
        return path;
    }

    /// <summary>Writes raw bytes and returns the full path.</summary>
    public string WriteBytes(string name, byte[] bytes)
    {
        var path = PathOf(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Whether any run folder (any subfolder of <see cref="RunsDir"/>) exists.</summary>
    public bool AnyRunFolder => Directory.Exists(RunsDir) && Directory.EnumerateDirectories(RunsDir).Any();

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }          // best effort: a leftover temp folder must not fail a test
        catch (UnauthorizedAccessException) { }
    }
}
