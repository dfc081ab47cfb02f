using System.Diagnostics;
using System.Text;

namespace Classify.Cli.Tests.Infrastructure;

/// <summary>What one <c>classify</c> invocation returned and printed.</summary>
/// <param name="ExitCode">The process exit code (0 ok, 1 unexpected error, 2 bad input, 3 target not met).</param>
/// <param name="Stdout">Everything written to standard output.</param>
/// <param name="Stderr">Everything written to standard error.</param>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Standard error with line breaks removed, so a message wrapped by the console renderer still matches.</summary>
    public string StderrUnwrapped => Stderr.Replace("\r", "").Replace("\n", "");

    /// <summary>A readable dump for assertion messages.</summary>
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>Runs the CLI in-process through <see cref="ClassifyApp.Run(string[], TextWriter, TextWriter)"/>, or as a child process.</summary>
internal static class CliRunner
{
    /// <summary>Runs <c>classify args…</c> in this process and captures both streams.</summary>
    public static CliResult Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = ClassifyApp.Run(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs <c>classify</c> and fails the test unless it exits with <paramref name="expected"/>.</summary>
    public static CliResult RunExpecting(int expected, params string[] args)
    {
        var result = Run(args);
        Assert.True(result.ExitCode == expected, $"classify {string.Join(' ', args)}\nexpected exit {expected}, got {result}");
        return result;
    }

    /// <summary>Runs <c>classify args…</c> successfully (exit 0).</summary>
    public static CliResult Ok(params string[] args) => RunExpecting(0, args);

    /// <summary>
    /// Runs the built <c>classify.dll</c> in a child process (for what only a real process has: standard input,
    /// peak memory, signals). <paramref name="whileRunning"/> is polled every <paramref name="pollMilliseconds"/> ms while
    /// the process runs. The child loads the TorchSharp engine from this test's output folder (<c>CLASSIFY_TORCHSHARP_ENGINE</c>).
    /// <paramref name="environment"/> sets (or, with a null value, removes) variables of the child;
    /// <paramref name="workingDirectory"/> defaults to this process's; <paramref name="cliDll"/> to this test's <c>classify.dll</c>.
    /// </summary>
    public static CliResult RunProcess(string[] args, string? stdin = null, Action<Process>? whileRunning = null, TimeSpan? timeout = null,
        int pollMilliseconds = 100, IReadOnlyDictionary<string, string?>? environment = null, string? workingDirectory = null, string? cliDll = null)
    {
        var dll = cliDll ?? typeof(ClassifyApp).Assembly.Location;
        var start = new ProcessStartInfo(DotnetHost(), [dll, .. args])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8, StandardErrorEncoding = Encoding.UTF8,
        };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        // The lean CLI finds the TorchSharp engine in this test's output folder (it references Classify.TorchSharp).
        start.Environment["CLASSIFY_TORCHSHARP_ENGINE"] = AppContext.BaseDirectory;
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null) process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(5));
        while (!process.WaitForExit(pollMilliseconds))
        {
            whileRunning?.Invoke(process);
            if (DateTime.UtcNow > deadline)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"classify {string.Join(' ', args)} did not finish in time");
            }
        }
        process.WaitForExit();
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    // The muxer that runs this test host runs the CLI too (DOTNET_HOST_PATH is set by `dotnet test`).
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
