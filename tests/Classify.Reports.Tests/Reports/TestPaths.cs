namespace Classify.Reports.Tests.Reports;

/// <summary>Temporary folders for tests, removed on dispose unless CLASSIFY_KEEP_TEST_OUTPUT=1 (to look at the output).</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory(string prefix)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "classify-reports-tests", $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("CLASSIFY_KEEP_TEST_OUTPUT") == "1") return;
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
