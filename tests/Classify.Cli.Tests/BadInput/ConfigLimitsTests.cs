using System.Diagnostics;
using System.Text;
using Classify.Cli.Tests.Infrastructure;

namespace Classify.Cli.Tests.BadInput;

/// <summary>
/// Hostile config files: a YAML alias bomb and a value nested 100,000 deep. Each runs <c>classify train --config</c>
/// in a child process (a stack overflow kills the process, and peak memory is only measurable there) and must end
/// with exit 2, one message naming the file, nothing written, quickly and in little memory.
/// </summary>
public sealed class ConfigLimitsTests : IDisposable
{
    private readonly Workspace _ws = new();

    public void Dispose() => _ws.Dispose();

    /// <summary>About 380 bytes: nine levels, each a list of nine aliases of the level before (9⁹ values once expanded).</summary>
    private static string AliasBomb()
    {
        var yaml = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (var name = 'b'; name <= 'i'; name++)
            yaml.Append($"{name}: &{name} [{string.Join(", ", Enumerable.Repeat($"*{(char)(name - 1)}", 9))}]\n");
        return yaml.ToString();
    }

    [Fact]
    public void An_alias_bomb_is_refused_fast_in_little_memory()
    {
        var config = _ws.Write("bomb.yaml", AliasBomb());
        Assert.InRange(new FileInfo(config).Length, 300, 400);
        var (result, elapsed, peak) = Train(config);

        AssertRefused(result, config, "bomb.yaml:6", "alias *e");
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"refused after {elapsed.TotalSeconds:0.0} s");
        Assert.True(peak < 200L << 20, $"peak working set {peak >> 20} MB");
        Console.WriteLine($"alias bomb: exit {result.ExitCode} after {elapsed.TotalSeconds:0.00} s, peak working set {peak >> 20} MB");
    }

    [Fact]
    public void A_value_nested_100_000_deep_is_refused_without_a_stack_overflow()
    {
        var config = _ws.Write("deep.yaml", $"linear: {new string('[', 100_000)}{new string(']', 100_000)}\n");
        var (result, elapsed, peak) = Train(config);

        AssertRefused(result, config, "deep.yaml:1", "'linear'", "nested more than 32 levels");
        Console.WriteLine($"deep nest: exit {result.ExitCode} after {elapsed.TotalSeconds:0.00} s, peak working set {peak >> 20} MB");
    }

    [Fact]
    public void A_config_file_over_1_MiB_is_refused_unread()
    {
        var config = _ws.Write("huge.yaml", "name: huge\n" + string.Concat(Enumerable.Repeat("# padding " + new string('x', 1013) + "\n", 1100)));
        var (result, _, _) = Train(config);
        AssertRefused(result, config, "huge.yaml", "1 MiB");
    }

    private (CliResult Result, TimeSpan Elapsed, long PeakBytes) Train(string config)
    {
        long peak = 0;
        var clock = Stopwatch.StartNew();
        var result = CliRunner.RunProcess(["train", "--config", config, "--runs-dir", _ws.RunsDir],
            whileRunning: p =>
            {
                try { p.Refresh(); peak = Math.Max(peak, p.PeakWorkingSet64); }
                catch (InvalidOperationException) { }   // exited between the checks
            }, timeout: TimeSpan.FromMinutes(1));
        clock.Stop();
        return (result, clock.Elapsed, peak);
    }

    // Exit 2, a single "error:" message naming the file (and line), no stack trace, no run folder and no ledger.
    private void AssertRefused(CliResult result, string config, params string[] mentions)
    {
        BadInputTests.AssertInputError(_ws, result, [config, .. mentions]);
        Assert.Equal(1, CountOf(result.Stderr, "error:"));
        Assert.Empty(result.Stdout.Trim());
        Assert.False(Directory.Exists(_ws.RunsDir), $"{_ws.RunsDir} was created");
        Assert.False(File.Exists(Path.Combine(_ws.RunsDir, "ledger.db")));
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
