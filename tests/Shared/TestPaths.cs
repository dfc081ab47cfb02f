using System.Runtime.CompilerServices;

// Linked into every test project (Directory.Build.props), with a global using of this namespace.
namespace Classify.Tests.Shared;

/// <summary>Locates the repository and the shared folder beside it (<c>&lt;repo&gt;/../shared</c>), and makes temp folders.</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> Root = new(FindRepoRoot);

    /// <summary>The directory holding Classify.slnx.</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>The shared folder beside the repository (data, fixtures, tokenizers; read-only).</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    /// <summary>The golden fixtures folder.</summary>
    public static string Fixtures => Path.Combine(Shared, "fixtures");

    /// <summary>A path under the fixtures folder.</summary>
    public static string Fixture(params string[] parts) => Path.GetFullPath(Path.Combine([Fixtures, .. parts]));

    /// <summary>A path under the shared data folder (tests copy slices of it into temp folders).</summary>
    public static string SharedData(params string[] parts) => Path.Combine([Shared, "data", .. parts]);

    /// <summary>A fresh empty directory under the system temp folder.</summary>
    public static string NewTempDirectory(string prefix = "classify-tests-")
    {
        var dir = Path.Combine(Path.GetTempPath(), prefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    // With --artifacts-path the test binaries live outside the repository, so an environment variable, the working
    // directory and the compile-time location of this source file are tried as well.
    private static string FindRepoRoot()
    {
        var env = Environment.GetEnvironmentVariable("CLASSIFY_REPO_ROOT");
        if (!string.IsNullOrEmpty(env) && File.Exists(Path.Combine(env, "Classify.slnx"))) return Path.GetFullPath(env);
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory(), Path.GetDirectoryName(SourceFile()) ?? "." })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Classify.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException("Cannot find the repository root (Classify.slnx); set CLASSIFY_REPO_ROOT.");
    }

    private static string SourceFile([CallerFilePath] string path = "") => path;
}
