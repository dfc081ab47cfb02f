using System.Runtime.CompilerServices;

namespace Classify.Linear.Tests.LogisticRegression;

/// <summary>Locates the repository and the shared fixtures folder beside it (<c>&lt;repo&gt;/../shared</c>).</summary>
internal static class TestPaths
{
    private static readonly Lazy<string> Root = new(FindRepoRoot);

    /// <summary>The repository root (the folder holding Classify.slnx).</summary>
    public static string RepoRoot => Root.Value;

    /// <summary>The shared folder next to the repository.</summary>
    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    /// <summary>A file under shared/fixtures.</summary>
    public static string Fixture(params string[] parts) => Path.Combine([Shared, "fixtures", .. parts]);

    private static string SourcePath([CallerFilePath] string path = "") => path;

    private static string FindRepoRoot()
    {
        // With --artifacts-path the binaries live outside the repo, so also try the working directory and an env var.
        var env = Environment.GetEnvironmentVariable("CLASSIFY_REPO_ROOT");
        if (!string.IsNullOrEmpty(env) && File.Exists(Path.Combine(env, "Classify.slnx"))) return env;
        // dotnet test runs from the output folder, so the compile-time path of this file is the last resort.
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory(), Path.GetDirectoryName(SourcePath())! })
        {
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Classify.slnx"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("Cannot find the repository root (Classify.slnx); set CLASSIFY_REPO_ROOT.");
    }
}
