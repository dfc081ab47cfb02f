using System.Text;

namespace Classify.Core.Tests.Data;

/// <summary>A temporary directory for small test files, deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = TestPaths.NewTempDirectory();

    /// <summary>Writes UTF-8 text (no BOM, exactly as given: no newline translation) and returns the path.</summary>
    public string Write(string name, string content) => WriteBytes(name, new UTF8Encoding(false).GetBytes(content));

    /// <summary>Writes raw bytes and returns the path.</summary>
    public string WriteBytes(string name, byte[] bytes)
    {
        var path = System.IO.Path.Combine(Path, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
