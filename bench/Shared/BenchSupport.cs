// Shared by the benchmark programs (each links this file): where the repository is, the tweets they measure on (read
// with Classify's own RecordReader, so the benchmarks see exactly what the CLI reads), and the clock they time with.
using System.Diagnostics;
using Classify.Core.Data;
using Classify.Core.IO;

static class BenchSupport
{
    /// <summary>$CLASSIFY_REPO_ROOT, else the nearest folder above the working or program directory holding Classify.slnx.</summary>
    public static string FindRepoRoot()
    {
        if (Environment.GetEnvironmentVariable("CLASSIFY_REPO_ROOT") is { Length: > 0 } env) return env;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir != null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Classify.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find the repository root (Classify.slnx); set CLASSIFY_REPO_ROOT.");
    }

    /// <summary>The non-empty values of the <c>text</c> column, in file order.</summary>
    public static List<string> ReadTextColumn(string path)
    {
        using var reader = RecordReader.Open(path);
        var texts = new List<string>();
        foreach (var record in reader.ReadAll())
        {
            if (!record.TryGetValue("text", out var text)) throw new InputException("no 'text' column", path, record.Line, "text");
            if (!string.IsNullOrEmpty(text)) texts.Add(text);
        }
        return texts;
    }
}

/// <summary>Wall clock and process CPU time (user + system of all threads), both from the moment of <see cref="Start"/>.</summary>
sealed class Clock
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly TimeSpan _cpu = CpuTime();

    public static Clock Start() => new();
    public double Wall => _watch.Elapsed.TotalSeconds;
    public double Cpu => (CpuTime() - _cpu).TotalSeconds;

    private static TimeSpan CpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
