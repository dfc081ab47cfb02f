namespace Classify.Transformers.Tests;

/// <summary>Locates the repository and the shared fixtures, wherever the test binaries were built.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Fixtures => Path.Combine(RepoRoot, "..", "shared", "fixtures");

    public static string Fixture(string name) => Path.GetFullPath(Path.Combine(Fixtures, name));

    private static string FindRepoRoot([System.Runtime.CompilerServices.CallerFilePath] string sourceFile = "")
    {
        var fromEnv = Environment.GetEnvironmentVariable("CLASSIFY_REPO_ROOT");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(Path.Combine(fromEnv, "Classify.slnx"))) return fromEnv;
        // With --artifacts-path the binaries live outside the repo; this source file's compile-time path does not.
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory(), Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (var dir = string.IsNullOrEmpty(start) ? null : new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Classify.slnx"))) return dir.FullName;
        }
        throw new InvalidOperationException("Cannot find the repository root (Classify.slnx); set CLASSIFY_REPO_ROOT.");
    }
}
